"""services.lifecycle keeps every counter: after any mix of writing, reviewing, removing,
moving, splitting, merging and solving, a recount from the rows finds no difference."""

import random

from sqlalchemy import select

from community.errors import DomainError
from community.extensions import db
from community.models import Forum, Post, ReviewItem, Role, Thread, User
from community.services import forums, moderation, support

from ..conftest import _empty_tables
from ..factories import make_forum, make_thread, make_user
from ..recount import mismatches

MEMBERS = ("ann", "bob", "cat")
ACTIONS = ("start", "reply", "approve", "reject", "hide", "restore", "delete", "move", "split",
           "merge", "accept")


def _seed() -> dict:
    users = {name: make_user(name).id for name in MEMBERS}
    users["mod"] = make_user("mod", role=Role.MODERATOR).id
    general, help_ = make_forum("general"), make_forum("help", kind="support")
    # Every post here waits for a moderator: approvals and rejections have work to do.
    reviewed = make_forum("reviewed")
    forums.update_forum(make_user("admin", role=Role.ADMIN), reviewed, premoderated=True)
    ann, bob = db.session.get(User, users["ann"]), db.session.get(User, users["bob"])
    make_thread(ann, help_, "Stove will not light")
    make_thread(bob, general, "Best coastal walks")
    make_thread(ann, reviewed, "Held until someone looks")
    return {"users": users, "forums": [general.id, help_.id, reviewed.id]}


def _pick(rng: random.Random, model, *conditions):
    ids = db.session.scalars(select(model.id).where(*conditions).order_by(model.id)).all()
    return db.session.get(model, rng.choice(ids)) if ids else None


def _step(rng: random.Random, world: dict) -> str:
    user = lambda name: db.session.get(User, world["users"][name])  # noqa: E731
    member, mod = user(rng.choice(MEMBERS)), user("mod")
    forum = db.session.get(Forum, rng.choice(world["forums"]))
    thread, post = _pick(rng, Thread), _pick(rng, Post)
    action = rng.choice(ACTIONS + ("reply", "reply"))
    if action == "start":
        forums.start_thread(member, forum, f"A question {rng.randrange(10**6)}", "Any ideas?")
    elif action == "reply":
        forums.reply(member, thread, f"Reply {rng.randrange(10**6)}: try this.")
    elif action in ("approve", "reject"):
        item = _pick(rng, ReviewItem, ReviewItem.status == "open")
        if item is not None:
            moderation.act_on_item(mod, item, action)
    elif action == "hide":
        moderation.hide_post(mod, post)
    elif action == "restore":
        moderation.restore_post(mod, post)
    elif action == "delete":
        forums.delete_post(rng.choice([post.author, mod]), post)
    elif action == "move":
        forums.update_thread(mod, thread, forum=forum)
    elif action == "split":
        replies = db.session.scalars(select(Post.id).where(
            Post.thread_id == thread.id, Post.number > 1).order_by(Post.number)).all()
        chosen = [p for p in replies if rng.random() < 0.5] or replies[-1:]
        moderation.split_thread(mod, thread, chosen, "Split off", forum)
    elif action == "merge":
        moderation.merge_threads(mod, thread, _pick(rng, Thread))
    elif action == "accept":  # a reply of a question in the support forum
        question = _pick(rng, Thread, Thread.forum_id == world["forums"][1])
        answer = question and _pick(rng, Post, Post.thread_id == question.id, Post.number > 1)
        if answer is not None:
            support.accept_solution(rng.choice([question.author, mod]), question, answer)
    return action


def test_counters_equal_a_recount_after_random_sequences(app):
    done = set()
    for seed in range(5):
        rng = random.Random(seed)
        if seed:
            db.session.remove()
            _empty_tables()
        world = _seed()
        steps = []
        for _ in range(100):
            try:
                steps.append(_step(rng, world))
            except DomainError:
                pass  # refused (not allowed, wrong state): the use case rolled back
        db.session.remove()
        assert mismatches(db.engine) == [], (seed, steps)
        done.update(steps)
    # Between them the sequences went through every transition, not only refusals.
    assert done == set(ACTIONS)
