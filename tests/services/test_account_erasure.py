"""Deleting an account leaves nothing that names the member, anywhere in the database.

A member who touched every part of the community deletes their account; then every text
column of every table the database holds (reflected from the database itself, so a table
added later is searched too) is searched for their username, display name, email and a
phrase only they wrote. docs/data-rights.md says what each mode promises.
"""

import json
from datetime import timedelta

import pytest
from sqlalchemy import (Boolean, Date, DateTime, Interval, LargeBinary, MetaData, Numeric, Text,
                        Time, cast, func, or_, select)
from sqlalchemy import Integer as SqlInteger

from community import text
from community.extensions import db
from community.models import (ApiToken, Base, Flag, Forum, Notification, OutboxEmail, Poll,
                              PollBallot, PollOption, Post, PostState, Thread,
                              ThreadVote, User, utcnow)
from community.models.integrations import WebhookDelivery
from community.queries.admin import account_export
from community import domain_events
from community.realtime import publisher
from community.services import (accounts, advocacy, data_rights, feedback, follows, forums,
                                mail, moderation, notifications, polls, support, webhooks)

from ..conftest import csrf_token
from ..factories import PASSWORD, make_forum, make_user
from ..recount import mismatches

USERNAME = "zelda_quorn"
DISPLAY_NAME = "Zelda Quornwhistle"
EMAIL = "zq.mailbox@example.net"
PHRASE = "xylophonic marmalade"
NEEDLES = (USERNAME, DISPLAY_NAME, EMAIL, PHRASE)

_NOT_TEXT = (SqlInteger, Numeric, Boolean, Date, DateTime, Time, Interval, LargeBinary)


def find_everywhere(*needles: str) -> dict[str, list[str]]:
    """{needle: ["table.column #row", …]} over every table and text-like column the database
    has (reflected, not taken from the models: search indexes and future tables count)."""
    meta = MetaData()
    meta.reflect(bind=db.engine)
    found: dict[str, list[str]] = {n: [] for n in needles}
    with db.engine.connect() as connection:
        for table in meta.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, _NOT_TEXT):
                    continue
                value = func.lower(cast(column, Text))
                rows = connection.execute(select(cast(column, Text)).where(
                    or_(*(value.contains(n.lower(), autoescape=True) for n in needles)))).all()
                for (cell,) in rows:
                    for needle in needles:
                        if needle.lower() in (cell or "").lower():
                            found[needle].append(f"{table.name}.{column.name}: {cell[:160]!r}")
    return found


@pytest.fixture
def app(app_factory):
    return app_factory(WEBHOOKS_ALLOW_LOOPBACK=True)


