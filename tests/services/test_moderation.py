"""Screening, the review queue, flags, member and thread tools, and the audit log."""

import json
from contextlib import contextmanager
from datetime import timedelta

import pytest

from community.errors import Conflict, Forbidden, NotFound, ValidationError
from community.extensions import db
from community.models import AuditEntry, Flag, Post, PostState, ReviewItem, Role, utcnow
from community.permissions import can
from community.queries import forums as q
from community.queries import moderation as qm
from community.realtime import publisher
from community import domain_events
from community.services import feedback, forums, moderation

from ..factories import make_forum, make_reply, make_thread, make_user

LINKY = "Great deals at https://cheap.example and https://cheaper.example!"


@pytest.fixture
def auto(app_factory):
    """An app with the automatic rules on, as in production."""
    return app_factory(AUTO_MODERATION=True)


def established(name="olga", level=2):
    user = make_user(name)
    user.trust_level = level
    db.session.commit()
    return user


@contextmanager
def moderation_actions():
    """Collect the ModerationAction events recorded while the block runs (once it has run)."""
    seen = []
    with domain_events.capture() as recorded:
        yield seen
    seen.extend(e for e in recorded if isinstance(e, domain_events.ModerationAction))


def public(events):
    """What went to rooms anyone may follow (threads, forums)."""
    return [(e.name, e.rooms) for e in events
            if any(r.startswith(("thread:", "forum:")) for r in e.rooms)]


def names(events):
    """The events, leaving out what other parts add (notifications, badges, points)."""
    return [e.name for e in events
            if e.name not in ("notification", "badge.awarded", "leaderboard.changed")]


def counters(thread):
    db.session.refresh(thread)
    db.session.refresh(thread.forum)
    return thread.reply_count, thread.forum.thread_count, thread.forum.post_count


def audit_actions():
    return [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]


# --- screening ---------------------------------------------------------------------------------

def test_a_new_members_linky_reply_waits_while_an_established_one_goes_out(auto):
    forum = make_forum()
    regular, newbie, mod = established(), make_user("newbie"), make_user("moe", Role.MODERATOR)
    thread = make_thread(regular, forum)
    with publisher.capture() as sent:
        held = forums.reply(newbie, thread, LINKY)
    assert held.state == PostState.PENDING
    assert counters(thread) == (0, 1, 1)
    assert public(sent) == []
    assert [(e.name, e.rooms) for e in sent if e.name != "notification"] == \
        [("moderation.item", ("moderation",))]
    item = db.session.query(ReviewItem).one()
    assert item.kind == "pending" and item.post_id == held.id
    assert "New member" in item.reason and "Links" in item.reason
    assert sent[0].payload["item"]["author"]["trust_level"] == 0

    with publisher.capture() as sent:
        instant = forums.reply(regular, thread, LINKY)
    assert instant.state == PostState.PUBLISHED
    assert names(sent) == ["post.created", "thread.updated"]
    assert counters(thread) == (1, 1, 2)

    with publisher.capture() as sent, moderation_actions() as actions:
        moderation.act_on_item(mod, item, "approve")
    db.session.refresh(held)
    assert held.state == PostState.PUBLISHED and held.author.post_count == 1
    assert counters(thread) == (2, 1, 3)
    assert names(sent) == ["post.created", "thread.updated", "moderation.item"]
    assert next(e for e in sent if e.name == "post.created").payload["post"]["id"] == held.id
    assert next(e for e in sent if e.name == "moderation.item").payload["item"]["status"] == \
        "resolved"
    assert [(a.action, a.target_user.username) for a in actions] == [("approve", "newbie")]
    assert audit_actions() == ["approve"]


