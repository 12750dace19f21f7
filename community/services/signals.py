"""Domain signals: what happened, for the parts of the app that react to it.

A service sends a signal after it has made a change; receivers (points and badges,
notifications, webhooks…) run synchronously inside the same unit of work, so their writes
commit or roll back with the change itself. Receivers must not commit.

Signals and their arguments:

- thread_started(thread, post)             a thread and its opening post were published
- post_published(post)                     a reply became visible to everyone
- post_removed(post, actor)                a published post was deleted or hidden
- post_restored(post, actor)               a removed post is visible again
- members_mentioned(post, user_ids)        an edit of a visible post mentions them anew
- thread_voted(thread, voter, change)      change is +1 or -1
- post_voted(post, voter, change)          change is +1 or -1
- solution_changed(thread, post, accepted, actor)
- idea_status_changed(thread, actor, old, new, note_post)
- member_visited(user, day)                the first request of a member on a UTC day
- badge_awarded(award)
- rank_reached(user, rank)                 a member's points reached a new rank title
- member_joined(user)
- profile_updated(user)
- moderation_action(action, actor, target_user, post, reason)
- access_narrowed(user_id, thread_id, forum_id)
                                           someone may now hear less than before (token
                                           revoked, role lowered, suspended, signed out,
                                           thread moved, forum made private): live sockets
                                           are checked again; the ids not concerned are None
"""

from collections import defaultdict
from collections.abc import Callable

_receivers: dict[str, list[Callable]] = defaultdict(list)

SIGNALS = {
    "thread_started", "post_published", "post_removed", "post_restored", "thread_voted",
    "post_voted", "solution_changed", "idea_status_changed", "member_visited", "badge_awarded",
    "member_joined", "moderation_action", "rank_reached", "profile_updated",
    "members_mentioned", "access_narrowed",
}


def receiver(name: str) -> Callable[[Callable], Callable]:
    """Register the decorated function to run whenever `name` is sent."""
    if name not in SIGNALS:
        raise ValueError(f"unknown signal {name!r}")

    def register(fn: Callable) -> Callable:
        if fn not in _receivers[name]:
            _receivers[name].append(fn)
        return fn

    return register


def send(name: str, **data) -> None:
    """Run every receiver of `name` with `data`, in registration order."""
    if name not in SIGNALS:
        raise ValueError(f"unknown signal {name!r}")
    for fn in list(_receivers[name]):
        fn(**data)
