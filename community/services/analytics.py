"""Recording member activity for the insights dashboard (receivers of domain signals only).

A member is active on a UTC day when they visit, publish a post or cast a vote that day;
one member_activity row per member and day is enough to count DAU, WAU and MAU later.
"""

from datetime import UTC, date, datetime

from ..models import MemberActivity, Post, Thread, User, utcnow
from . import signals
from .rows import insert_if_absent


def _active(user_id: int, when: date | datetime) -> None:
    day = when.astimezone(UTC).date() if isinstance(when, datetime) else when
    insert_if_absent(MemberActivity, user_id=user_id, day=day)


@signals.receiver("member_visited")
def _on_member_visited(user: User, day: date) -> None:
    _active(user.id, day)


@signals.receiver("thread_started")
def _on_thread_started(thread: Thread, post: Post) -> None:
    _active(post.author_id, post.created_at)


@signals.receiver("post_published")
def _on_post_published(post: Post) -> None:
    # The day it was written: a post held for review counts for the day its author wrote it.
    _active(post.author_id, post.created_at)


@signals.receiver("thread_voted")
def _on_thread_voted(thread: Thread, voter: User, change: int) -> None:
    if change > 0:
        _active(voter.id, utcnow())


@signals.receiver("post_voted")
def _on_post_voted(post: Post, voter: User, change: int) -> None:
    if change > 0:
        _active(voter.id, utcnow())
