"""Following threads and forums: who hears about new posts, new threads and status changes.

Levels, for a thread or a whole forum (a thread's own level wins over its forum's):
watching (every new post; for a forum, also every new thread), tracking (mentions, quotes
and status changes; a tracked forum's threads show on the member's home), muted (nothing).
"""

from .. import permissions
from ..errors import ValidationError
from ..extensions import db
from ..models import ForumFollow, ThreadFollow
from .rows import delete_if_present, insert_if_absent
from .unit import use_case

LEVELS = ("watching", "tracking", "muted")


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValidationError("Unknown level.", {"level": f"One of {', '.join(LEVELS)}."})


@use_case
def follow_thread(actor, thread, level: str = "watching") -> ThreadFollow:
    """Members who can see the thread: follow it at `level` (watching, tracking or muted)."""
    permissions.require(actor, "follow_thread", thread)
    _check_level(level)
    if not insert_if_absent(ThreadFollow, user_id=actor.id, thread_id=thread.id, level=level):
        db.session.get(ThreadFollow, (actor.id, thread.id)).level = level
    return db.session.get(ThreadFollow, (actor.id, thread.id))


@use_case
def unfollow_thread(actor, thread) -> None:
    """A member: stop following the thread."""
    permissions.require(actor, "follow_thread", thread)
    delete_if_present(ThreadFollow, user_id=actor.id, thread_id=thread.id)


def auto_follow(user, thread) -> None:
    """Follow a thread one starts or replies to, unless one chose a level for it already
    or turned following what one posts in off (User.auto_follow)."""
    if user.auto_follow:
        insert_if_absent(ThreadFollow, user_id=user.id, thread_id=thread.id, level="watching")


@use_case
def follow_forum(actor, forum, level: str = "watching") -> ForumFollow:
    """Members who can see the forum: follow all of it at `level` (watching, tracking or muted)."""
    permissions.require(actor, "follow_forum", forum)
    _check_level(level)
    if not insert_if_absent(ForumFollow, user_id=actor.id, forum_id=forum.id, level=level):
        db.session.get(ForumFollow, (actor.id, forum.id)).level = level
    return db.session.get(ForumFollow, (actor.id, forum.id))


@use_case
def unfollow_forum(actor, forum) -> None:
    """A member: stop following the forum."""
    permissions.require(actor, "follow_forum", forum)
    delete_if_present(ForumFollow, user_id=actor.id, forum_id=forum.id)
