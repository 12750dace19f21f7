"""Reading support outcomes: a thread's accepted solution, the asker's CSAT rating, NPS status.

The time windows live here because reads and writes must agree on them: the pages and the
API say when a member may answer, and services/support.py refuses outside these windows.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import CsatRating, NpsResponse, Post, Thread, utcnow

# The asker may change their satisfaction rating for this long after first giving it.
CSAT_CHANGE_WINDOW = timedelta(days=7)
# A member is asked how likely they are to recommend the brand at most this often.
NPS_INTERVAL = timedelta(days=90)


@dataclass(frozen=True)
class NpsStatus:
    can_answer: bool
    # When the member may answer again; None when they may answer now (or never will).
    next_at: datetime | None


def solution_of(thread: Thread) -> Post | None:
    """The thread's accepted solution post, whatever its state now, or None."""
    if not thread.solved:
        return None
    return db.session.scalar(
        select(Post).where(Post.thread_id == thread.id, Post.is_solution.is_(True))
        .options(joinedload(Post.author)))


def solved_filter(stmt: Select, solved: bool) -> Select:
    """`stmt` (a select over Thread) narrowed to solved or to unsolved threads."""
    return stmt.where(Thread.solved.is_(solved))


def csat_of(thread: Thread) -> CsatRating | None:
    """The asker's rating of the help on this thread, or None."""
    return db.session.scalar(select(CsatRating).where(CsatRating.thread_id == thread.id))


def csat_change_deadline(rating: CsatRating) -> datetime:
    """Until when the rating may still be changed."""
    return rating.created_at + CSAT_CHANGE_WINDOW


def csat_changeable(rating: CsatRating, now: datetime | None = None) -> bool:
    """Whether the asker may still change this rating."""
    return (now or utcnow()) < csat_change_deadline(rating)


def last_nps_answer(user) -> NpsResponse | None:
    """The member's most recent NPS answer, or None."""
    return db.session.scalar(
        select(NpsResponse).where(NpsResponse.user_id == user.id)
        .order_by(NpsResponse.created_at.desc(), NpsResponse.id.desc()).limit(1))


def nps_status(user, now: datetime | None = None) -> NpsStatus:
    """Whether the member may answer the NPS question now, and if not, from when.

    Visitors and suspended members cannot answer and get no date.
    """
    if not user.is_authenticated or user.is_suspended():
        return NpsStatus(False, None)
    last = last_nps_answer(user)
    if last is None:
        return NpsStatus(True, None)
    next_at = last.created_at + NPS_INTERVAL
    if (now or utcnow()) >= next_at:
        return NpsStatus(True, None)
    return NpsStatus(False, next_at)
