from datetime import timedelta

import pytest
from sqlalchemy import select

from community.errors import Forbidden, NotFound, ValidationError
from community.extensions import db
from community.models import Notification, OutboxEmail, Post, Role, ThreadFollow
from community.realtime import publisher, rooms
from community.models import utcnow
from community.domain_events import ModerationAction, RankReached, record
from community.services import (advocacy, feedback, follows, forums, moderation, notifications,
                                support)
from community.services.unit import use_case
from community.text import quote_reference

from ..factories import make_forum, make_reply, make_thread, make_user

# Advocacy awards badges (a first post…) and ranks as a side effect of writing: the tests
# about posts look at the kinds they are about.
POST_KINDS = ("reply", "mention", "quote", "new_thread", "question_solved", "answer_accepted",
              "idea_status", "moderation")


def about_posts(user=None) -> list[Notification]:
    stmt = select(Notification).where(Notification.kind.in_(POST_KINDS)).order_by(Notification.id)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    db.session.expire_all()
    return list(db.session.scalars(stmt))


def heard(user) -> list[tuple[str, int]]:
    return [(n.kind, n.count) for n in about_posts(user)]


@pytest.fixture
def forum(app):
    return make_forum()


# --- replies, following and consolidation ---------------------------------------------------

def test_a_reply_notifies_the_watchers_once_but_not_its_author(forum, member, moderator):
    thread = make_thread(member, forum, title="Tent seams")
    watcher = make_user("walt")
    follows.follow_thread(watcher, thread)
    make_reply(moderator, thread, "Use seam grip.")
    assert heard(member) == [("reply", 1)]
    assert heard(watcher) == [("reply", 1)]
    assert heard(moderator) == []  # the actor, though replying made them a watcher
    [n] = about_posts(member)
    assert n.message == "moe replied in “Tent seams”."
    assert n.actor_id == moderator.id and n.thread_id == thread.id


def test_replies_consolidate_into_one_unread_notification(forum, member, moderator):
    thread = make_thread(member, forum, title="Stoves")
    first = make_reply(moderator, thread, "one")
    make_reply(make_user("otto"), thread, "two")
    make_reply(moderator, thread, "three")
    [n] = about_posts(member)
    assert (n.count, n.message) == (3, "3 new posts in “Stoves”.")
    assert n.post_id == first.id  # the link leads to the first new post
    notifications.mark_read(member, [n.id])
    make_reply(moderator, thread, "four")
    assert heard(member) == [("reply", 3), ("reply", 1)]


def test_tracking_and_muted_threads_hear_no_replies(forum, member, moderator):
    thread = make_thread(member, forum)
    follows.follow_thread(member, thread, "tracking")
    tracker, muter = make_user("tracy"), make_user("mute")
    follows.follow_thread(tracker, thread, "tracking")
    follows.follow_thread(muter, thread, "muted")
    make_reply(moderator, thread)
    assert about_posts() == []


def test_auto_follow_is_the_members_choice(forum, member, moderator):
    member.auto_follow = False
    db.session.commit()
    thread = make_thread(member, forum)
    make_reply(member, make_thread(moderator, forum, title="Another thread"), "me too")
    assert db.session.scalar(select(ThreadFollow).where(ThreadFollow.user_id == member.id)) is None
    make_reply(moderator, thread)
    assert heard(member) == []


def test_watching_a_forum_hears_new_threads_and_posts_unless_a_thread_says_otherwise(
        forum, member, moderator):
    fan = make_user("fan")
    follows.follow_forum(fan, forum, "watching")
    first = make_thread(member, forum, title="First")
    make_thread(member, forum, title="Second")
    assert heard(fan) == [("new_thread", 2)]
    [n] = about_posts(fan)
    assert n.message == "2 new threads in General." and n.thread_id == first.id
    notifications.mark_read(fan, everything=True)
    make_reply(moderator, first, "hello")
    assert heard(fan)[-1] == ("reply", 1)
    follows.follow_thread(fan, first, "muted")
    notifications.mark_read(fan, everything=True)
    make_reply(moderator, first, "again")
    assert [n.read_at is None for n in about_posts(fan)] == [False, False]


def test_a_muted_forum_silences_mentions(forum, member, moderator):
    follows.follow_forum(member, forum, "muted")
    make_thread(moderator, forum, body="Hey @mia, look")
    assert heard(member) == []