def test_a_held_thread_is_seen_by_its_author_and_moderators_only(app, member, moderator):
    forum = make_forum()
    forum.premoderated = True
    db.session.commit()
    with publisher.capture() as sent:
        thread = forums.start_thread(member, forum, "My first question", "How do I pitch it?")
    assert thread.state == "pending" and public(sent) == []
    assert counters(thread) == (0, 0, 0)
    other = make_user("otto")
    for viewer, sees in ((member, True), (moderator, True), (other, False)):
        listed = [t.id for t in q.forum_threads(viewer, forum).items]
        assert (thread.id in listed) == sees
        if not sees:
            with pytest.raises(NotFound):
                q.get_thread(viewer, thread.id)
    assert q.forum_threads(member, forum).total == 1
    assert q.forum_threads(other, forum).total == 0
    assert q.forum_index(other)[0].latest is None

    item = qm.open_item_for(thread_opening(thread))
    assert "Pre-moderated forum" in item.reason
    with publisher.capture() as sent:
        moderation.act_on_item(moderator, item, "approve")
    db.session.refresh(thread)
    assert thread.state == "published" and counters(thread) == (0, 1, 1)
    assert public(sent) == [("thread.created", ("forum:general",))]
    assert [t.id for t in q.forum_threads(other, forum).items] == [thread.id]


def thread_opening(thread):
    return db.session.query(Post).filter_by(thread_id=thread.id, number=1).one()


def test_replies_to_a_held_thread_wait_for_it(app, member, moderator):
    forum = make_forum()
    forum.premoderated = True
    db.session.commit()
    thread = forums.start_thread(member, forum, "Held question", "Body text here")
    reply = forums.reply(member, thread, "Some more detail")
    assert reply.state == PostState.PENDING
    item = qm.open_item_for(reply)
    with pytest.raises(Conflict, match="approve its opening post first"):
        moderation.act_on_item(moderator, item, "approve")
    moderation.act_on_item(moderator, qm.open_item_for(thread_opening(thread)), "approve")
    moderation.act_on_item(moderator, qm.get_item(item.id), "approve")
    assert counters(thread) == (1, 1, 2)


def test_rejected_content_never_goes_out(app, member, moderator):
    forum = make_forum()
    thread = make_thread(moderator, forum)
    forum.premoderated = True
    db.session.commit()
    held = forums.reply(member, thread, "Please review me")
    item = qm.open_item_for(held)
    with publisher.capture() as sent:
        moderation.act_on_item(moderator, item, "reject", reason="Off topic")
    db.session.refresh(held)
    assert held.state == PostState.DELETED and public(sent) == []
    assert counters(thread) == (0, 1, 1)
    entry = db.session.query(AuditEntry).one()
    assert (entry.action, entry.target_type, entry.target_id, entry.reason) == \
        ("reject", "post", held.id, "Off topic")
    assert json.loads(entry.details)["before"] == {"state": "pending"}
    assert json.loads(entry.details)["after"] == {"state": "deleted"}


def test_an_item_is_handled_once(app, member, moderator):
    forum = make_forum()
    forum.premoderated = True
    db.session.commit()
    thread = forums.start_thread(member, forum, "Held question", "Body text here")
    item = qm.open_item_for(thread_opening(thread))
    moderation.act_on_item(moderator, item, "approve")
    other = make_user("mona", Role.MODERATOR)
    for action in ("approve", "reject", "hide", "claim"):
        with pytest.raises(Conflict, match="handled already"):
            moderation.act_on_item(other, qm.get_item(item.id), action)
    assert audit_actions() == ["approve"]
    with pytest.raises(ValidationError):
        moderation.act_on_item(moderator, item, "destroy")


def test_a_claimed_item_is_left_to_its_claimant_for_a_while(app, member, moderator):
    forum = make_forum()
    forum.premoderated = True
    db.session.commit()
    thread = forums.start_thread(member, forum, "Held question", "Body text here")
    item = qm.open_item_for(thread_opening(thread))
    other = make_user("mona", Role.MODERATOR)
    with publisher.capture() as sent:
        moderation.act_on_item(moderator, item, "claim")
    assert sent[0].payload["item"]["claimed_by"] == "moe"
    with pytest.raises(Conflict, match="moe is reviewing"):
        moderation.act_on_item(other, qm.get_item(item.id), "reject")
    # A claim lapses, so an abandoned item does not stay stuck.
    item.claimed_at = utcnow() - timedelta(minutes=11)
    db.session.commit()
    moderation.act_on_item(other, qm.get_item(item.id), "reject")
    db.session.refresh(item)
    assert item.resolution == "rejected" and item.resolved_by_id == other.id


