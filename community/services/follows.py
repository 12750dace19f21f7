"""Following threads: who hears about new posts and status changes."""

from .. import permissions
from ..errors import ValidationError
from ..extensions import db
from ..models import ThreadFollow
from .rows import delete_if_present, insert_if_absent
from .unit import use_case

LEVELS = ("watching", "tracking", "muted")


@use_case
def follow_thread(actor, thread, level: str = "watching") -> ThreadFollow:
    """Members who can see the thread: follow it at `level` (watching, tracking or muted)."""
    permissions.require(actor, "follow_thread", thread)
    if level not in LEVELS:
        raise ValidationError("Unknown level.", {"level": f"One of {', '.join(LEVELS)}."})
    if not insert_if_absent(ThreadFollow, user_id=actor.id, thread_id=thread.id, level=level):
        db.session.get(ThreadFollow, (actor.id, thread.id)).level = level
    return db.session.get(ThreadFollow, (actor.id, thread.id))


@use_case
def unfollow_thread(actor, thread) -> None:
    """A member: stop following the thread."""
    permissions.require(actor, "follow_thread", thread)
    delete_if_present(ThreadFollow, user_id=actor.id, thread_id=thread.id)


def auto_follow(user, thread) -> None:
    """Follow a thread one starts or replies to, unless one already chose a level for it."""
    insert_if_absent(ThreadFollow, user_id=user.id, thread_id=thread.id, level="watching")
