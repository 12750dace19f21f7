"""The load test's community: members with API tokens, forums, threads with replies, and an
ideas forum with ~100 ideas and their votes.

Bulk rows come from generate.py (members joined two years ago, forums of each kind,
threads with a long tail of replies, one long thread); ideas, votes and tokens go through
the services, as members would make them, so counters, points and the leaderboard are real.
"""

import random
from dataclasses import dataclass, field

import generate
from sqlalchemy import func, select, update

PASSWORD = "bench password 123"  # what generate.py gives every member
IDEAS_FORUM = "ideas"


@dataclass(frozen=True)
class Member:
    id: int
    username: str
    token: str


@dataclass
class Seed:
    members: list[Member]
    forums: dict[str, int]                  # public forum slug -> published threads
    threads: list[tuple[int, int]]          # (id, pages) of every public thread
    ideas: list[tuple[int, int]]            # (id, author id)
    hot: list[tuple[int, str]]              # (thread id, forum slug): where replies go
    votes: set[tuple[int, int]] = field(default_factory=set)  # (member id, idea id)


def seed(url: str, instance: str, *, members: int, threads: int, posts: int, ideas: int,
         votes: int, hot: int, followers: int, rng: random.Random) -> Seed:
    """Fill the empty database at `url`; returns what the workload needs to know."""
    generate.generate(url, threads=threads, posts=posts, users=members, huge=posts // 10,
                      seed=rng.randrange(1 << 30), log=lambda _: None)
    from community import create_app
    from community.extensions import db
    from community.models import Forum, Thread, User
    from community.services import accounts, feedback, follows, forums

    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False, "SECRET_KEY": "seed",
                      "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024},
                     instance_path=instance)
    text = generate.Text(rng, pool=2000)
    with app.app_context():
        # Regulars, not newcomers: their replies publish at once instead of waiting for a
        # moderator (auto-moderation itself stays on).
        db.session.execute(update(User).where(User.trust_level < 2).values(trust_level=2))
        db.session.commit()
        users = db.session.scalars(select(User).where(User.role == "member").order_by(User.id)).all()
        people = [Member(u.id, u.username, accounts.issue_token(u, "load test")[1]) for u in users]
        by_id = {u.id: u for u in users}

        forum = db.session.scalar(select(Forum).where(Forum.slug == IDEAS_FORUM))
        made = [forums.start_thread(by_id[rng.choice(people).id], forum, text.title(),
                                    text.body()[0]) for _ in range(ideas)]
        idea_list = [(t.id, t.author_id) for t in made]
        voted = set()
        while len(voted) < votes:
            idea_id, author_id = rng.choice(idea_list)
            voter = rng.choice(people)
            if voter.id != author_id and (voter.id, idea_id) not in voted:
                feedback.vote_thread(by_id[voter.id], db.session.get(Thread, idea_id), 1)
                voted.add((voter.id, idea_id))

        public = [f.slug for f in db.session.scalars(select(Forum).where(Forum.private.is_(False)))]
        rows = db.session.execute(
            select(Thread.id, Thread.last_post_number, Forum.slug).join(Forum)
            .where(Forum.private.is_(False), Thread.state == "published", Thread.locked.is_(False))
        ).all()
        counts = dict(db.session.execute(
            select(Forum.slug, func.count(Thread.id)).join(Thread)
            .where(Forum.private.is_(False), Thread.state == "published").group_by(Forum.slug)).all())

        # Replies go to a few lively threads of the busiest forums, ideas among them; they
        # have an audience from the start (every reply notifies its watchers).
        general = [(i, s) for i, _, s in rows if s == generate.BIG_FORUM]
        support = [(i, s) for i, _, s in rows if s == "help"]
        share = hot // 4
        lively = (rng.sample(general, hot - 2 * share) + rng.sample(support, share)
                  + rng.sample([(i, IDEAS_FORUM) for i, _ in idea_list], share))
        for thread_id, _ in lively:
            thread = db.session.get(Thread, thread_id)
            for member in rng.sample(people, followers):
                follows.follow_thread(by_id[member.id], thread)
        db.session.remove()
    db.engine.dispose()
    return Seed(members=people, forums={slug: counts.get(slug, 0) for slug in public},
                threads=[(i, max(1, -(-n // 20))) for i, n, _ in rows], ideas=idea_list,
                hot=lively, votes=voted)
