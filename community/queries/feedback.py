"""Reading votes, idea statuses and the roadmap."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import visibility
from ..extensions import db
from ..models import (Forum, ForumKind, IdeaStatus, PostVote, StatusChange, Thread,
                      ThreadVote, utcnow)

SHIPPED_RECENTLY = timedelta(days=90)
ROADMAP_COLUMNS = (IdeaStatus.PLANNED, IdeaStatus.IN_PROGRESS, IdeaStatus.SHIPPED)
PER_COLUMN = 50


def voted_threads(viewer, thread_ids) -> set[int]:
    """Which of these threads the viewer has voted for."""
    if not viewer.is_authenticated or not thread_ids:
        return set()
    return set(db.session.scalars(select(ThreadVote.thread_id).where(
        ThreadVote.user_id == viewer.id, ThreadVote.thread_id.in_(list(thread_ids)))))


def voted_posts(viewer, post_ids) -> set[int]:
    """Which of these posts the viewer has marked helpful."""
    if not viewer.is_authenticated or not post_ids:
        return set()
    return set(db.session.scalars(select(PostVote.post_id).where(
        PostVote.user_id == viewer.id, PostVote.post_id.in_(list(post_ids)))))


def status_history(thread: Thread) -> list[StatusChange]:
    """The idea's status changes, oldest first."""
    return list(db.session.scalars(
        select(StatusChange).where(StatusChange.thread_id == thread.id)
        .options(joinedload(StatusChange.actor)).order_by(StatusChange.id)))


@dataclass
class Roadmap:
    columns: dict[str, list[Thread]]


def roadmap(viewer) -> Roadmap:
    """Ideas planned, in progress, and shipped in the last 90 days, most voted first.

    Ties are broken by the most recent activity, then the newest idea.
    """
    forums = select(Forum.id).where(Forum.kind == ForumKind.IDEAS)
    columns = {}
    for status in ROADMAP_COLUMNS:
        # Private forums, and ideas held for review or hidden, only for those who may read them.
        stmt = (select(Thread).where(Thread.forum_id.in_(forums), Thread.status == status,
                                     visibility.readable_threads(viewer))
                .options(joinedload(Thread.forum), joinedload(Thread.author))
                .order_by(Thread.score.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
                .limit(PER_COLUMN))
        if status == IdeaStatus.SHIPPED:
            recent = select(StatusChange.thread_id).where(
                StatusChange.to_status == IdeaStatus.SHIPPED,
                StatusChange.created_at >= utcnow() - SHIPPED_RECENTLY)
            stmt = stmt.where(Thread.id.in_(recent))
        columns[status.value] = list(db.session.scalars(stmt).unique())
    return Roadmap(columns)
