from datetime import timedelta

import pytest
from sqlalchemy import select

from community.errors import Conflict, Forbidden, NotAuthenticated, ValidationError
from community.extensions import db
from community.models import CsatRating, NpsResponse, Post, PostState, Thread, utcnow
from community.permissions import Anonymous
from community.queries import support as support_q
from community.realtime import publisher
from community.services import forums, support

from ..factories import make_forum, make_reply, make_thread, make_user


@pytest.fixture
def question(member):
    """A support question by `member` with two replies."""
    thread = make_thread(member, make_forum("help", kind="support"))
    helper = make_user("hal")
    return (thread, make_reply(helper, thread, "Use seam sealer."),
            make_reply(helper, thread, "Or tape."))


def _solutions(thread) -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(Post.id).where(Post.thread_id == thread.id, Post.is_solution.is_(True))))


def _opening(thread) -> Post:
    return db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))


# --- accepting solutions -----------------------------------------------------------------

def test_asker_accepts_a_reply_and_it_is_announced(member, question):
    thread, first, _ = question
    with publisher.capture() as sent:
        support.accept_solution(member, thread, first)
    assert thread.solved and first.is_solution
    assert _solutions(thread) == [first.id]
    sent = [e for e in sent if e.name not in ("badge.awarded", "notification")]
    assert [(e.name, e.rooms) for e in sent] == [
        ("post.updated", (f"thread:{thread.id}",)),
        ("thread.updated", (f"thread:{thread.id}", "forum:help")),
    ]
    assert sent[0].payload["post"]["is_solution"] is True
    assert sent[1].payload["thread"]["solved"] is True


def test_changing_the_solution_keeps_exactly_one(member, staff, question):
    thread, first, second = question
    support.accept_solution(member, thread, first)
    with publisher.capture() as sent:
        support.accept_solution(staff, thread, second)
    assert _solutions(thread) == [second.id]
    assert db.session.get(Thread, thread.id).solved
    updated = {e.payload["post"]["id"]: e.payload["post"]["is_solution"]
               for e in sent if e.name == "post.updated"}
    assert updated == {first.id: False, second.id: True}
    assert [e.name for e in sent].count("thread.updated") == 1


def test_accepting_the_current_solution_again_changes_nothing(member, question):
    thread, first, _ = question
    support.accept_solution(member, thread, first)
    with publisher.capture() as sent:
        support.accept_solution(member, thread, first)
    assert sent == [] and _solutions(thread) == [first.id]


def test_unaccept_makes_the_thread_unsolved(member, staff, question):
    thread, first, _ = question
    support.accept_solution(member, thread, first)
    with publisher.capture() as sent:
        support.unaccept_solution(staff, thread)
    assert _solutions(thread) == [] and not db.session.get(Thread, thread.id).solved
    assert [e.name for e in sent] == ["post.updated", "thread.updated"]
    assert sent[1].payload["thread"]["solved"] is False
    with publisher.capture() as again:
        support.unaccept_solution(member, thread)
    assert again == []


def test_a_hidden_old_solution_is_not_announced(member, question):
    thread, first, second = question
    support.accept_solution(member, thread, first)
    first.state = PostState.HIDDEN
    db.session.commit()
    with publisher.capture() as sent:
        support.accept_solution(member, thread, second)
    assert [e.payload["post"]["id"] for e in sent if e.name == "post.updated"] == [second.id]
    assert _solutions(thread) == [second.id]


@pytest.mark.parametrize("who", ["other member", "moderator", "visitor", "suspended asker"])
def test_only_the_asker_or_staff_may_accept(member, moderator, question, who):
    thread, first, _ = question
    actor = {"other member": lambda: make_user("olga"), "moderator": lambda: moderator,
             "visitor": Anonymous, "suspended asker": lambda: member}[who]()
    if who == "suspended asker":
        member.suspended_until = utcnow() + timedelta(days=1)
        db.session.commit()
    with publisher.capture() as sent, pytest.raises((Forbidden, NotAuthenticated)):
        support.accept_solution(actor, thread, first)
    assert sent == [] and _solutions(thread) == []
    assert not db.session.get(Thread, thread.id).solved
    with pytest.raises((Forbidden, NotAuthenticated)):
        support.unaccept_solution(actor, thread)


def test_no_solutions_outside_support_forums(member, staff):
    thread = make_thread(member, make_forum("chat"))
    reply = make_reply(staff, thread)
    with pytest.raises(Forbidden, match="support forums"):
        support.accept_solution(member, thread, reply)
    with pytest.raises(Forbidden):
        support.accept_solution(staff, thread, reply)
    assert _solutions(thread) == []


def test_refused_posts(member, question):
    thread, first, _ = question
    other = make_thread(member, thread.forum, title="Another question")
    elsewhere = make_reply(make_user("olga"), other)
    deleted = make_reply(make_user("dan"), thread, "Gone soon.")
    forums.delete_post(deleted.author, deleted)
    hidden = make_reply(make_user("hugo"), thread, "Will be hidden.")
    hidden.state = PostState.HIDDEN
    pending = make_reply(make_user("pete"), thread, "Awaiting review.")
    pending.state = PostState.PENDING
    db.session.commit()
    support.accept_solution(member, thread, first)
    for post in (_opening(thread), elsewhere, deleted, hidden, pending):
        with publisher.capture() as sent, pytest.raises(ValidationError) as err:
            support.accept_solution(member, thread, post)
        assert "post_id" in err.value.fields
        assert sent == []
        assert _solutions(thread) == [first.id] and _solutions(other) == []