def test_members_cannot_work_the_queue(app, member, moderator):
    forum = make_forum()
    forum.premoderated = True
    db.session.commit()
    thread = forums.start_thread(member, forum, "Held question", "Body text here")
    with pytest.raises(Forbidden):
        moderation.act_on_item(member, qm.open_item_for(thread_opening(thread)), "approve")
    db.session.refresh(thread)
    assert thread.state == "pending"


def test_watched_words_block_hold_or_replace(app, member, admin):
    forum = make_forum()
    thread = make_thread(admin, forum)
    moderation.add_watched_word(admin, "scam*", "block")
    moderation.add_watched_word(admin, "crypto", "hold")
    moderation.add_watched_word(admin, "darn", "replace", "d**n")
    with pytest.raises(ValidationError) as refused:
        forums.reply(member, thread, "This is a SCAMMER site")
    assert "scam*" in refused.value.fields["body"]
    with pytest.raises(ValidationError) as refused:
        forums.start_thread(member, forum, "Scam alert title", "Normal body")
    assert "title" in refused.value.fields
    held = forums.reply(member, thread, "Buy crypto now")
    assert held.state == PostState.PENDING
    assert "crypto" in qm.open_item_for(held).reason
    replaced = forums.reply(member, thread, "Darn, it leaks")
    assert replaced.state == PostState.PUBLISHED and replaced.body == "d**n, it leaks"
    assert db.session.query(Post).count() == 3
    with pytest.raises(Conflict):
        moderation.add_watched_word(admin, "Crypto", "block")
    with pytest.raises(Forbidden):
        moderation.add_watched_word(make_user("moe", Role.MODERATOR), "word", "block")
    moderation.remove_watched_word(admin, qm.watched_words()[0])
    assert [w.word for w in qm.watched_words()] == ["darn", "scam*"]


def test_edits_cannot_sneak_in_what_a_post_could_not_carry(auto):
    forum = make_forum()
    newbie = make_user("newbie")
    newbie.post_count = 5  # past the first-posts review
    thread = make_thread(established(), forum)
    post = forums.reply(newbie, thread, "An innocent reply")
    assert post.state == PostState.PUBLISHED
    with pytest.raises(ValidationError, match="review"):
        forums.edit_post(newbie, post, "Now with https://spam.example")
    db.session.refresh(post)
    assert post.body == "An innocent reply"


def test_low_effort_replies_become_a_vote_suggestion_or_wait(app_factory):
    app = app_factory(AUTO_MODERATION=True)
    regular = established()
    thread = make_thread(regular, make_forum())
    member = established("mia")
    with pytest.raises(ValidationError) as refused:
        forums.reply(member, thread, "+1")
    assert "Helpful vote" in refused.value.fields["body"]
    app.config["LOW_EFFORT_ACTION"] = "hold"
    held = forums.reply(member, thread, "Thanks!")
    assert held.state == PostState.PENDING
    assert "Low effort" in qm.open_item_for(held).reason


def test_duplicates_and_fast_posting_are_held(auto):
    member = established("mia", level=1)
    thread = make_thread(established(), make_forum())
    first = forums.reply(member, thread, "Buy my boots, best price")
    assert first.state == PostState.PUBLISHED
    again = forums.reply(member, thread, "Buy my boots, best price")
    assert again.state == PostState.PENDING
    reasons = qm.open_item_for(again).reason
    assert "Duplicate" in reasons and "Posting too fast" in reasons


def test_moderators_are_not_screened(auto):
    mod = make_user("moe", Role.MODERATOR)
    thread = make_thread(mod, make_forum())
    assert forums.reply(mod, thread, LINKY).state == PostState.PUBLISHED


# --- flags ---------------------------------------------------------------------------------------

def test_flags_are_once_per_member_and_never_on_ones_own_post(app, member, moderator):
    thread = make_thread(moderator, make_forum())
    post = make_reply(moderator, thread, "Something rude")
    flag = moderation.flag_post(member, post, "abusive", "Name-calling")
    assert (flag.reason, flag.note, flag.weight) == ("abusive", "Name-calling", 1)
    with pytest.raises(Conflict):
        moderation.flag_post(member, post, "spam")
    with pytest.raises(Forbidden):
        moderation.flag_post(moderator, post, "spam")
    with pytest.raises(ValidationError):
        moderation.flag_post(make_user("otto"), post, "other")  # "other" needs a note
    with pytest.raises(ValidationError):
        moderation.flag_post(make_user("ugo"), post, "boring")
    assert db.session.query(Flag).count() == 1
    item = db.session.query(ReviewItem).one()
    assert item.kind == "flagged" and "abusive or harassing ×1 (weight 1)" in item.reason