@pytest.fixture
def world(app, moderator, staff, admin):
    """Zelda has touched everything; Olaf and the staff have touched her."""
    hook = webhooks.create_webhook(admin, "http://127.0.0.1:9/hooks", [
        "thread.created", "post.created", "solution.accepted", "badge.awarded",
        "member.joined", "idea.status_changed"])
    olaf = make_user("olaf_b")
    zelda = accounts.register_user(USERNAME, EMAIL, PASSWORD)
    accounts.update_profile(zelda, zelda, DISPLAY_NAME, f"I make {PHRASE} at home.")
    general = make_forum("general")
    help_forum = make_forum("help", kind="support")
    ideas = make_forum("ideas", kind="ideas")
    follows.follow_forum(olaf, general, "watching")
    follows.follow_forum(zelda, help_forum, "watching")
    notifications.set_preferences(zelda, zelda, digest="daily")

    # A discussion: her thread, a poll, replies, a quote of her, an edit.
    thread = forums.start_thread(zelda, general, f"Tasting {PHRASE}",
                                 f"Who else loves {PHRASE}? Ask @olaf_b, he knows.")
    opener = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    poll = polls.create_poll(zelda, thread, f"Best {PHRASE}?", [f"Quince {PHRASE}", "Plain"])
    olaf_reply = forums.reply(olaf, thread, text.quote_reference(USERNAME, opener.id, opener.body)
                              + f"\n\nAgreed, thanks @{USERNAME}!")
    her_reply = forums.reply(zelda, thread, f"Glad you like the {PHRASE}.")
    forums.edit_post(zelda, her_reply, f"So glad you like the {PHRASE}!")
    polls.cast_ballot(olaf, poll, [poll.options[0].id])
    polls.cast_ballot(zelda, poll, [poll.options[1].id])
    feedback.vote_post(zelda, olaf_reply, 1)
    feedback.vote_post(olaf, her_reply, 1)

    # A thread of hers nobody answered.
    lonely = forums.start_thread(zelda, general, f"Storing {PHRASE}", f"Jars of {PHRASE}?")

    # Support: she asks, the brand answers, she accepts and rates; she answers Olaf.
    question = forums.start_thread(zelda, help_forum, f"Stove for {PHRASE}?",
                                   f"Which stove boils {PHRASE} best?")
    answer = forums.reply(staff, question, "The liquid fuel one.")
    support.accept_solution(zelda, question, answer)
    support.rate_thread(zelda, question, 5, f"Great help with my {PHRASE}.")
    olaf_question = forums.start_thread(olaf, help_forum, "Which tent?", "Two or three people?")
    her_answer = forums.reply(zelda, olaf_question, f"Three, with room for {PHRASE}.")
    support.accept_solution(olaf, olaf_question, her_answer)
    support.answer_nps(zelda, 9, f"Love it, like {PHRASE}.")

    # Ideas: hers, voted and moved by the brand with a note thanking her.
    idea = forums.start_thread(zelda, ideas, f"Sell {PHRASE}", f"Please stock {PHRASE}.")
    staff_idea = forums.start_thread(staff, ideas, "Winter stoves", "Coming soon.")
    feedback.vote_thread(olaf, idea, 1)
    feedback.vote_thread(zelda, staff_idea, 1)
    feedback.set_idea_status(staff, idea, "planned", f"Thanks @{USERNAME}, planned!")

    # Flags both ways, with notes.
    moderation.flag_post(zelda, olaf_reply, "other", f"Off topic for {PHRASE}.")
    moderation.flag_post(olaf, her_answer, "other", f"{DISPLAY_NAME} ({USERNAME}) advertises.")

    # Badges and points; moderation on her, with reasons naming her.
    badge = advocacy.create_badge(admin, "jam-maker", "Jam maker")
    advocacy.grant_badge(staff, badge, zelda, f"For {DISPLAY_NAME}'s jam tips.")
    moderation.hide_post(moderator, her_answer, f"{USERNAME} posted a link.")
    moderation.restore_post(moderator, her_answer, f"Fine after all, {DISPLAY_NAME}.")
    forums.edit_post(moderator, her_reply, f"So glad you like the {PHRASE}! (edited)")
    moderation.silence_member(moderator, zelda, utcnow() + timedelta(days=1),
                              f"{DISPLAY_NAME}, slow down.")
    moderation.unsilence_member(moderator, zelda, f"{USERNAME} calmed down.")
    moderation.suspend_member(moderator, zelda, utcnow() + timedelta(days=1),
                              f"{DISPLAY_NAME} needs a break ({EMAIL}).")
    moderation.unsuspend_member(moderator, zelda, f"Welcome back {USERNAME}.")
    accounts.issue_token(zelda, "Marmalade bot", "read")
    mail.queue_digest(olaf, "daily", utcnow() + timedelta(minutes=1))
    account_export(zelda)  # her data export is made on demand, never stored
    if "login_session" in Base.metadata.tables:  # a signed-in browser, named after her
        db.session.execute(Base.metadata.tables["login_session"].insert().values(
            user_id=zelda.id, key_hash="0" * 64, device=f"{DISPLAY_NAME}'s laptop",
            created_at=utcnow(), last_seen_at=utcnow()))
    moderation.silence_member(moderator, zelda, utcnow() + timedelta(days=2),
                              f"Again, {DISPLAY_NAME}.")  # still silenced when she leaves

    db.session.commit()
    data = {"zelda": zelda, "olaf": olaf, "thread": thread, "opener": opener, "poll": poll,
            "olaf_reply": olaf_reply, "her_reply": her_reply, "lonely": lonely,
            "question": question, "answer": answer, "her_answer": her_answer, "idea": idea,
            "olaf_question": olaf_question, "hook": hook, "staff_idea": staff_idea}
    return {k: v.id for k, v in data.items()}


