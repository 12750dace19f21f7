"""Accounts: registering, signing in, profiles, passwords, roles and API tokens."""

import re

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from .. import permissions
from ..domain_events import AccessNarrowed, MemberJoined, MemberVisited, ProfileUpdated, record
from ..errors import Conflict, Forbidden, NotFound, ValidationError
from ..extensions import db
from ..models import ApiToken, Role, User, utcnow
from ..security import hash_password, hash_token, new_token, verify_password
from . import sessions
from .unit import use_case

USERNAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{2,29}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RESERVED_USERNAMES = {"admin", "api", "moderator", "staff", "system", "support", "deleted"}
PASSWORD_MIN, PASSWORD_MAX = 10, 256
COMMON_PASSWORDS = {
    "password", "password1", "password123", "1234567890", "12345678910", "qwertyuiop",
    "iloveyou12", "letmein123", "welcome123", "adminadmin", "passw0rd12", "0987654321",
}
# Each scope, and the least role that gives it meaning (a token never exceeds its holder).
TOKEN_SCOPES: dict[str, Role | None] = {
    "read": None, "write": None, "moderate": Role.MODERATOR, "admin": Role.ADMIN,
}


def scopes_open_to(user) -> list[str]:
    """The token scopes `user`'s role gives meaning to."""
    return [s for s, role in TOKEN_SCOPES.items() if role is None or user.has_role(role)]


def find_user(login: str) -> User | None:
    """The user whose username (any case) or email is `login`."""
    login = login.strip()
    column = func.lower(User.email) if "@" in login else func.lower(User.username)
    return db.session.scalar(select(User).where(column == login.lower()))


def get_user(username: str) -> User:
    user = find_user(username) if "@" not in username else None
    if user is None:
        raise NotFound("No such member.")
    return user


def _password_problem(password: str, *personal: str) -> str | None:
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        return "This password is too easy to guess."
    if any(p and len(p) >= 3 and p.lower() in lowered for p in personal):
        return "Do not use your username or email in your password."
    return None


@use_case
def register_user(username: str, email: str, password: str, role: Role = Role.MEMBER,
                  verified: bool = False) -> User:
    """Anyone: create a member account (other roles only from the CLI and the demo seed).

    The address gets a confirmation email, unless the caller vouches for it (`verified`).
    """
    username, email = username.strip(), email.strip().lower()
    errors: dict[str, str] = {}
    if not USERNAME_RE.match(username):
        errors["username"] = "3–30 letters, digits, '_', '.' or '-', not starting with '.' or '-'."
    elif username.lower() in RESERVED_USERNAMES and role == Role.MEMBER:
        errors["username"] = "This username is reserved."
    if len(email) > 254 or not EMAIL_RE.match(email):
        errors["email"] = "Enter a valid email address."
    if problem := _password_problem(password, username, email.split("@")[0]):
        errors["password"] = problem
    if errors:
        raise ValidationError("Please correct the highlighted fields.", errors)

    taken: dict[str, str] = {}
    if find_user(username):
        taken["username"] = "This username is taken."
    if find_user(email):
        taken["email"] = "An account with this email exists."
    if taken:
        raise Conflict("That account already exists.", taken)

    user = User(username=username, email=email, password_hash=hash_password(password), role=role,
                trust_level=0, email_verified_at=utcnow() if verified else None)
    db.session.add(user)
    db.session.flush()
    record(MemberJoined(user))  # its reactions ask an unvouched address to confirm
    return user


def authenticate(login: str, password: str) -> User | None:
    """The user if `password` is theirs; None otherwise, taking the same time either way."""
    user = find_user(login) if login else None
    ok = verify_password(user.password_hash if user else None, password)
    return user if ok else None


@use_case
def update_profile(actor, user: User, display_name: str, bio: str) -> User:
    """The member themself or an admin: change the display name and bio."""
    permissions.require(actor, "edit_profile", user)
    display_name, bio = display_name.strip(), bio.strip()
    errors = {}
    if len(display_name) > 60:
        errors["display_name"] = "At most 60 characters."
    if len(bio) > 2000:
        errors["bio"] = "At most 2000 characters."
    if errors:
        raise ValidationError("Please correct the highlighted fields.", errors)
    user.display_name, user.bio = display_name, bio
    record(ProfileUpdated(user))
    return user


@use_case
def change_password(actor: User, current_password: str, new_password: str,
                    keep_session: str | None = None) -> None:
    """A signed-in member: replace their password, proving they know the current one.

    Every other login session ends (whoever knew the old password is signed out); the
    browser whose cookie carries `keep_session` stays signed in.
    """
    permissions.require(actor, "edit_profile", actor)
    if not verify_password(actor.password_hash, current_password):
        raise ValidationError("Your current password is not correct.",
                              {"current_password": "Not correct."})
    if problem := _password_problem(new_password, actor.username, actor.email.split("@")[0]):
        raise ValidationError("Choose a stronger password.", {"new_password": problem})
    replace_password(actor, new_password, keep_session=keep_session)