def test_enough_weighted_flags_hide_a_post_until_a_moderator_decides(app, moderator):
    author = make_user("troll")
    thread = make_thread(moderator, make_forum())
    post = make_reply(author, thread, "Spammy reply")
    flaggers = [make_user(f"flagger{i}") for i in range(3)]
    flaggers[0].trust_level = 2  # weighs 2
    db.session.commit()
    for flagger in flaggers[:2]:
        moderation.flag_post(flagger, post, "spam")
    assert post.state == PostState.PUBLISHED  # weight 3 of 4
    with publisher.capture() as sent:
        moderation.flag_post(flaggers[2], post, "spam")
    db.session.refresh(post)
    assert post.state == PostState.HIDDEN and counters(thread) == (0, 1, 1)
    assert ("post.removed", (f"thread:{thread.id}",)) in public(sent)
    item = db.session.query(ReviewItem).one()
    assert "Hidden automatically" in item.reason
    assert audit_actions() == ["auto_hide"]
    with pytest.raises(Forbidden):  # nothing left to flag
        moderation.flag_post(make_user("late"), post, "spam")

    with publisher.capture() as sent:
        moderation.act_on_item(moderator, item, "approve", reason="Not spam")
    db.session.refresh(post)
    assert post.state == PostState.PUBLISHED and counters(thread) == (1, 1, 2)
    assert {name for name, _ in public(sent)} == {"post.updated", "thread.updated"}
    assert db.session.query(Flag).filter(Flag.resolved_at.is_(None)).count() == 0


# --- hiding, restoring, deleting -------------------------------------------------------------------

def test_hiding_and_restoring_keep_the_counters(app, member, moderator):
    forum = make_forum()
    thread = make_thread(member, forum)
    reply = make_reply(member, thread, "A reply")
    other = make_thread(member, forum, title="Another thread")
    assert counters(thread) == (1, 2, 3)
    with publisher.capture() as sent, moderation_actions() as actions:
        moderation.hide_post(moderator, reply, "Rude")
    assert counters(thread) == (0, 2, 2)
    assert public(sent) == [("post.removed", (f"thread:{thread.id}",))]
    assert actions[0].action == "hide" and actions[0].post is reply
    with pytest.raises(Conflict):
        moderation.hide_post(moderator, reply)
    moderation.restore_post(moderator, reply)
    assert counters(thread) == (1, 2, 3)

    # Hiding an opening post takes its thread, and the thread's posts, out of sight.
    moderation.hide_post(moderator, thread_opening(thread))
    db.session.refresh(thread)
    assert thread.state == "hidden" and counters(thread) == (1, 1, 1)
    with pytest.raises(NotFound):
        q.get_thread(member, thread.id)
    assert q.get_thread(moderator, thread.id) is thread
    assert [t.id for t in q.forum_threads(member, forum).items] == [other.id]
    moderation.restore_post(moderator, thread_opening(thread))
    db.session.refresh(thread)
    assert thread.state == "published" and counters(thread) == (1, 2, 3)
    assert audit_actions() == ["hide", "restore", "hide", "restore"]


def test_deleting_a_held_post_withdraws_it_from_the_queue(app, member, moderator):
    forum = make_forum()
    thread = make_thread(moderator, forum)
    forum.premoderated = True
    db.session.commit()
    held = forums.reply(member, thread, "Never mind")
    forums.delete_post(member, held)
    item = db.session.query(ReviewItem).one()
    assert (item.status, item.resolution) == ("resolved", "withdrawn")
    assert counters(thread) == (0, 1, 1)