def test_the_world_really_names_her_everywhere(world):
    """The fixture is worth something only if every kind of record names her first."""
    found = find_everywhere(*NEEDLES)
    tables = {needle: {place.split(".")[0] for place in places}
              for needle, places in found.items()}
    for table in ("user", "notification", "outbox_email", "webhook_delivery", "audit_entry",
                  "flag", "badge_award"):
        assert table in tables[DISPLAY_NAME] | tables[USERNAME], table
    assert DISPLAY_NAME in db.session.get(User, world["zelda"]).silenced_reason
    for table in ("post", "post_revision", "thread", "poll", "poll_option", "flag",
                  "csat_rating", "nps_response", "webhook_delivery", "notification",
                  "outbox_email"):
        assert table in tables[PHRASE], table
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) > 0
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) >= 6
    olaf_emails = db.session.scalars(select(OutboxEmail.body_text).where(
        OutboxEmail.user_id == world["olaf"])).all()
    assert any(DISPLAY_NAME in body for body in olaf_emails)


def _delete(world, mode):
    zelda = db.session.get(User, world["zelda"])
    with domain_events.capture() as recorded, publisher.capture() as sent:
        data_rights.delete_account(zelda, zelda, mode, PASSWORD)
    narrowed = [vars(e) for e in recorded if isinstance(e, domain_events.AccessNarrowed)]
    db.session.expire_all()
    assert {"user_id": world["zelda"], "thread_id": None, "forum_id": None} in narrowed
    return sent


def _others_kept(world):
    """What other members made is all still there and counted."""
    olaf_reply = db.session.get(Post, world["olaf_reply"])
    assert olaf_reply.state == PostState.PUBLISHED and "Agreed, thanks @deleted-" in olaf_reply.body
    assert f'href="/u/deleted-{world["zelda"]}"' in olaf_reply.html
    answer = db.session.get(Post, world["answer"])
    assert answer.state == PostState.PUBLISHED and answer.is_solution
    assert db.session.get(Thread, world["question"]).solved
    assert db.session.get(Thread, world["idea"]).score == 1  # Olaf's vote
    assert db.session.get(Thread, world["staff_idea"]).score == 1  # hers, without a name
    assert db.session.scalar(select(PollBallot.option_id).where(
        PollBallot.user_id == world["olaf"])) is not None
    assert db.session.scalar(select(func.count()).select_from(Flag).where(
        Flag.user_id == world["olaf"])) == 1
    note = db.session.scalar(select(Post).join(Thread).where(
        Thread.id == world["idea"], Post.official.is_(True)))
    assert note.state == PostState.PUBLISHED and f"@deleted-{world['zelda']}" in note.body
    olaf = db.session.get(User, world["olaf"])
    assert olaf.username == "olaf_b" and olaf.email == "olaf_b@example.com"
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == world["olaf"])) > 0
    assert db.session.get(User, world["zelda"]).silenced_until is None
    assert mismatches(db.engine) == []


def test_anonymise_leaves_her_words_but_not_her_name(world):
    _delete(world, "anonymise")
    found = find_everywhere(*NEEDLES)
    for needle in (USERNAME, DISPLAY_NAME, EMAIL):
        assert found[needle] == [], needle
    # Her words stay, under "Deleted user".
    assert found[PHRASE]
    opener = db.session.get(Post, world["opener"])
    assert opener.state == PostState.PUBLISHED and PHRASE in opener.body
    assert opener.author.name == data_rights.DELETED_NAME
    assert db.session.get(Thread, world["thread"]).title == f"Tasting {PHRASE}"
    assert db.session.get(Poll, world["poll"]).question == f"Best {PHRASE}?"
    # Olaf's quote of her keeps her words, credited to the new name.
    assert f"[quote=deleted-{world['zelda']} post={world['opener']}]" in \
        db.session.get(Post, world["olaf_reply"]).body
    assert PHRASE in db.session.get(Post, world["olaf_reply"]).body
    _others_kept(world)


def test_remove_leaves_neither_her_name_nor_her_words(world):
    forum_threads = db.session.get(Forum, db.session.get(Thread, world["lonely"]).forum_id)
    threads_before = forum_threads.thread_count
    sent = _delete(world, "remove")
    found = find_everywhere(*NEEDLES)
    assert found == {n: [] for n in NEEDLES}
    # Her posts are removed in place; threads others answered stay, under a placeholder.
    assert {p.state for p in db.session.scalars(select(Post).where(
        Post.author_id == world["zelda"]))} == {PostState.DELETED}
    thread = db.session.get(Thread, world["thread"])
    assert (thread.title, thread.state) == (data_rights.REMOVED_TITLE, "published")
    assert thread.reply_count == 1  # Olaf's reply
    olaf_reply = db.session.get(Post, world["olaf_reply"]).body
    assert data_rights.REMOVED_QUOTE in olaf_reply and "Agreed" in olaf_reply
    poll = db.session.get(Poll, world["poll"])
    assert poll.question == data_rights.REMOVED_POLL and poll.closes_at <= thread.created_at + \
        timedelta(days=1)
    assert [o.label for o in db.session.scalars(select(PollOption).where(
        PollOption.poll_id == poll.id).order_by(PollOption.position))] == ["Option 1", "Option 2"]
    # A thread of hers nobody answered goes out of sight, and out of the counts.
    assert db.session.get(Thread, world["lonely"]).state == "hidden"
    assert db.session.get(Forum, forum_threads.id).thread_count == threads_before - 1
    removed = {e.payload["post_id"] for e in sent if e.name == "post.removed"}
    assert world["opener"] in removed and world["her_answer"] in removed
    _others_kept(world)


