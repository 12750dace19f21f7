"""Socket.IO events from clients: connect (cookie or token), subscribe, unsubscribe, typing.

Rights are checked at connect and on every event; when they shrink later, realtime.revocation
checks this process's sockets again with the same rules (see snapshot(), leave()).
"""

import threading
import time
from dataclasses import dataclass

from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import emit, join_room, leave_room

from .. import permissions
from ..auth import SESSION_KEY
from ..extensions import db, socketio
from ..models import ApiToken
from ..queries.moderation import silence_of
from . import publisher, rooms
from .presence import REFRESH_EVERY
from .queue import STATUS_EVENT, queue_healthy, status_payload

TYPING_INTERVAL = 2.0  # seconds between typing events a socket may send

# Per-process socket state: sockets are sticky to the process that accepted them.
_rooms_of: dict[str, set[str]] = {}  # the rooms each socket subscribed to
_user_of: dict[str, int] = {}  # signed-in sockets: whose they are (also: "is the member online?")
_last_typing: dict[str, float] = {}
_token_of: dict[str, int] = {}  # sockets opened with an API token: its id
_scopes_of: dict[str, set[str]] = {}  # … and its scopes
_login_of: dict[str, str] = {}  # sockets opened with a session cookie: its login session key
_rechecks = 0  # rechecks begun so far (see snapshot): a subscribe overlapping one checks again
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
    publisher.publish_now("presence", {"thread_id": thread_id, "viewers": viewers},
                          rooms.thread(thread_id))


@socketio.on("connect")
def on_connect(auth=None):
    token = auth.get("token") if isinstance(auth, dict) else None
    user = current_user
    if token is not None:
        from ..services.accounts import find_token

        found = find_token(token) if isinstance(token, str) else None
        if found is None:
            return False  # refuses the connection
        user = found.user
        with _state_lock:
            _token_of[request.sid] = found.id
            _scopes_of[request.sid] = set(found.scopes.split())
    if user.is_authenticated and not user.is_active:
        _forget(request.sid)
        return False  # a suspended (or closed) account has no live access
    if user.is_authenticated:
        join_room(rooms.user(user.id))
        sid, user_id = request.sid, user.id
        with _state_lock:
            _user_of[sid] = user_id
            if token is None:
                _login_of[sid] = session.get(SESSION_KEY, "")
        _note_online(lambda: _presence().user_connected(user_id, sid))
    _start_refresher(current_app._get_current_object())
    if not queue_healthy(socketio.server):
        emit(STATUS_EVENT, status_payload(False))


def token_holder(token_id: int):
    """The holder of API token `token_id` while the token is live and they are active, else None."""
    token = db.session.get(ApiToken, token_id)
    return token.user if token is not None and token.is_live and token.user.is_active else None


def _user():
    """Who the socket is, read anew for each event: its token's holder (None once the token
    or the account has gone), otherwise the member of its session cookie (or Anonymous)."""
    token_id = _token_of.get(request.sid)
    return current_user if token_id is None else token_holder(token_id)


def as_viewer(user, scopes: set[str] | None):
    """A token's holder only with the powers its scopes grant."""
    return user if scopes is None else permissions.limited_to_scopes(user, scopes)


def _viewer():
    return as_viewer(_user(), _scopes_of.get(request.sid))


def _note_online(change) -> None:
    try:
        change()
    except Exception as exc:  # like presence: a Redis hiccup must not break the socket
        current_app.logger.warning("online status update failed: %s", exc)


def _forget(sid: str) -> tuple[int | None, set[str]]:
    """Drop the socket's state; returns whose it was and the rooms it had subscribed to."""
    with _state_lock:
        _last_typing.pop(sid, None)
        _token_of.pop(sid, None)
        _scopes_of.pop(sid, None)
        _login_of.pop(sid, None)
        return _user_of.pop(sid, None), _rooms_of.pop(sid, set())


@socketio.on("disconnect")
def on_disconnect(*_args):
    sid = request.sid
    user_id, subscribed = _forget(sid)
    presence = _presence()
    if user_id is not None:
        _note_online(lambda: presence.user_disconnected(user_id, sid))
    for room in subscribed:
        if (thread_id := rooms.thread_id_of(room)) is not None:
            _announce_presence(thread_id, lambda t=thread_id: presence.leave(t, sid))


