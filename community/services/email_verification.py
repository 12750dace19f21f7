"""Email confirmation: a signed, expiring link proves the member reads their address.

Until it is confirmed the member gets no notification emails (only the confirmation), and
with REQUIRE_VERIFIED_EMAIL_TO_POST they may not post (services.screening).
"""

import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .. import urls
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..models import User, utcnow
from . import mail
from .unit import use_case

LINK_NOT_VALID = "This confirmation link is not valid any more. Ask for a new one."


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="confirm-email")


def confirmation_link(user: User) -> str:
    # The address is in the token: a link sent to an old address confirms nothing else.
    token = _signer().dumps([user.id, user.email])
    return urls.absolute(urls.path("auth.confirm_email", token=token))


def send_confirmation(user: User) -> None:
    """Queue a confirmation email to the member's address (in the caller's transaction)."""
    mail.queue_email(user, "confirm_email", f"confirm-email:{user.id}:{secrets.token_hex(8)}",
                     "Confirm your email address", "confirm_email",
                     link=confirmation_link(user),
                     hours=current_app.config["VERIFY_EMAIL_HOURS"])


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
    if user is None or user.email != value[1] or not user.is_active:
        raise ValidationError(LINK_NOT_VALID, {"token": LINK_NOT_VALID})
    if user.email_verified_at is not None:
        return user, False
    user.email_verified_at = utcnow()
    return user, True
