import pytest

from community.errors import Conflict, Forbidden, ValidationError
from community.extensions import db
from community.models import Notification, Post, StatusChange, Thread, ThreadFollow, ThreadVote
from community.realtime import publisher
from community.services import feedback, follows, forums

from ..factories import make_forum, make_reply, make_thread, make_user


@pytest.fixture
def ideas(app):
    return make_forum("ideas", kind="ideas")


def test_thread_vote_is_idempotent_and_reversible(ideas, member):
    idea = make_thread(member, ideas)
    voter = make_user("vera")
    with publisher.capture() as sent:
        assert feedback.vote_thread(voter, idea, 1) == 1
        assert feedback.vote_thread(voter, idea, 1) == 1
        assert feedback.vote_thread(voter, idea, 0) == 0
        assert feedback.vote_thread(voter, idea, 0) == 0
    assert db.session.query(ThreadVote).count() == 0
    # Only real changes are announced.
    sent = [e for e in sent if e.name == "vote.changed"]
    assert [(e.name, e.payload["score"]) for e in sent] == [("vote.changed", 1), ("vote.changed", 0)]
    assert sent[0].rooms == (f"thread:{idea.id}", "forum:ideas")


def test_votes_raise_the_trending_rank(ideas, member):
    idea = make_thread(member, ideas)
    before = idea.hot
    for i in range(10):
        feedback.vote_thread(make_user(f"fan{i}"), idea, 1)
    assert idea.score == 10 and idea.hot > before


@pytest.mark.parametrize("value", [2, -1, "1", True, None])
def test_vote_values_are_0_or_1(ideas, member, value):
    idea = make_thread(member, ideas)
    with pytest.raises(ValidationError):
        feedback.vote_thread(make_user("vera"), idea, value)


def test_no_votes_on_own_locked_merged_or_removed_content(ideas, member, moderator):
    idea = make_thread(member, ideas)
    with pytest.raises(Forbidden, match="your own"):
        feedback.vote_thread(member, idea, 1)
    reply = make_reply(moderator, idea)
    forums.delete_post(moderator, reply)
    with pytest.raises(Forbidden):
        feedback.vote_post(member, reply, 1)
    forums.update_thread(moderator, idea, locked=True)
    with pytest.raises(Forbidden, match="locked"):
        feedback.vote_thread(make_user("vera"), idea, 1)
    assert idea.score == 0 and reply.score == 0


def test_post_votes(member, moderator):
    thread = make_thread(member, make_forum())
    reply = make_reply(moderator, thread)
    assert feedback.vote_post(member, reply, 1) == 1
    assert feedback.vote_post(make_user("otto"), reply, 1) == 2
    assert feedback.vote_post(member, reply, 0) == 1


def test_status_change_posts_a_note_keeps_history_and_tells_voters(ideas, member, staff):
    idea = make_thread(member, ideas)
    assert idea.status == "open"
    voter, follower, other = make_user("vera"), make_user("fred"), make_user("otto")
    feedback.vote_thread(voter, idea, 1)
    follows.follow_thread(follower, idea)
    follows.follow_thread(other, idea, "muted")

    with publisher.capture() as sent:
        feedback.set_idea_status(staff, idea, "planned", "Coming in the spring range.")
    feedback.set_idea_status(staff, idea, "shipped")

    assert idea.status == "shipped"
    changes = db.session.query(StatusChange).order_by(StatusChange.id).all()
    assert [(c.from_status, c.to_status) for c in changes] == [("open", "planned"), ("planned", "shipped")]
    note = db.session.get(Post, changes[0].post_id)
    assert note.official and "Coming in the spring range." in note.html and "Planned" in note.html
    notified = {(n.user_id, n.kind) for n in db.session.query(Notification).filter_by(kind="idea_status")}
    # The author auto-follows their idea; muted followers and the staff member hear nothing.
    assert {u for u, _ in notified} == {voter.id, follower.id, member.id}
    assert "thread.updated" in [e.name for e in sent]