def test_moderators_editing_and_curating_are_logged(app, member, moderator):
    forum, elsewhere = make_forum(), make_forum("other")
    thread = make_thread(member, forum)
    forums.edit_post(moderator, thread_opening(thread), "Edited by a moderator")
    forums.update_thread(moderator, thread, pinned=True, forum=elsewhere)
    forums.update_thread(member, thread, title="The author's own change")
    forums.delete_post(moderator, make_reply(member, thread, "Bad reply"))
    entries = db.session.query(AuditEntry).order_by(AuditEntry.id).all()
    assert [e.action for e in entries] == ["edit_post", "curate_thread", "delete_post"]
    assert json.loads(entries[1].details)["before"] == {"forum": "general", "pinned": False}
    assert json.loads(entries[1].details)["after"] == {"forum": "other", "pinned": True}


# --- member tools --------------------------------------------------------------------------------

def test_suspending_a_member_makes_them_read_only_and_tells_them_why(app, member, moderator):
    until = utcnow() + timedelta(days=3)
    with moderation_actions() as actions:
        moderation.suspend_member(moderator, member, until, "Spamming links")
    db.session.refresh(member)
    assert member.is_suspended() and member.suspended_reason == "Spamming links"
    assert actions[0].action == "suspend" and actions[0].target_user is member
    thread = make_thread(moderator, make_forum())
    with pytest.raises(Forbidden, match="until .* Reason: Spamming links"):
        forums.reply(member, thread, "Let me post")
    assert can(member, "view_forum", thread.forum)
    moderation.unsuspend_member(moderator, member, "Appeal accepted")
    db.session.refresh(member)
    assert not member.is_suspended()
    assert forums.reply(member, thread, "Thanks for listening").state == PostState.PUBLISHED
    entries = db.session.query(AuditEntry).order_by(AuditEntry.id).all()
    assert [(e.action, e.target_type, e.target_id) for e in entries] == [
        ("suspend_member", "user", member.id), ("unsuspend_member", "user", member.id)]
    assert json.loads(entries[0].details)["after"]["reason"] == "Spamming links"


@pytest.mark.parametrize("actor_role, target_role, allowed", [
    (Role.MODERATOR, Role.MEMBER, True),
    (Role.MODERATOR, Role.MODERATOR, False),
    (Role.MODERATOR, Role.STAFF, False),
    (Role.MODERATOR, Role.ADMIN, False),
    (Role.STAFF, Role.MODERATOR, True),
    (Role.ADMIN, Role.STAFF, True),
    (Role.ADMIN, Role.ADMIN, False),
    (Role.MEMBER, Role.MEMBER, False),
])
def test_nobody_suspends_their_equals_or_betters(app, actor_role, target_role, allowed):
    actor, target = make_user("actor", actor_role), make_user("target", target_role)
    until = utcnow() + timedelta(days=1)
    if allowed:
        moderation.suspend_member(actor, target, until, "Reason")
    else:
        with pytest.raises(Forbidden):
            moderation.suspend_member(actor, target, until, "Reason")
    db.session.refresh(target)
    assert target.is_suspended() == allowed


def test_suspension_input_is_checked(app, member, moderator):
    with pytest.raises(ValidationError, match="yourself"):
        moderation.suspend_member(moderator, moderator, utcnow() + timedelta(days=1), "Oops")
    with pytest.raises(ValidationError):
        moderation.suspend_member(moderator, member, utcnow() - timedelta(days=1), "Past")
    with pytest.raises(ValidationError):
        moderation.suspend_member(moderator, member, utcnow() + timedelta(days=1), "  ")
    with pytest.raises(Conflict):
        moderation.unsuspend_member(moderator, member)
    assert audit_actions() == []


def test_a_silenced_member_reads_and_votes_but_does_not_post(app, member, moderator):
    thread = make_thread(moderator, make_forum())
    answer = make_reply(moderator, thread, "An answer")
    moderation.silence_member(moderator, member, utcnow() + timedelta(days=1), "Cool off")
    with pytest.raises(Forbidden, match="silenced until .*Cool off"):
        forums.reply(member, thread, "I insist")
    with pytest.raises(Forbidden, match="silenced"):
        forums.start_thread(member, thread.forum, "New thread", "Body")
    assert feedback.vote_post(member, answer, 1) == 1
    moderation.unsilence_member(moderator, member)
    with pytest.raises(Conflict):
        moderation.unsilence_member(moderator, member)
    assert forums.reply(member, thread, "Back again").state == PostState.PUBLISHED
    assert audit_actions() == ["silence_member", "unsilence_member"]


