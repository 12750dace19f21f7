"""Members' identities at OpenID Connect providers: sign-up, sign-in, linking, unlinking."""

import logging
import re
from dataclasses import dataclass

from sqlalchemy import func, select

from .. import permissions
from ..domain_events import MemberJoined, record
from ..errors import Conflict, Forbidden, NotFound, ValidationError
from ..extensions import db
from ..models import Role, User, UserIdentity, utcnow
from .accounts import EMAIL_RE, RESERVED_USERNAMES, find_user, set_role

log = logging.getLogger(__name__)
from .unit import use_case

# Argon2 never produces it, so no password matches: the member signs in through a provider.
NO_PASSWORD = "!oidc"
_NOT_IN_USERNAME = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Claims:
    """What a verified ID token says about its holder."""

    provider: str
    subject: str
    email: str | None = None
    email_verified: bool = False
    preferred_username: str | None = None
    name: str | None = None
    # The role the provider's claim → role mapping gives; None: leave the member's role alone.
    role: str | None = None

    @classmethod
    def from_id_token(cls, provider: str, claims: dict, role: str | None = None) -> "Claims":
        email = claims.get("email")
        return cls(provider=provider, subject=str(claims["sub"]), role=role,
                   email=email.strip().lower() if isinstance(email, str) else None,
                   # Only a JSON true counts: "false" as a string is not a verification.
                   email_verified=claims.get("email_verified") is True,
                   preferred_username=_text(claims.get("preferred_username")),
                   name=_text(claims.get("name")))


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def find_identity(provider: str, subject: str) -> UserIdentity | None:
    return db.session.scalar(select(UserIdentity).where(UserIdentity.provider == provider,
                                                        UserIdentity.subject == subject))


def identities_of(user: User) -> list[UserIdentity]:
    """The member's linked identities, oldest first."""
    return list(db.session.scalars(select(UserIdentity).where(UserIdentity.user_id == user.id)
                                   .order_by(UserIdentity.created_at, UserIdentity.id)))


@use_case
def sign_in_with(claims: Claims, link_verified_email: bool = True) -> tuple[User, bool]:
    """Anyone holding a verified ID token: the member it signs in, and whether they are new.

    A known identity signs its member in. An unknown one is linked to the account with the
    same email only when the provider verified that email and `link_verified_email` is on;
    any other account with that email refuses it (its owner links it from settings). Else
    a new member is created. A suspended member is refused and nothing is written.
    The member then gets `claims.role`, when the provider maps one (`_apply_role`).
    """
    identity = find_identity(claims.provider, claims.subject)
    if identity is not None:
        _require_active(identity.user)
        _apply_role(identity.user, claims)
        return identity.user, False
    if not claims.email or len(claims.email) > 254 or not EMAIL_RE.match(claims.email):
        raise ValidationError("The identity provider did not give a usable email address.")
    existing = find_user(claims.email)
    if existing is not None:
        if not (claims.email_verified and link_verified_email):
            raise Conflict("An account with this email already exists. Log in with its password, "
                           "then link this identity under Settings → Linked identities.")
        _require_active(existing)
        _link(existing, claims)
        _apply_role(existing, claims)
        return existing, False
    user = User(username=_free_username(claims), email=claims.email, password_hash=NO_PASSWORD,
                display_name=(claims.name or "")[:60], role=Role.MEMBER, trust_level=0,
                email_verified_at=utcnow() if claims.email_verified else None)
    db.session.add(user)
    db.session.flush()
    _link(user, claims)
    _apply_role(user, claims)
    record(MemberJoined(user))  # an address the provider did not vouch for gets confirmed
    return user, True


@use_case
def link_identity(actor: User, claims: Claims) -> UserIdentity:
    """A signed-in member: link the provider account of `claims` to their own account."""
    permissions.require(actor, "edit_profile", actor)
    identity = find_identity(claims.provider, claims.subject)
    if identity is not None:
        if identity.user_id == actor.id:
            return identity
        raise Conflict("This identity is already linked to another account.")
    return _link(actor, claims)


@use_case
def unlink_identity(actor: User, identity_id: int) -> None:
    """The member themself: remove a linked identity, unless it is their only way to sign in."""
    identity = db.session.get(UserIdentity, identity_id)
    if identity is None or identity.user_id != actor.id:
        raise NotFound("No such linked identity.")
    permissions.require(actor, "edit_profile", identity.user)
    if actor.password_hash == NO_PASSWORD and len(identities_of(actor)) <= 1:
        raise Conflict("This is the only way to sign in to your account. "
                       "Link another identity or set a password first.")
    db.session.delete(identity)


def _link(user: User, claims: Claims) -> UserIdentity:
    identity = UserIdentity(user_id=user.id, provider=claims.provider, subject=claims.subject)
    db.session.add(identity)
    db.session.flush()
    return identity


def _apply_role(user: User, claims: Claims) -> None:
    """Raise or lower the member to the role the provider maps, with accounts.set_role's rules
    (acting as the operator); the last admin keeps the role, and the sign-in goes on."""
    if claims.role is None or user.role == claims.role:
        return
    try:
        set_role(permissions.Operator(), user, claims.role)
    except Conflict as exc:
        log.warning("OIDC %s: %s keeps the role %s (mapped: %s): %s", claims.provider,
                    user.username, user.role, claims.role, exc.message)
    else:
        log.info("OIDC %s: %s is now %s", claims.provider, user.username, claims.role)


def _require_active(user: User) -> None:
    if not user.is_active:
        raise Forbidden("This account is suspended.")


def _free_username(claims: Claims) -> str:
    """A free username from preferred_username or the email's local part, made unique."""
    wanted = claims.preferred_username or (claims.email or "").split("@")[0]
    base = _NOT_IN_USERNAME.sub("_", wanted).lstrip(".-")[:26]
    if len(base) < 3:
        base = (base + "_member")[:26].lstrip(".-") or "member"
    for n in range(1, 100):
        candidate = base if n == 1 else f"{base}{n}"
        if candidate.lower() not in RESERVED_USERNAMES and not _username_taken(candidate):
            return candidate
    raise Conflict("No free username could be made; please try again.")


def _username_taken(username: str) -> bool:
    return db.session.scalar(select(func.count()).where(
        func.lower(User.username) == username.lower())) > 0
