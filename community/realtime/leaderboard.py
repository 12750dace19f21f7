"""`leaderboard.changed`: the week's top entries, at most about once a second however many
points change (LEADERBOARD_BROADCAST_SECONDS), sent through the publisher like every event."""

from flask import current_app

from ..queries.advocacy import leaderboard
from ..serializers import leaderboard_entry
from . import publisher, rooms


def announce_change() -> None:
    """Points changed in this unit of work: once it commits, send the leaderboard room the
    week's top entries as they are then (one send for all the commits of that moment)."""
    publisher.publish_soon("leaderboard.changed", week_top, rooms.LEADERBOARD,
                           within=current_app.config["LEADERBOARD_BROADCAST_SECONDS"])


def week_top() -> dict:
    """The payload of `leaderboard.changed`: the week's ten best advocates."""
    board = leaderboard("week", limit=10)
    return {"period": "week", "top": [leaderboard_entry(e) for e in board.entries]}
