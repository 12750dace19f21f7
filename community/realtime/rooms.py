"""Socket.IO room names, and who may join which room."""

import re

from .. import permissions
from ..errors import DomainError
from ..models.base import MAX_ID

PUBLIC_ROOMS = {"leaderboard"}
# Matched whole (fullmatch): with re.match, "$" would also accept a trailing newline.
_ROOM = re.compile(r"(thread):(\d{1,12})|(forum):([a-z0-9-]{2,60})|(leaderboard|moderation)")


def thread(thread_id: int) -> str:
    return f"thread:{thread_id}"


def forum(slug: str) -> str:
    return f"forum:{slug}"


def user(user_id: int) -> str:
    return f"user:{user_id}"


MODERATION = "moderation"
LEADERBOARD = "leaderboard"


def refusal(viewer, room: object) -> str | None:
    """Why `viewer` may not subscribe to `room` ('bad_request', 'not_found', 'forbidden'), or None."""
    from ..queries import forums as q

    match = _ROOM.fullmatch(room) if isinstance(room, str) else None
    if match is None:
        return "bad_request"
    try:
        if match.group(1):
            if int(match.group(2)) > MAX_ID:
                return "not_found"
            q.get_thread(viewer, int(match.group(2)))
        elif match.group(3):
            q.get_forum(viewer, match.group(4))
        elif room == MODERATION:
            permissions.require(viewer, "moderate")
    except DomainError as exc:
        return "forbidden" if exc.status in (401, 403) else exc.code
    return None


def subscribable(room: str) -> bool:
    """Whether `room` is one a client subscribes to (not its own, not a user: room)."""
    return _ROOM.fullmatch(room) is not None


def thread_id_of(room: str) -> int | None:
    return int(room.split(":", 1)[1]) if room.startswith("thread:") else None