def test_forum_follows_need_a_forum_one_can_see(member, moderator):
    private = make_forum("staff-room", private=True)
    with pytest.raises(Forbidden):
        follows.follow_forum(member, private)
    with pytest.raises(ValidationError):
        follows.follow_forum(moderator, private, "loud")
    assert follows.follow_forum(moderator, private, "tracking").level == "tracking"
    assert follows.follow_forum(moderator, private, "watching").level == "watching"
    follows.unfollow_forum(moderator, private)
    make_thread(member, make_forum("open"))
    assert heard(moderator) == []


# --- mentions and quotes --------------------------------------------------------------------

def test_a_mention_wins_over_a_reply_for_the_same_post(forum, member, moderator):
    thread = make_thread(member, forum, title="Boots")
    make_reply(moderator, thread, "@mia try half a size up, and @moe is me")
    assert heard(member) == [("mention", 1)]
    [n] = about_posts(member)
    assert n.message == "moe mentioned you in “Boots”."


def test_a_mention_added_by_an_edit_notifies_once(forum, member, moderator):
    thread = make_thread(member, forum, title="Boots")
    otto = make_user("otto")
    reply = make_reply(moderator, thread, "Ask @mia")
    forums.edit_post(moderator, reply, "Ask @mia or @otto")
    forums.edit_post(moderator, reply, "Ask @mia or @otto, both know boots")
    assert heard(otto) == [("mention", 1)]
    assert heard(member) == [("mention", 1)]  # mentioned before the edit: told once
    [n] = about_posts(otto)
    assert n.message == "moe mentioned you in “Boots”." and n.post_id == reply.id


def test_mentions_in_an_opening_post(forum, member, moderator):
    make_thread(moderator, forum, body="Welcome @mia and @Otto_K!")
    otto = make_user("Otto_K")  # mentions resolve at writing time: otto did not exist yet
    assert heard(member) == [("mention", 1)] and heard(otto) == []


def test_no_notification_about_content_one_cannot_see(member, moderator, staff):
    private = make_forum("staff-room", private=True)
    thread = make_thread(moderator, private, body="Should we tell @mia? @stella?")
    assert heard(member) == []
    assert heard(staff) == [("mention", 1)]
    # Following a thread that later moved into a private forum tells nothing either.
    public = make_thread(moderator, make_forum("open"), title="Moves soon")
    follows.follow_thread(member, public)
    forums.update_thread(moderator, public, forum=private)
    make_reply(staff, public, "in private now")
    make_reply(staff, thread, "@mia still nothing")
    assert heard(member) == []


def test_a_quote_notifies_the_quoted_author(forum, member, moderator):
    thread = make_thread(member, forum, title="Maps")
    otto = make_user("otto")
    answer = make_reply(otto, thread, "Paper maps never run out of battery.")
    make_reply(moderator, thread, quote_reference("otto", answer.id, answer.body) + "So true.")
    assert heard(otto) == [("quote", 1)]
    assert about_posts(otto)[0].message == "moe quoted your post in “Maps”."
    # Quoting oneself tells no one anything new.
    make_reply(otto, thread, quote_reference("otto", answer.id, answer.body) + "As I said.")
    assert heard(otto) == [("quote", 1)]


# --- solutions, ideas, badges, ranks, moderation --------------------------------------------

def test_accepted_answers_tell_the_answerer_and_the_asker(member, moderator, staff):
    question = make_thread(member, make_forum("help", kind="support"), title="Zip stuck")
    answer = make_reply(moderator, question, "Wax it.")
    notifications.mark_read(member, everything=True)
    support.accept_solution(member, question, answer)
    assert heard(moderator) == [("answer_accepted", 1)]
    assert about_posts(moderator)[0].message == \
        "mia accepted your reply in “Zip stuck” as the solution."
    assert heard(member) == [("reply", 1)]  # the asker accepted: nothing new for them

    other = make_reply(make_user("otto"), question, "Or graphite.")
    support.accept_solution(staff, question, other)
    assert [k for k, _ in heard(member)][-1] == "question_solved"
    assert about_posts(member)[-1].message == \
        "stella accepted an answer to your question “Zip stuck”."


def test_idea_status_reaches_voters_and_followers_once_each(member, staff):
    ideas = make_forum("ideas", kind="ideas")
    idea = make_thread(member, ideas, title="Solar lantern")
    voter, watcher, muted = make_user("vera"), make_user("walt"), make_user("mute")
    feedback.vote_thread(voter, idea, 1)
    follows.follow_thread(watcher, idea)
    feedback.vote_thread(muted, idea, 1)
    follows.follow_thread(muted, idea, "muted")
    feedback.set_idea_status(staff, idea, "planned", "Spring.")
    # The status note is also a new post for watchers: they hear of the status only.
    for user in (member, voter, watcher):
        assert heard(user) == [("idea_status", 1)]
    assert heard(muted) == [] and heard(staff) == []
    feedback.set_idea_status(staff, idea, "shipped")
    [n] = about_posts(voter)
    assert (n.count, n.message) == (2, "stella marked “Solar lantern” as Shipped.")