def test_status_changes_are_for_staff_on_ideas_only(ideas, member, moderator, staff):
    idea = make_thread(member, ideas)
    with pytest.raises(Forbidden):
        feedback.set_idea_status(moderator, idea, "planned")
    with pytest.raises(ValidationError):
        feedback.set_idea_status(staff, idea, "someday")
    with pytest.raises(ValidationError):
        feedback.set_idea_status(staff, idea, "duplicate")
    with pytest.raises(ValidationError):
        feedback.set_idea_status(staff, idea, "open")  # already open
    discussion = make_thread(member, make_forum())
    with pytest.raises(Forbidden):
        feedback.set_idea_status(staff, discussion, "planned")
    assert db.session.query(StatusChange).count() == 0 and idea.status == "open"


def test_merge_moves_voters_once_and_followers(ideas, member, staff):
    a = make_thread(member, ideas, title="Lighter tent")
    b = make_thread(make_user("bea"), ideas, title="Ultralight tent please")
    both, only_b = make_user("both"), make_user("onlyb")
    feedback.vote_thread(both, a, 1)
    feedback.vote_thread(both, b, 1)
    feedback.vote_thread(only_b, b, 1)
    feedback.vote_thread(member, b, 1)  # a's author voted for b: may not count on a
    follows.follow_thread(make_user("watcher"), b)

    survivor = feedback.merge_idea(staff, b, a)
    assert survivor.id == a.id and a.score == 2
    assert {v.user_id for v in db.session.query(ThreadVote).filter_by(thread_id=a.id)} == {both.id, only_b.id}
    assert b.status == "duplicate" and b.merged_into_id == a.id and b.locked
    watcher_id = db.session.query(ThreadFollow).filter_by(thread_id=b.id).filter(
        ThreadFollow.user_id != b.author_id).first().user_id
    assert db.session.get(ThreadFollow, (watcher_id, a.id)) is not None
    # b's posts stay readable.
    assert db.session.query(Post).filter_by(thread_id=b.id, state="published").count() == 2


def test_merge_refusals_change_nothing(ideas, member, staff):
    a, b = make_thread(member, ideas), make_thread(member, ideas, title="Another idea")
    other = make_thread(member, make_forum("ideas-two", kind="ideas"))
    with pytest.raises(ValidationError):
        feedback.merge_idea(staff, a, a)
    with pytest.raises(ValidationError):
        feedback.merge_idea(staff, a, other)
    with pytest.raises(Forbidden):
        feedback.merge_idea(member, a, b)
    feedback.merge_idea(staff, b, a)
    with pytest.raises(Conflict):
        feedback.merge_idea(staff, b, a)
    with pytest.raises(ValidationError):
        feedback.merge_idea(staff, a, b)  # b was merged: merge into the survivor
    db.session.expire_all()
    assert db.session.get(Thread, a.id).status == "open"


def test_starting_and_replying_follow_the_thread(member, moderator):
    thread = make_thread(member, make_forum())
    make_reply(moderator, thread)
    follows.follow_thread(member, thread, "tracking")
    make_reply(member, thread)  # replying again keeps the chosen level
    levels = {(f.user_id, f.level) for f in db.session.query(ThreadFollow)}
    assert levels == {(member.id, "tracking"), (moderator.id, "watching")}


def test_a_merged_duplicate_takes_no_status(ideas, member, staff):
    first = make_thread(member, ideas, title="Dark mode")
    duplicate = make_thread(make_user("dana"), ideas, title="Night theme please")
    feedback.merge_idea(staff, duplicate, first)
    changes = db.session.query(StatusChange).count()
    notices = db.session.query(Notification).count()
    with publisher.capture() as events, pytest.raises(Conflict, match="merged"):
        feedback.set_idea_status(staff, duplicate, "planned", "On the roadmap")
    assert events == []
    assert db.session.query(StatusChange).count() == changes
    assert db.session.query(Notification).count() == notices
    db.session.refresh(duplicate)
    assert duplicate.status == "duplicate"
