"""`leaderboard.changed`: at most about once a second, however many points change."""

import threading

from flask import current_app, has_app_context

from ..extensions import socketio
from . import rooms

_lock = threading.Lock()
_pending: set[int] = set()  # apps with a broadcast already scheduled


def schedule_broadcast() -> None:
    """Send the week's top entries to the leaderboard room within the next second."""
    if not has_app_context():
        return
    app = current_app._get_current_object()
    delay = app.config["LEADERBOARD_BROADCAST_SECONDS"]
    with _lock:
        if id(app) in _pending:
            return
        _pending.add(id(app))

    def broadcast():
        with _lock:
            _pending.discard(id(app))
        with app.app_context():
            from ..queries.advocacy import leaderboard
            from ..serializers import leaderboard_entry

            try:
                board = leaderboard("week", limit=10)
                socketio.emit("leaderboard.changed",
                              {"period": "week", "top": [leaderboard_entry(e) for e in board.entries]},
                              to=rooms.LEADERBOARD)
            except Exception:  # a missed broadcast is caught up by the next one
                app.logger.exception("leaderboard broadcast failed")

    timer = threading.Timer(delay, broadcast)
    timer.daemon = True
    timer.start()
