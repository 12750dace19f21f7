"""Login sessions: one row per signed-in browser, so a session can be ended from the server.

The session cookie is signed, not stored; it carries a random key whose hash is a row here.
Logout ends the row, a password change ends the member's other rows, a suspension and
"sign out everywhere" end them all. Each ending also tells live sockets (access_narrowed).
"""

import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from .. import permissions
from ..domain_events import AccessNarrowed, record
from ..errors import NotFound
from ..extensions import db
from ..models import LoginSession, User, utcnow
from ..security import hash_token
from .unit import use_case

SEEN_EVERY = timedelta(minutes=5)  # how stale "last active" may get, to spare writes


@use_case
def start(user: User, device: str = "", address: str | None = "") -> str:
    """A new session for `user` (signed in from client `address`); returns the key to put
    in the signed cookie."""
    key = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user_id=user.id, key_hash=hash_token(key),
                                device=device.strip()[:200], address=(address or "")[:45]))
    return key


def find(user_id: int, key: object) -> LoginSession | None:
    """The live session of `user_id` whose cookie carries `key`, if any."""
    if not isinstance(key, str) or not key:
        return None
    return db.session.scalar(select(LoginSession).where(
        LoginSession.key_hash == hash_token(key), LoginSession.user_id == user_id))


def is_live(user_id: int, key: object) -> bool:
    return find(user_id, key) is not None


def note_seen(session: LoginSession) -> None:
    if utcnow() - session.last_seen_at > SEEN_EVERY:
        _touch(session)


@use_case
def _touch(session: LoginSession) -> None:
    session.last_seen_at = utcnow()


def of(user: User) -> list[LoginSession]:
    """The member's signed-in browsers, most recently active first."""
    return list(db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)
                                   .order_by(LoginSession.last_seen_at.desc(),
                                             LoginSession.id.desc())))


@use_case
def end(key: object) -> None:
    """Logout: end the session whose cookie carries `key` (nothing if it is already gone)."""
    if isinstance(key, str) and key:
        ended = db.session.scalar(select(LoginSession).where(
            LoginSession.key_hash == hash_token(key)))
        if ended is not None:
            db.session.delete(ended)
            record(AccessNarrowed(user_id=ended.user_id))


@use_case
def end_one(actor: User, session_id: int) -> None:
    """The member (or an admin): sign one of their browsers out."""
    ended = db.session.get(LoginSession, session_id)
    if ended is None or ended.user_id != actor.id:
        raise NotFound("No such session.")  # another member's session is not even named
    permissions.require(actor, "edit_profile", actor)
    db.session.delete(ended)
    record(AccessNarrowed(user_id=actor.id))


@use_case
def end_all(user: User, keep: object = None) -> None:
    """End every session of `user` but the one whose cookie carries `keep`."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if isinstance(keep, str) and keep:
        query = query.where(LoginSession.key_hash != hash_token(keep))
    db.session.execute(query)
    record(AccessNarrowed(user_id=user.id))
