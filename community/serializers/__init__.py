"""JSON-safe shapes of domain objects, one per kind, for the API, Socket.IO and webhooks alike.

Shapes only: no queries here. What a shape needs beyond the object (a member's badges, a
review item's history) the caller passes, loaded in bulk by the query layer. URLs come from
community.urls.
"""

from .admin import delivery, forum_settings, webhook
from .forums import author, forum, poll, post, tag, thread, thread_ref
from .members import badge, leaderboard_entry, member_joined, member_status, user
from .moderation import audit_entry, review_item
from .notifications import notification, notification_preferences, notification_target
from .support import csat, nps

__all__ = [
    "audit_entry", "author", "badge", "csat", "delivery", "forum", "forum_settings",
    "leaderboard_entry", "member_joined", "member_status", "notification",
    "notification_preferences", "notification_target", "nps", "poll", "post", "review_item",
    "tag", "thread", "thread_ref", "user", "webhook",
]
