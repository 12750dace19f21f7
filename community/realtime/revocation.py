"""Live access ends when rights end: open sockets are checked again when rights shrink.

Services record AccessNarrowed(user_id, thread_id, forum_id) (community.domain_events) when
what someone may hear shrinks: an API token revoked, a role lowered, a suspension or a silence,
a login session ended, an account closed (user_id); a thread moved (thread_id); a forum
made private or renamed (forum_id). Once that transaction commits (publisher.after_commit,
so never for a rollback, and before the commit's own events go out), every server process
checks its own sockets concerned again, with the rules of connect and subscribe:

- a socket whose credential has gone (_credential_live) is disconnected;
- a socket leaves every room rooms.refusal() would now refuse it.

Only the process holding a socket knows its rooms and credential, so it is the recheck that
travels: run here directly, and in the other processes through the message queue
(queue.RECHECK_METHOD), where it runs in order with the events published after it.
"""

import logging
from functools import partial

from flask import Flask, current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Thread, User
from ..permissions import Anonymous
from ..domain_events import AccessNarrowed
from ..services import sessions
from . import handlers, publisher, rooms
from .queue import ResilientRedisManager

log = logging.getLogger(__name__)

SCOPE_KEYS = ("user_id", "thread_id", "forum_id")
_IN_CHUNK = 500  # thread ids per query when finding a forum's rooms among ours


def init_app(app: Flask) -> None:
    """Let the other processes' rechecks, arriving through the message queue when there is
    one, run here (this process's own follow AccessNarrowed: see recheck_after_commit)."""
    manager = app.extensions["socketio"].server.manager
    if isinstance(manager, ResilientRedisManager):
        manager.on_recheck = partial(recheck, app)


def recheck_after_commit(event: AccessNarrowed) -> None:
    """Once the transaction commits, recheck the sockets concerned, here and, through the
    message queue when there is one, in the other processes (a reaction: community.events)."""
    scope = {"user_id": event.user_id, "thread_id": event.thread_id, "forum_id": event.forum_id}
    publisher.after_commit(partial(_recheck_everywhere, current_app._get_current_object(), scope))


def _recheck_everywhere(app: Flask, scope: dict) -> None:
    manager = app.extensions["socketio"].server.manager
    if isinstance(manager, ResilientRedisManager):
        manager.publish_recheck(scope)  # the other processes, while this one does its own
    recheck(app, scope)


def recheck(app: Flask, scope: dict) -> None:
    """Check this process's sockets concerned by `scope` again: disconnect those whose
    credential has gone, take the others out of the rooms they may no longer hear."""
    user_id, thread_id, forum_id = (_id(scope.get(k)) for k in SCOPE_KEYS)
    if user_id is None and thread_id is None and forum_id is None:
        return
    with app.app_context():
        sockets = handlers.snapshot()
        of_forum = _rooms_of_forum(forum_id, sockets) if forum_id is not None else set()
        verdicts: dict[tuple, str | None] = {}
        for sock in sockets:
            if sock.user_id is not None and sock.user_id == user_id:
                concerned = set(sock.rooms)  # everything that socket hears
            else:
                concerned = {r for r in sock.rooms
                             if r in of_forum
                             or (thread_id is not None and r == rooms.thread(thread_id))}
                if not concerned:
                    continue
            if not _credential_live(sock.sid):
                _disconnect(app, sock.sid)
                continue
            viewer = _viewer(sock)
            for room in sorted(concerned):
                key = (sock.user_id, sock.scopes, room)
                if key not in verdicts:
                    verdicts[key] = rooms.refusal(viewer, room)
                if verdicts[key] is not None:
                    handlers.leave(sock.sid, room)


def _credential_live(sid: str) -> bool:
    """Whether what socket `sid` connected with still stands (the rule of connect): its API
    token live and its holder active; for a session cookie, its login session live and its
    member still active."""
    sock = handlers.state_of(sid)
    if sock is None or sock.user_id is None:
        return True  # gone already, or anonymous: nothing to lose
    if sock.token_id is not None:
        return handlers.token_holder(sock.token_id) is not None
    login = sessions.find(sock.user_id, sock.login_session)  # logout, new password, …
    return login is not None and login.user.is_active


def _viewer(sock: handlers.SocketState):
    """Who the socket acts as now (the rule of subscribe: a token's holder within its scopes)."""
    if sock.user_id is None:
        return Anonymous()
    user = db.session.get(User, sock.user_id)
    return handlers.as_viewer(user, set(sock.scopes) if sock.scopes is not None else None)


def _rooms_of_forum(forum_id: int, sockets: list[handlers.SocketState]) -> set[str]:
    """The rooms our sockets follow that forum `forum_id`'s change may close: its threads',
    and every forum room (a rename leaves its old room behind, which by now may be gone or
    be another forum's: whatever it is, rooms.refusal judges it)."""
    followed = {r for s in sockets for r in s.rooms}
    found = {r for r in followed if r.startswith("forum:")}
    ids = sorted({t for r in followed if (t := rooms.thread_id_of(r)) is not None})
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start:start + _IN_CHUNK]
        found.update(rooms.thread(t) for t in db.session.scalars(
            select(Thread.id).where(Thread.forum_id == forum_id, Thread.id.in_(chunk))))
    return found


def _disconnect(app: Flask, sid: str) -> None:
    log.info("closing socket %s: its credential has gone", sid)
    # This process's own socket: nothing to tell the others.
    app.extensions["socketio"].server.disconnect(sid, namespace="/", ignore_queue=True)


def _id(value: object) -> int | None:
    # A scope may come from another process: only ids are taken.
    return value if isinstance(value, int) and not isinstance(value, bool) else None