def test_a_deleted_solution_unsolves_its_thread(member, question):
    thread, first, _ = question
    support.accept_solution(member, thread, first)
    with publisher.capture() as sent:
        support.unmark_removed_solution(first)
    assert _solutions(thread) == [] and not db.session.get(Thread, thread.id).solved
    assert "thread.updated" in [e.name for e in sent]


# --- CSAT ----------------------------------------------------------------------------------

@pytest.fixture
def solved(member, question):
    thread, first, _ = question
    support.accept_solution(member, thread, first)
    return thread


def test_asker_rates_then_changes_within_seven_days(member, solved):
    rating, created = support.rate_thread(member, solved, 4, "  Quick help  ")
    assert created and (rating.score, rating.comment) == (4, "Quick help")
    changed, created = support.rate_thread(member, solved, 5)
    assert not created and changed.id == rating.id
    db.session.expire_all()
    stored = db.session.scalars(select(CsatRating)).all()
    assert [(r.score, r.comment, r.user_id) for r in stored] == [(5, "", member.id)]
    assert stored[0].updated_at > stored[0].created_at


def test_rating_cannot_change_after_seven_days(member, solved):
    rating, _ = support.rate_thread(member, solved, 2)
    rating.created_at = rating.updated_at = utcnow() - timedelta(days=7, seconds=1)
    db.session.commit()
    assert not support_q.csat_changeable(rating)
    with pytest.raises(Conflict):
        support.rate_thread(member, solved, 5)
    db.session.expire_all()
    assert db.session.scalar(select(CsatRating.score)) == 2


def test_only_the_asker_rates_a_solved_thread(member, staff, question, solved):
    for actor in (staff, make_user("hal2"), Anonymous()):
        with pytest.raises((Forbidden, NotAuthenticated)):
            support.rate_thread(actor, solved, 5)
    support.unaccept_solution(member, solved)
    with pytest.raises(Forbidden, match="once your question is solved"):
        support.rate_thread(member, solved, 5)
    assert db.session.query(CsatRating).count() == 0


@pytest.mark.parametrize("score", [0, 6, -1, "5", 4.5, None, True])
def test_csat_score_must_be_1_to_5(member, solved, score):
    with pytest.raises(ValidationError) as err:
        support.rate_thread(member, solved, score)
    assert "score" in err.value.fields
    assert db.session.query(CsatRating).count() == 0


def test_csat_comment_length(member, solved):
    with pytest.raises(ValidationError) as err:
        support.rate_thread(member, solved, 3, "x" * 2001)
    assert "comment" in err.value.fields
    assert db.session.query(CsatRating).count() == 0


def test_unaccepting_keeps_the_rating_and_resolving_restores_it(member, question, solved):
    _, _, second = question
    support.rate_thread(member, solved, 3)
    support.unaccept_solution(member, solved)
    assert support_q.csat_of(solved).score == 3
    support.accept_solution(member, solved, second)
    _, created = support.rate_thread(member, solved, 4)
    assert not created and support_q.csat_of(solved).score == 4


# --- NPS -------------------------------------------------------------------------------------

def test_nps_once_per_90_days(member):
    assert support_q.nps_status(member).can_answer
    response = support.answer_nps(member, 9, "Great people")
    status = support_q.nps_status(member)
    assert not status.can_answer
    assert status.next_at == response.created_at + timedelta(days=90)
    with pytest.raises(Conflict):
        support.answer_nps(member, 10)
    response.created_at = utcnow() - timedelta(days=90, seconds=1)
    db.session.commit()
    assert support_q.nps_status(member) == support_q.NpsStatus(True, None)
    support.answer_nps(member, 10)
    assert db.session.query(NpsResponse).count() == 2


@pytest.mark.parametrize("score", [-1, 11, "7", 7.0, None, False])
def test_nps_score_must_be_0_to_10(member, score):
    with pytest.raises(ValidationError) as err:
        support.answer_nps(member, score)
    assert "score" in err.value.fields
    assert db.session.query(NpsResponse).count() == 0


def test_nps_needs_a_member(member):
    with pytest.raises(NotAuthenticated):
        support.answer_nps(Anonymous(), 5)
    assert support_q.nps_status(Anonymous()) == support_q.NpsStatus(False, None)
    assert support.answer_nps(member, 0).score == 0


# --- reads -----------------------------------------------------------------------------------

def test_solution_of_and_solved_filter(member, question):
    thread, first, _ = question
    open_thread = make_thread(member, thread.forum, title="Still open")
    assert support_q.solution_of(thread) is None
    support.accept_solution(member, thread, first)
    assert support_q.solution_of(thread).id == first.id
    stmt = select(Thread.id).where(Thread.forum_id == thread.forum_id)
    assert db.session.scalars(support_q.solved_filter(stmt, True)).all() == [thread.id]
    assert db.session.scalars(support_q.solved_filter(stmt, False)).all() == [open_thread.id]