def test_badges_and_ranks(member, staff):
    badge = advocacy.create_badge(make_user("boss", role=Role.ADMIN), "trail-hero", "Trail hero")
    advocacy.grant_badge(staff, badge, member, "Led the spring clean-up.")

    @use_case
    def reach_rank():
        record(RankReached(member, "Contributor"))

    reach_rank()
    db.session.expire_all()
    messages = {n.kind: n.message for n in db.session.scalars(
        select(Notification).where(Notification.user_id == member.id))}
    assert messages["badge"] == "You earned the “Trail hero” badge: Led the spring clean-up."
    assert messages["rank"] == "You reached the rank of Contributor. Thank you for helping!"


def test_moderator_actions_tell_the_author_with_the_reason(forum, member, moderator):
    thread = make_thread(member, forum, title="Sale!!")
    post = make_reply(member, thread, "Buy my stove, cheap")
    moderation.hide_post(moderator, post, "Advertising is not allowed.")
    moderation.suspend_member(moderator, member, utcnow() + timedelta(days=3), "Spamming.")
    forums.delete_post(moderator, thread_post(thread))
    messages = [n.message for n in about_posts(member)]
    assert messages[:2] == [
        "A moderator hid your post in “Sale!!”. Reason: Advertising is not allowed.",
        "A moderator suspended your account. Reason: Spamming."]
    assert messages[2:] == ["A moderator removed your post in “Sale!!”."]
    # The link leads to the post, hidden or not: it is the member's own content.
    assert about_posts(member)[0].post_id == post.id
    # She was not online: the reason reached her by email too.
    emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "moderation")
                                .order_by(OutboxEmail.id)).all()
    assert len(emails) == 3 and {e.to_address for e in emails} == {"mia@example.com"}
    assert "Reason: Advertising is not allowed." in emails[0].body_text
    assert "> Buy my stove, cheap" in emails[0].body_text and "wrote:" not in emails[0].body_text


def test_ones_own_moderator_action_tells_no_one(forum, moderator):
    thread = make_thread(moderator, forum)

    @use_case
    def act():
        record(ModerationAction("edit_post", moderator, moderator, thread_post(thread), ""))

    act()
    assert about_posts() == []


def thread_post(thread):
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))


# --- delivery: rollback, live events, preferences, email -------------------------------------

def test_a_rolled_back_post_notifies_no_one(forum, member, moderator):
    thread = make_thread(member, forum)

    @use_case
    def reply_then_fail():
        forums.reply(moderator, thread, "@mia this will not happen")
        raise RuntimeError("boom")

    with publisher.capture() as sent, pytest.raises(RuntimeError):
        reply_then_fail()
    assert about_posts() == [] and [e for e in sent if e.name == "notification"] == []
    assert db.session.query(OutboxEmail).count() == 0


def test_the_live_event_carries_the_notification_and_the_unread_count(app, forum, member,
                                                                      moderator):
    thread = make_thread(member, forum, title="Live")
    app.extensions["presence"].user_connected(member.id, "her-socket")
    notifications.mark_read(member, everything=True)  # her first-post badge
    with publisher.capture() as sent:
        make_reply(moderator, thread, "first")
        make_reply(moderator, thread, "@mia second")
    events = [e for e in sent if e.name == "notification" and e.rooms == (f"user:{member.id}",)]
    assert [e.payload["unread"] for e in events] == [1, 2]
    assert all(e.rooms != (f"user:{member.id}",) for e in sent if e.name != "notification")
    first = events[0].payload["notification"]
    assert first["kind"] == "reply" and first["read"] is False and first["count"] == 1
    assert first["actor"]["username"] == "moe" and first["url"].startswith("/p/")

    with publisher.capture() as sent:
        assert notifications.mark_read(member, everything=True) == 0
    assert [(e.name, e.payload) for e in sent] == [
        ("notification", {"notification": None, "unread": 0})]


