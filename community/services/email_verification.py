"""Email confirmation: a signed, expiring link proves the member reads their address.

Until it is confirmed the member gets no notification emails (only the confirmation), and
with REQUIRE_VERIFIED_EMAIL_TO_POST they may not post (services.screening).
"""

import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .. import permissions, urls
from ..domain_events import MemberJoined
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..models import User, utcnow
from ..security import verify_password
from . import mail
from .unit import use_case

LINK_NOT_VALID = "This confirmation link is not valid any more. Ask for a new one."
TAKEN = "An account with this email exists."
TAKEN_SINCE = "Another account uses this address now, so it cannot become yours."


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="confirm-email")


def confirmation_link(user: User, address: str | None = None) -> str:
    # The address is in the token: a link sent to an old address confirms nothing else.
    token = _signer().dumps([user.id, address or user.email])
    return urls.absolute(urls.path("auth.confirm_email", token=token))


def confirm_new_member(event: MemberJoined) -> None:
    """Reaction: a member whose address nobody vouched for (sign-up, or a provider that did
    not mark it verified) is asked to confirm it."""
    if event.user.email_verified_at is None:
        send_confirmation(event.user)


def send_confirmation(user: User) -> None:
    """Queue a confirmation email to the member's address (in the caller's transaction)."""
    mail.queue_email(user, "confirm_email", f"confirm-email:{user.id}:{secrets.token_hex(8)}",
                     "Confirm your email address", "confirm_email",
                     link=confirmation_link(user),
                     hours=current_app.config["VERIFY_EMAIL_HOURS"])


@use_case
def request_email_change(actor: User, new_email: object, password: object) -> None:
    """A signed-in member: ask to use another address, proving they know their password.

    Nothing changes until the link emailed to the new address is used (`confirm_email`);
    the current address gets a notice. Asking again replaces the address asked for, so a
    link sent to an earlier one stops working.
    """
    from .accounts import EMAIL_RE, find_user

    permissions.require(actor, "edit_profile", actor)
    if not isinstance(password, str) or not verify_password(actor.password_hash, password):
        raise ValidationError("Your current password is not correct.",
                              {"password": "Not correct."})
    email = new_email.strip().lower() if isinstance(new_email, str) else ""
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise ValidationError("Please correct the highlighted fields.",
                              {"email": "Enter a valid email address."})
    if email == actor.email.lower():
        raise ValidationError("This is your address already.",
                              {"email": "This is your address already."})
    # The same answer sign-up gives (docs/security.md: the sign-up trade-off), no more.
    if find_user(email) is not None:
        raise Conflict(TAKEN, {"email": TAKEN})
    actor.pending_email = email
    nonce = secrets.token_hex(8)
    mail.queue_email(actor, "confirm_new_email", f"confirm-new-email:{actor.id}:{nonce}",
                     "Confirm your new email address", "confirm_new_email", to_address=email,
                     link=confirmation_link(actor, email),
                     hours=current_app.config["VERIFY_EMAIL_HOURS"])
    mail.queue_email(actor, "email_change_notice", f"email-change-notice:{actor.id}:{nonce}",
                     "A new email address was asked for your account", "email_change_notice",
                     new_email=email,
                     forgot_url=urls.absolute(urls.path("auth.forgot_password")))


@use_case
def resend_confirmation(actor: User) -> None:
    """A signed-in member whose address is not confirmed: send the link again."""
    if actor.email_verified_at is not None:
        raise Conflict("Your email address is confirmed already.")
    send_confirmation(actor)


@use_case
def confirm_email(token: object) -> tuple[User, bool]:
    """Whoever holds the emailed link: confirm that address; (member, whether newly).

    A tampered, expired or out-of-date link (the address changed, the account is
    suspended or deleted) changes nothing.
    """
    try:
        value = _signer().loads(token, max_age=current_app.config["VERIFY_EMAIL_HOURS"] * 3600) \
            if isinstance(token, str) and len(token) <= 500 else None
    except BadSignature:  # SignatureExpired is one
        value = None
    user = db.session.get(User, value[0]) if (
        isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)
        and isinstance(value[1], str)) else None
    if user is not None and user.is_active and user.pending_email is not None \
            and user.pending_email == value[1] and user.email != value[1]:
        return _change_email(user), True
    if user is None or user.email != value[1] or not user.is_active:
        raise ValidationError(LINK_NOT_VALID, {"token": LINK_NOT_VALID})
    if user.email_verified_at is not None:
        return user, False
    user.email_verified_at = utcnow()
    return user, True


def _change_email(user: User) -> User:
    """The link to the new address is used: it becomes the member's (confirmed) address,
    unless another account took it since."""
    from .accounts import find_user

    taken = find_user(user.pending_email)
    if taken is not None and taken.id != user.id:
        raise Conflict(TAKEN_SINCE, {"token": TAKEN_SINCE})
    user.email, user.pending_email, user.email_verified_at = user.pending_email, None, utcnow()
    return user
