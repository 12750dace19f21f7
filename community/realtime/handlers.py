"""Socket.IO connection handling: who is connecting, and their personal room."""

from flask_login import current_user
from flask_socketio import join_room

from ..extensions import socketio


@socketio.on("connect")
def on_connect(auth=None):
    if current_user.is_authenticated:
        join_room(f"user:{current_user.id}")