def replace_password(user: User, new_password: str, *, keep_session: str | None = None,
                     revoke_tokens: bool = False) -> None:
    """Inside a use case that has checked `new_password`: store it and sign out whoever knew
    the old one (every session but `keep_session`; with `revoke_tokens`, every API token)."""
    user.password_hash = hash_password(new_password)
    if revoke_tokens:
        db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id,
                                                  ApiToken.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
    sessions.end_all(user, keep=keep_session)  # records AccessNarrowed: sockets re-checked


@use_case
def set_password(actor, user: User, new_password: str, *, revoke_tokens: bool = True) -> None:
    """The member's operator (command line): replace a password without the old one, ending
    every session of the member and, unless told otherwise, their API tokens."""
    permissions.require(actor, "manage_members", user)
    if problem := _password_problem(new_password, user.username, user.email.split("@")[0]):
        raise ValidationError("Choose a stronger password.", {"password": problem})
    from .moderation.audit import audit  # here: moderation's package imports accounts' users

    replace_password(user, new_password, revoke_tokens=revoke_tokens)
    audit(None, "set_password", "user", user.id, by=actor.username)


@use_case
def set_role(actor, user: User, role: str) -> User:
    """Admins: give `user` another role; the last admin cannot step down."""
    permissions.require(actor, "set_role", user)
    if role not in set(Role):
        raise ValidationError("Unknown role.", {"role": f"One of {', '.join(Role)}."})
    if user.role == Role.ADMIN and role != Role.ADMIN:
        admins = db.session.scalar(select(func.count()).where(User.role == Role.ADMIN))
        if admins <= 1:
            raise Conflict("The community needs at least one admin.")
    lowered = Role(role).rank < Role(user.role).rank
    user.role = role
    if lowered:
        record(AccessNarrowed(user_id=user.id))
    return user


@use_case
def issue_token(actor: User, name: str, scopes: str = "read write",
                within: set[str] | None = None) -> tuple[ApiToken, str]:
    """A signed-in member: a new API token; the secret is returned once and never stored.

    `within`: the scopes of the token the request came with, which the new one may not exceed.
    """
    permissions.require(actor, "manage_own_tokens")
    name = name.strip()[:80] or "API token"
    wanted = set(scopes.split())
    if not wanted or not wanted <= TOKEN_SCOPES.keys():
        raise ValidationError("Unknown scope.", {"scopes": f"Any of {', '.join(TOKEN_SCOPES)}."})
    open_to = scopes_open_to(permissions.powers_in_force(actor))
    if above := [s for s in TOKEN_SCOPES if s in wanted and s not in open_to]:
        message = f"Your role does not carry the “{above[0]}” scope."
        raise ValidationError(message, {"scopes": message})
    if within is not None and not wanted <= within:
        raise Forbidden("A token cannot create a token with more scopes than it has.")
    secret, digest = new_token()
    token = ApiToken(user=actor, name=name, token_hash=digest,
                     scopes=" ".join(s for s in TOKEN_SCOPES if s in wanted))
    db.session.add(token)
    db.session.flush()
    return token, secret


def find_token(secret: str) -> ApiToken | None:
    """The live token for `secret`, if any."""
    # The holder comes in the same statement: every API request needs them.
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret))
                              .options(joinedload(ApiToken.user)))
    return token if token is not None and token.is_live else None


@use_case
def revoke_token(actor: User, token: ApiToken) -> None:
    """The token's holder (or an admin): revoke it for good."""
    permissions.require(actor, "edit_profile", token.user)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(AccessNarrowed(user_id=token.user_id))


def note_visit(user: User) -> None:
    """Count the member's first request of each UTC day (visit streaks, trust, analytics)."""
    today = utcnow().date()
    if user.last_visit_on != today:
        _record_visit(user, today)


@use_case
def _record_visit(user: User, today) -> None:
    # Fresh and locked: two first requests of the day at once must count one visit.
    db.session.refresh(user, with_for_update=True)
    if user.last_visit_on == today:
        return
    yesterday = today.toordinal() - 1
    continued = user.last_visit_on is not None and user.last_visit_on.toordinal() == yesterday
    user.visit_streak = user.visit_streak + 1 if continued else 1
    user.days_visited += 1
    user.last_visit_on = today
    user.last_seen_at = utcnow()
    record(MemberVisited(user, today))


def note_token_used(token: ApiToken) -> None:
    """Record when a token was last used (at most once a minute, to spare the database)."""
    now = utcnow()
    # Checked before the unit of work, so the other requests of the minute write nothing.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        _touch_token(token, now)


@use_case
def _touch_token(token: ApiToken, now) -> None:
    token.last_used_at = now
