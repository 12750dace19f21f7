"""Support outcomes: accepting a solution, rating the help (CSAT), recommending the brand (NPS)."""

from sqlalchemy import select

from .. import permissions, serializers
from ..domain_events import SolutionChanged, record
from ..errors import Conflict, Forbidden, ValidationError
from ..extensions import db
from ..models import (CsatRating, ForumKind, NpsResponse, Post, PostState, Thread, ThreadState,
                      User, utcnow)
from ..queries.support import CSAT_CHANGE_WINDOW, NPS_INTERVAL
from ..realtime import publisher, rooms
from .unit import use_case

CSAT_MIN, CSAT_MAX = 1, 5
NPS_MIN, NPS_MAX = 0, 10
COMMENT_MAX = 2000


# --- accepted solutions ----------------------------------------------------------------

@use_case
def accept_solution(actor: User, thread: Thread, post: Post) -> Thread:
    """The asker or staff: make `post` the thread's one accepted solution (replacing any other)."""
    _require_may_accept(actor, thread)
    _lock(thread)
    db.session.refresh(post)
    if post.thread_id != thread.id:
        raise ValidationError("That post is not in this thread.",
                              {"post_id": "Choose a reply in this thread."})
    if post.number == 1:
        raise ValidationError("The question cannot be its own solution.",
                              {"post_id": "Choose a reply, not the opening post."})
    if post.state != PostState.PUBLISHED:
        raise ValidationError("Only a published reply can be the solution.",
                              {"post_id": "This post is removed, hidden or awaiting review."})
    current = _current_solution(thread)
    if current is not None and current.id == post.id:
        return thread
    if current is not None:
        _set_solution(current, False, actor)
        # The partial unique index allows one solution per thread at every moment, so
        # the old one must be cleared in the database before the new one is set.
        db.session.flush()
    _set_solution(post, True, actor)
    thread.solved = True
    _announce(thread)
    return thread


@use_case
def unaccept_solution(actor: User, thread: Thread) -> Thread:
    """The asker or staff: clear the thread's accepted solution; the thread is unsolved again.

    The asker's CSAT rating, if any, is kept: it rated the help as it was then.
    """
    _require_may_accept(actor, thread)
    _lock(thread)
    current = _current_solution(thread)
    if current is None and not thread.solved:
        return thread
    if current is not None:
        _set_solution(current, False, actor)
    thread.solved = False
    _announce(thread)
    return thread


@use_case
def unmark_removed_solution(post: Post) -> None:
    """Services that delete a post: if it was the accepted solution, the thread is unsolved."""
    if not post.is_solution:
        return
    thread = post.thread
    _lock(thread)
    _set_solution(post, False)
    thread.solved = False
    _announce(thread)


def _require_may_accept(actor: User, thread: Thread) -> None:
    if _refused_with_reason(actor, "accept_solution", thread):
        if thread.forum.kind != ForumKind.SUPPORT:
            raise Forbidden("Only questions in support forums have an accepted solution.")
        raise Forbidden("Only the asker or staff can choose the solution.")
    permissions.require(actor, "accept_solution", thread)


def _refused_with_reason(actor: User, action: str, target) -> bool:
    # An active member refused for a reason we can explain; visitors and suspended
    # members get the generic answer from permissions.require.
    return (actor.is_authenticated and not actor.is_suspended()
            and not permissions.can(actor, action, target))


def _lock(thread: Thread) -> None:
    # Serialises writers on one thread (PostgreSQL; SQLite's writers queue anyway), and
    # reloads it: objects read earlier in the request may be stale.
    db.session.scalar(select(Thread).where(Thread.id == thread.id).with_for_update()
                      .execution_options(populate_existing=True))


def _current_solution(thread: Thread) -> Post | None:
    return db.session.scalar(
        select(Post).where(Post.thread_id == thread.id, Post.is_solution.is_(True))
        .execution_options(populate_existing=True))


def _set_solution(post: Post, value: bool, actor: User | None = None) -> None:
    # The one place a post becomes or stops being an accepted solution, so the recognition
    # its author earns for it (points, badges) is given and taken back here and nowhere else.
    post.is_solution = value
    record(SolutionChanged(post.thread, post, value, actor))
    if post.state == PostState.PUBLISHED:
        publisher.publish("post.updated", {"thread_id": post.thread_id,
                                           "post": serializers.post(post)},
                          rooms.thread(post.thread_id))


def _announce(thread: Thread) -> None:
    if thread.state != ThreadState.PUBLISHED:  # a held or hidden thread is no news for public rooms
        return
    publisher.publish("thread.updated", {"thread": serializers.thread(thread)},
                      rooms.thread(thread.id), rooms.forum(thread.forum.slug))


# --- satisfaction ----------------------------------------------------------------------

@use_case
def rate_thread(actor: User, thread: Thread, score: int,
                comment: str | None = "") -> tuple[CsatRating, bool]:
    """The asker of a solved thread: rate the help (1–5), or change the rating within 7 days.

    Returns the rating and whether it was created (rather than changed).
    """
    _lock(thread)
    if _refused_with_reason(actor, "rate_thread", thread):
        if thread.author_id != actor.id:
            raise Forbidden("Only the asker can rate the help on this question.")
        raise Forbidden("You can rate the help once your question is solved.")
    permissions.require(actor, "rate_thread", thread)
    score = _score(score, CSAT_MIN, CSAT_MAX)
    comment = _comment(comment)
    now = utcnow()
    rating = db.session.scalar(select(CsatRating).where(CsatRating.thread_id == thread.id)
                               .execution_options(populate_existing=True))
    if rating is None:
        rating = CsatRating(thread_id=thread.id, user_id=actor.id, score=score, comment=comment,
                            created_at=now, updated_at=now)
        db.session.add(rating)
        db.session.flush()
        return rating, True
    if now >= rating.created_at + CSAT_CHANGE_WINDOW:
        raise Conflict(f"Ratings can be changed for {CSAT_CHANGE_WINDOW.days} days after "
                       "they are given; this one can no longer be changed.")
    rating.score, rating.comment, rating.updated_at = score, comment, now
    return rating, False


@use_case
def answer_nps(actor: User, score: int, comment: str | None = "") -> NpsResponse:
    """Members: say how likely they are to recommend the brand (0–10), once per 90 days."""
    permissions.require(actor, "answer_nps")
    score = _score(score, NPS_MIN, NPS_MAX)
    comment = _comment(comment)
    # Lock the member's row so two quick submissions cannot both pass the 90-day check.
    db.session.scalar(select(User.id).where(User.id == actor.id).with_for_update())
    last = db.session.scalar(select(NpsResponse.created_at).where(NpsResponse.user_id == actor.id)
                             .order_by(NpsResponse.created_at.desc()).limit(1))
    now = utcnow()
    if last is not None and now < last + NPS_INTERVAL:
        again = last + NPS_INTERVAL
        raise Conflict(f"You answered on {last:%-d %b %Y}; you can answer again from "
                       f"{again:%-d %b %Y}.")
    response = NpsResponse(user_id=actor.id, score=score, comment=comment, created_at=now)
    db.session.add(response)
    db.session.flush()
    return response


def _score(score, low: int, high: int) -> int:
    # bool is an int in Python, but True is not a score.
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise ValidationError("Please choose a score.",
                              {"score": f"A whole number from {low} to {high}."})
    return score


def _comment(comment: str | None) -> str:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError("The comment is too long.",
                              {"comment": f"At most {COMMENT_MAX:,} characters."})
    return comment