@socketio.on("subscribe")
def on_subscribe(data=None):
    room = data.get("room") if isinstance(data, dict) else None
    sid = request.sid
    rechecks = _rechecks
    if (reason := _refusal(room)) is not None:
        return refused(reason)
    join_room(room)
    with _state_lock:
        _rooms_of.setdefault(sid, set()).add(room)
        overlapped = _rechecks != rechecks
    if overlapped:
        # Rights narrowed while we checked (and the recheck may have looked before we
        # joined): check again on fresh data.
        db.session.rollback()
        if (reason := _refusal(room)) is not None:
            leave(sid, room, announce=False)
            return refused(reason)
    thread_id = rooms.thread_id_of(room)
    if thread_id is not None:
        presence = _presence()
        _announce_presence(thread_id, lambda: presence.join(thread_id, sid))
    return ok()


def _refusal(room) -> str | None:
    if request.sid in _token_of and _user() is None:
        return "unauthorized"  # its token has gone: the socket is being closed
    return rooms.refusal(_viewer(), room)


@socketio.on("unsubscribe")
def on_unsubscribe(data=None):
    room = data.get("room") if isinstance(data, dict) else None
    if not isinstance(room, str) or not rooms.subscribable(room):
        return refused("bad_request")
    leave(request.sid, room)
    return ok()


def leave(sid: str, room: str, announce: bool = True) -> None:
    """Take socket `sid` (of this process) out of `room`."""
    leave_room(room, sid=sid, namespace="/")
    with _state_lock:
        was_in = room in _rooms_of.get(sid, set())
        _rooms_of.get(sid, set()).discard(room)
    thread_id = rooms.thread_id_of(room)
    if thread_id is not None and was_in and announce:
        presence = _presence()
        _announce_presence(thread_id, lambda: presence.leave(thread_id, sid))


@dataclass(frozen=True)
class SocketState:
    sid: str
    user_id: int | None  # None: anonymous
    token_id: int | None  # None: the session cookie (or anonymous)
    scopes: frozenset[str] | None
    rooms: frozenset[str]  # those it subscribed to
    login_session: str | None = None  # the session cookie's login session key


def snapshot() -> list[SocketState]:
    """This process's sockets, for a recheck (realtime.revocation) about to begin.

    A subscribe that overlaps the recheck notices it and checks its room again.
    """
    global _rechecks
    with _state_lock:
        _rechecks += 1
        return [_state(sid) for sid in _user_of.keys() | _rooms_of.keys()]


def state_of(sid: str) -> SocketState | None:
    """Socket `sid` of this process as it is now, or None if it is not (or no longer) ours."""
    with _state_lock:
        return _state(sid) if sid in _user_of or sid in _rooms_of else None


def _state(sid: str) -> SocketState:
    scopes = _scopes_of.get(sid)
    return SocketState(sid, _user_of.get(sid), _token_of.get(sid),
                       frozenset(scopes) if scopes is not None else None,
                       frozenset(_rooms_of.get(sid, ())), _login_of.get(sid))


@socketio.on("typing")
def on_typing(data=None):
    thread_id = data.get("thread_id") if isinstance(data, dict) else None
    if not isinstance(thread_id, int) or isinstance(thread_id, bool):
        return refused("bad_request")
    user = _user()
    if user is None or not user.is_authenticated:
        return refused("unauthorized")
    if user.is_suspended() or silence_of(user) is not None:
        return refused("forbidden")  # typing is the start of a post they may not make
    with _state_lock:
        if rooms.thread(thread_id) not in _rooms_of.get(request.sid, set()):
            return refused("not_subscribed")
        now = time.monotonic()
        if now - _last_typing.get(request.sid, 0.0) < TYPING_INTERVAL:
            return refused("rate_limited")
        _last_typing[request.sid] = now
    publisher.publish_now("typing", {"thread_id": thread_id, "username": user.username},
                          rooms.thread(thread_id), skip_sid=request.sid)
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
                threads = {sid: {t for t in map(rooms.thread_id_of, subscribed) if t is not None}
                           for sid, subscribed in _rooms_of.items()}
                users = dict(_user_of)
            try:
                app.extensions["presence"].refresh({sid: t for sid, t in threads.items() if t})
                app.extensions["presence"].refresh_users(users)
            except Exception as exc:
                app.logger.warning("presence refresh failed: %s", exc)

    socketio.start_background_task(refresh_forever)
