"""Recording member activity for the insights dashboard (reactions to domain events only).

A member is active on a UTC day when they visit, publish a post or cast a vote that day;
one member_activity row per member and day is enough to count DAU, WAU and MAU later.
"""

from datetime import UTC, date, datetime

from ..domain_events import MemberVisited, PostPublished, PostVoted, ThreadStarted, ThreadVoted
from ..models import MemberActivity, utcnow
from .rows import insert_if_absent


def _active(user_id: int, when: date | datetime) -> None:
    day = when.astimezone(UTC).date() if isinstance(when, datetime) else when
    insert_if_absent(MemberActivity, user_id=user_id, day=day)


def note_visit(event: MemberVisited) -> None:
    """A visit makes its member active that day."""
    _active(event.user.id, event.day)


def note_post_activity(event: ThreadStarted | PostPublished) -> None:
    """A published post makes its author active on the day it was written (a post held
    for review counts for the day its author wrote it)."""
    _active(event.post.author_id, event.post.created_at)


def note_vote_activity(event: ThreadVoted | PostVoted) -> None:
    """Casting a vote (not taking one back) makes the voter active today."""
    if event.change > 0:
        _active(event.voter.id, utcnow())