def test_mark_read_touches_only_ones_own_notifications(forum, member, moderator):
    mine = make_thread(member, forum, title="Mine")
    theirs = make_thread(moderator, forum, title="Theirs", body="Hi @mia")
    make_reply(moderator, mine, "a reply for mia")
    make_reply(member, theirs, "a reply for moe")
    assert heard(member) == [("mention", 1), ("reply", 1)] and heard(moderator) == [("reply", 1)]
    [for_moe] = about_posts(moderator)
    unread = notifications.unread_counts([member.id])[member.id]
    assert notifications.mark_read(member, [for_moe.id]) == unread
    assert notifications.mark_read(member, [about_posts(member)[0].id]) == unread - 1
    assert about_posts(moderator)[0].read_at is None
    with pytest.raises(ValidationError):
        notifications.mark_read(member, [])
    with pytest.raises(ValidationError):
        notifications.mark_read(member, ["1"])


def test_opening_a_notification_marks_it_read(forum, member, moderator):
    thread = make_thread(member, forum)
    post = make_reply(moderator, thread)
    [n] = about_posts(member)
    assert notifications.open_notification(member, n.id) == f"/p/{post.id}"
    db.session.refresh(n)
    assert n.read_at is not None
    with pytest.raises(NotFound):
        notifications.open_notification(moderator, n.id)


def test_preferences_turn_kinds_off_in_the_app_and_by_email(forum, member, moderator):
    notifications.set_preferences(member, member, kinds={"reply": {"in_app": False},
                                                         "mention": {"email": False}})
    prefs = notifications.preferences_of(member)
    assert prefs["reply"] == {"in_app": False, "email": True}
    assert prefs["mention"] == {"in_app": True, "email": False}
    assert prefs["badge"] == {"in_app": True, "email": False}  # in the app only
    thread = make_thread(member, forum, title="Prefs")
    make_reply(moderator, thread, "a reply")
    make_reply(moderator, thread, "@mia a mention")
    assert heard(member) == [("mention", 1)]
    # The reply still came by email (the member is offline); the mention did not.
    emailed = select(OutboxEmail.kind).where(OutboxEmail.user_id == member.id)
    assert db.session.scalars(emailed).all() == ["reply"]


def test_preferences_are_validated_and_ones_own(member, moderator):
    with pytest.raises(ValidationError) as exc:
        notifications.set_preferences(member, member, kinds={"gossip": {"email": True},
                                                             "badge": {"email": True},
                                                             "reply": {"in_app": "yes"}},
                                      digest="hourly")
    assert set(exc.value.fields) == {"kinds.gossip", "kinds.badge", "kinds.reply", "digest"}
    with pytest.raises(Forbidden):
        notifications.set_preferences(moderator, member, digest="off")
    notifications.set_preferences(member, member, digest="daily", auto_follow=False)
    db.session.refresh(member)
    assert (member.digest, member.auto_follow) == ("daily", False)


def test_email_goes_to_offline_members_once_per_unread_notification(app, forum, member, moderator,
                                                                    monkeypatch):
    thread = make_thread(member, forum, title="Email me")
    make_reply(moderator, thread, "one")
    make_reply(moderator, thread, "two")  # bumps the unread notification: no second email
    emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == member.id)).all()
    assert [(e.kind, e.to_address) for e in emails] == [("reply", "mia@example.com")]
    assert emails[0].subject == "[Community] moe replied in “Email me”."

    app.extensions["presence"].user_connected(member.id, "her-socket")
    make_reply(moderator, thread, "@mia online now")
    assert db.session.query(OutboxEmail).count() == 1  # she saw the bell instead


def test_live_notifications_go_only_to_members_with_a_socket_open(app, forum, member, moderator):
    watcher = make_user("wes")
    thread = make_thread(member, forum, title="Watched")
    follows.follow_thread(watcher, thread, "watching")
    app.extensions["presence"].user_connected(member.id, "her-socket")
    with publisher.capture() as sent:
        make_reply(moderator, thread, "Both are told")
    told = [evt.rooms for evt in sent if evt.name == "notification"]
    assert told == [(rooms.user(member.id),)]  # wes is offline: his bell shows it next page
    stored = {n.user_id for n in db.session.scalars(select(Notification))}
    assert {member.id, watcher.id} <= stored


def test_a_post_hidden_by_flags_does_not_blame_a_moderator(app, moderator):
    author = make_user("troll")
    post = make_reply(author, make_thread(moderator, make_forum("lounge")), "Spammy reply")
    flaggers = [make_user(f"flagger{i}") for i in range(3)]
    flaggers[0].trust_level = 2  # weighs 2: three flags reach the weight that hides
    db.session.commit()
    for flagger in flaggers:
        moderation.flag_post(flagger, post, "spam")
    [notice] = db.session.query(Notification).filter_by(user_id=author.id, kind="moderation").all()
    assert "moderator" not in notice.message.split(".")[0].lower()
    assert notice.message.startswith("Members' flags hid your post")
