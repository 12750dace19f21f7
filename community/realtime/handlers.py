"""Socket.IO events from clients: connect (cookie or token), subscribe, unsubscribe, typing."""

import threading
import time

from flask import current_app, request
from flask_login import current_user, login_user
from flask_socketio import emit, join_room, leave_room

from .. import permissions
from ..extensions import socketio
from . import rooms
from .presence import REFRESH_EVERY
from .queue import STATUS_EVENT, queue_healthy, status_payload

TYPING_INTERVAL = 2.0  # seconds between typing events a socket may send

# Per-process socket state: sockets are sticky to the process that accepted them.
_threads_of: dict[str, set[int]] = {}
_user_of: dict[str, int] = {}  # signed-in sockets: whose they are (for "is the member online?")
_last_typing: dict[str, float] = {}
_scopes_of: dict[str, set[str]] = {}  # sockets opened with an API token: its scopes
_state_lock = threading.Lock()


def ok() -> dict:
    return {"ok": True}


def refused(code: str) -> dict:
    return {"ok": False, "error": code}


def _presence():
    return current_app.extensions["presence"]


def _announce_presence(thread_id: int, change) -> None:
    try:
        viewers = change()
    except Exception as exc:  # presence is a nicety: a Redis hiccup must not break the socket
        current_app.logger.warning("presence update failed: %s", exc)
        return
    socketio.emit("presence", {"thread_id": thread_id, "viewers": viewers},
                  to=rooms.thread(thread_id))


@socketio.on("connect")
def on_connect(auth=None):
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is not None:
        from ..services.accounts import find_token

        found = find_token(token) if isinstance(token, str) else None
        if found is None or not found.user.is_active:
            return False  # refuses the connection
        login_user(found.user)
        with _state_lock:
            _scopes_of[request.sid] = set(found.scopes.split())
    if current_user.is_authenticated:
        join_room(rooms.user(current_user.id))
        sid, user_id = request.sid, current_user.id
        with _state_lock:
            _user_of[sid] = user_id
        _note_online(lambda: _presence().user_connected(user_id, sid))
    _start_refresher(current_app._get_current_object())
    if not queue_healthy(socketio.server):
        emit(STATUS_EVENT, status_payload(False))


def _viewer():
    """Who the socket acts as: a token's holder only with the powers its scopes grant."""
    scopes = _scopes_of.get(request.sid)
    return current_user if scopes is None else permissions.limited_to_scopes(current_user, scopes)


def _note_online(change) -> None:
    try:
        change()
    except Exception as exc:  # like presence: a Redis hiccup must not break the socket
        current_app.logger.warning("online status update failed: %s", exc)


@socketio.on("disconnect")
def on_disconnect(*_args):
    sid = request.sid
    with _state_lock:
        threads = _threads_of.pop(sid, set())
        user_id = _user_of.pop(sid, None)
        _last_typing.pop(sid, None)
        _scopes_of.pop(sid, None)
    presence = _presence()
    if user_id is not None:
        _note_online(lambda: presence.user_disconnected(user_id, sid))
    for thread_id in threads:
        _announce_presence(thread_id, lambda t=thread_id: presence.leave(t, sid))


@socketio.on("subscribe")
def on_subscribe(data=None):
    room = data.get("room") if isinstance(data, dict) else None
    if (reason := rooms.refusal(_viewer(), room)) is not None:
        return refused(reason)
    join_room(room)
    thread_id = rooms.thread_id_of(room)
    if thread_id is not None:
        with _state_lock:
            _threads_of.setdefault(request.sid, set()).add(thread_id)
        sid, presence = request.sid, _presence()
        _announce_presence(thread_id, lambda: presence.join(thread_id, sid))
    return ok()


@socketio.on("unsubscribe")
def on_unsubscribe(data=None):
    room = data.get("room") if isinstance(data, dict) else None
    if not isinstance(room, str) or rooms.refusal(_viewer(), room) == "bad_request":
        return refused("bad_request")
    leave_room(room)
    thread_id = rooms.thread_id_of(room)
    if thread_id is not None:
        with _state_lock:
            _threads_of.get(request.sid, set()).discard(thread_id)
        sid, presence = request.sid, _presence()
        _announce_presence(thread_id, lambda: presence.leave(thread_id, sid))
    return ok()


@socketio.on("typing")
def on_typing(data=None):
    thread_id = data.get("thread_id") if isinstance(data, dict) else None
    if not isinstance(thread_id, int) or isinstance(thread_id, bool):
        return refused("bad_request")
    if not current_user.is_authenticated:
        return refused("unauthorized")
    with _state_lock:
        if thread_id not in _threads_of.get(request.sid, set()):
            return refused("not_subscribed")
        now = time.monotonic()
        if now - _last_typing.get(request.sid, 0.0) < TYPING_INTERVAL:
            return refused("rate_limited")
        _last_typing[request.sid] = now
    socketio.emit("typing", {"thread_id": thread_id, "username": current_user.username},
                  to=rooms.thread(thread_id), skip_sid=request.sid)
    return ok()


@socketio.on_error_default
def on_error(exc):
    # A handler bug answers with an error ack; it never drops the connection.
    current_app.logger.exception("socket event failed: %s", exc)
    return refused("internal_error")


def _start_refresher(app) -> None:
    """Keep this process's presence entries alive (one task per app)."""
    with _state_lock:
        if app.extensions.get("presence_refresher"):
            return
        app.extensions["presence_refresher"] = True

    def refresh_forever():
        while True:
            socketio.sleep(REFRESH_EVERY)
            with _state_lock:
                snapshot = {sid: set(t) for sid, t in _threads_of.items() if t}
                users = dict(_user_of)
            try:
                app.extensions["presence"].refresh(snapshot)
                app.extensions["presence"].refresh_users(users)
            except Exception as exc:
                app.logger.warning("presence refresh failed: %s", exc)

    socketio.start_background_task(refresh_forever)
