"""A member's notifications and their notification preferences."""

from ..urls import badges_url, leaderboard_url, notifications_url, post_url, thread_url
from .forums import author


def notification(n) -> dict:
    """A member's notification; `url` is where following it leads (it is marked read there)."""
    return {
        "id": n.id, "kind": n.kind, "message": n.message, "count": n.count,
        "read": n.read_at is not None, "actor": author(n.actor) if n.actor else None,
        "thread_id": n.thread_id, "post_id": n.post_id, "created_at": n.created_at.isoformat(),
        "url": notification_target(n),
    }


def notification_target(n) -> str:
    """The page a notification is about."""
    if n.post_id:
        return post_url(n.post_id)
    if n.thread_id:
        return thread_url(n.thread_id)
    if n.kind == "badge":
        return badges_url()
    if n.kind == "rank":
        return leaderboard_url()
    return notifications_url()


def notification_preferences(user, kinds: dict[str, dict[str, bool]]) -> dict:
    """The member's preferences: `kinds` (services.notifications.preferences_of), the digest
    and auto-following."""
    return {"kinds": kinds, "digest": user.digest, "auto_follow": user.auto_follow}