# --- thread tools ----------------------------------------------------------------------------------

def test_splitting_replies_into_a_new_thread(app, member, moderator):
    forum = make_forum()
    thread = make_thread(member, forum)
    replies = [make_reply(member if i % 2 else moderator, thread, f"Reply {i}") for i in range(4)]
    with publisher.capture() as sent:
        new = moderation.split_thread(moderator, thread, [replies[2].id, replies[1].id],
                                      "A side discussion", reason="Off topic")
    moved = db.session.query(Post).filter_by(thread_id=new.id).order_by(Post.number).all()
    assert [(p.id, p.number) for p in moved] == [(replies[1].id, 1), (replies[2].id, 2)]
    assert new.author_id == member.id and new.title == "A side discussion"
    assert counters(thread) == (2, 2, 5) and counters(new) == (1, 2, 5)
    sent_names = names(sent)
    assert sent_names.count("post.removed") == 2 and "thread.created" in sent_names
    with pytest.raises(ValidationError):
        moderation.split_thread(moderator, thread, [thread_opening(thread).id], "No way")
    with pytest.raises(ValidationError):
        moderation.split_thread(moderator, thread, [replies[2].id], "Not in this thread")
    with pytest.raises(Forbidden):
        moderation.split_thread(member, thread, [replies[3].id], "Members cannot")
    assert audit_actions() == ["split_thread"]


def test_merging_a_thread_into_another(app, member, moderator):
    forum = make_forum()
    target = make_thread(member, forum, title="The main thread")
    make_reply(moderator, target, "First answer")
    source = make_thread(moderator, forum, title="A duplicate question")
    make_reply(member, source, "Answer in the duplicate")
    assert counters(target) == (1, 2, 4)
    moderation.merge_threads(moderator, source, target, "Same question")
    posts = db.session.query(Post).filter_by(thread_id=target.id).order_by(Post.number).all()
    assert [p.number for p in posts] == [1, 2, 3, 4]
    assert posts[2].body == "The seams leak in heavy rain."
    db.session.refresh(source)
    assert (source.state, source.merged_into_id, source.locked) == ("hidden", target.id, True)
    assert counters(target) == (3, 1, 4)
    with pytest.raises(Conflict):
        moderation.merge_threads(moderator, source, target)
    ideas = make_thread(member, make_forum("ideas", kind="ideas"))
    with pytest.raises(Forbidden):
        moderation.merge_threads(moderator, ideas, target)
    assert audit_actions() == ["merge_threads"]


# --- the audit log -------------------------------------------------------------------------------

def test_the_audit_log_is_never_changed(app, member, moderator):
    moderation.suspend_member(moderator, member, utcnow() + timedelta(days=1), "Reason")
    entry = db.session.query(AuditEntry).one()
    entry.reason = "Rewritten"
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.query(AuditEntry).one())
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    assert db.session.query(AuditEntry).one().reason == "Reason"


def test_staff_actions_elsewhere_are_logged_too(app, member, staff):
    idea = make_thread(member, make_forum("ideas", kind="ideas"))
    feedback.set_idea_status(staff, idea, "planned", "On the roadmap")
    entry = db.session.query(AuditEntry).one()
    assert (entry.action, entry.actor_id, entry.target_id) == ("set_idea_status", staff.id, idea.id)
    assert json.loads(entry.details)["after"] == {"status": "planned"}


def test_the_log_filters(app, member, moderator, admin):
    moderation.suspend_member(moderator, member, utcnow() + timedelta(days=1), "One")
    moderation.add_watched_word(admin, "spam", "hold")
    everything = qm.audit_log(qm.LogFilter())
    assert [e.action for e in everything.items] == ["add_watched_word", "suspend_member"]
    assert [e.action for e in qm.audit_log(qm.LogFilter(actor="MOE")).items] == ["suspend_member"]
    assert qm.audit_log(qm.LogFilter(action="add_watched_word")).total == 1
    assert qm.audit_log(qm.LogFilter(target_type="user", target_id=member.id)).total == 1
    assert qm.audit_log(qm.LogFilter(since=utcnow() + timedelta(days=1))).total == 0