def test_her_votes_stay_counted_without_a_name(world):
    _delete(world, "remove")
    assert db.session.scalar(select(ThreadVote.user_id).where(
        ThreadVote.thread_id == world["staff_idea"])) == world["zelda"]
    user = db.session.get(User, world["zelda"])
    assert (user.username, user.display_name, user.bio, user.points) == \
        (f"deleted-{world['zelda']}", "Deleted user", "", 0)


def test_pending_webhook_deliveries_stay_valid_json(world):
    _delete(world, "remove")
    for payload in db.session.scalars(select(WebhookDelivery.payload)):
        assert json.loads(payload)["data"] is not None


@pytest.mark.parametrize("mode", ["anonymise", "remove"])
def test_deleting_through_the_web_page(world, client_as, mode):
    zelda = db.session.get(User, world["zelda"])
    browser = client_as(zelda)
    token = csrf_token(browser, "/settings/data/delete")
    response = browser.post("/settings/data/delete", data={
        "csrf_token": token, "mode": mode, "password": PASSWORD})
    assert response.status_code == 302
    found = find_everywhere(*NEEDLES)
    for needle in (USERNAME, DISPLAY_NAME, EMAIL):
        assert found[needle] == [], needle
    assert bool(found[PHRASE]) == (mode == "anonymise")
    assert browser.get(f"/u/{USERNAME}").status_code == 404
    assert browser.get(f"/u/{USERNAME}/avatar.svg").status_code == 404
    assert browser.get(f"/t/{world['thread']}").status_code == 200  # Olaf's reply lives on
    assert mismatches(db.engine) == []


@pytest.mark.parametrize("mode", ["anonymise", "remove"])
def test_deleting_through_the_api(world, api_as, client, mode):
    zelda = db.session.get(User, world["zelda"])
    api = api_as(zelda)
    response = api.delete("/api/v1/me/account", json={"mode": mode, "password": PASSWORD})
    assert response.status_code == 204
    found = find_everywhere(*NEEDLES)
    for needle in (USERNAME, DISPLAY_NAME, EMAIL):
        assert found[needle] == [], needle
    assert bool(found[PHRASE]) == (mode == "anonymise")
    assert api.get("/api/v1/me").status_code == 401
    assert client.get(f"/api/v1/users/{USERNAME}").status_code == 404
    thread = client.get(f"/api/v1/threads/{world['thread']}").get_json()
    authors = {p["author"]["username"] for p in thread["posts"]}
    assert authors == {f"deleted-{world['zelda']}", "olaf_b"}
    assert mismatches(db.engine) == []


def test_only_her_mentions_and_quotes_follow_her_new_name(app):
    mia, mia_b, olaf = make_user("mia"), make_user("mia.b"), make_user("olaf_b")
    thread = forums.start_thread(mia, make_forum(), "Mia's stove", "It is red.")
    opener = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    body = (text.quote_reference("mia", opener.id, opener.body)
            + "\n\n@mia, @Mia. and @mia.b: email mia@example.org, see /u/mia.b")
    reply = forums.reply(olaf, thread, body)
    data_rights.delete_account(mia, mia, "remove", PASSWORD)
    db.session.expire_all()
    new = f"deleted-{mia.id}"
    body = db.session.get(Post, reply.id).body
    assert body.startswith(f"[quote={new} post={opener.id}]\n{data_rights.REMOVED_QUOTE}\n"
                           "[/quote]\n")
    assert body.endswith(f"\n@{new}, @{new}. and @mia.b: email mia@example.org, see /u/mia.b")
    assert db.session.get(User, mia_b.id).username == "mia.b"
