"""Password reset by email: a single-use link that expires, then a new password.

The link carries a random token; only its sha256 is stored (`PasswordReset`), as for API
tokens. Asking for a link answers alike whether or not the address has an account.
"""

import secrets
from datetime import timedelta

from flask import current_app, render_template
from sqlalchemy import func, select, update

from .. import urls
from ..errors import ValidationError
from ..extensions import db
from ..models import PasswordReset, User, utcnow
from ..queries.site import site_settings
from ..security import hash_token
from . import mail
from .accounts import _password_problem, replace_password
from .moderation.audit import audit
from .unit import use_case

LINK_NOT_VALID = "This password reset link is not valid any more. Ask for a new one."


def reset_link(token: str) -> str:
    return urls.absolute(urls.path("auth.reset_password", token=token))


@use_case
def request_password_reset(email: object) -> None:
    """Anyone: email a reset link to the active account using `email`, if there is one.

    Returns nothing and raises nothing either way, so the caller cannot tell.
    """
    email = email.strip().lower() if isinstance(email, str) else ""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email)) \
        if "@" in email and len(email) <= 254 else None
    token = secrets.token_urlsafe(32)
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    if user is None or not user.is_active:  # unknown, suspended or deleted: no email
        # Render the email all the same, so an unknown address costs about the time a
        # known one does.
        stand_in = User(username="member", email=email, display_name="")
        for suffix in ("txt", "html"):
            render_template(f"email/password_reset.{suffix}", user=stand_in,
                            site=site_settings(), link=reset_link(token), hours=hours)
        return
    reset = PasswordReset(user_id=user.id, token_hash=hash_token(token),
                          expires_at=utcnow() + timedelta(hours=hours))
    db.session.add(reset)
    db.session.flush()
    mail.queue_email(user, "password_reset", f"password-reset:{reset.id}",
                     "Reset your password", "password_reset", link=reset_link(token),
                     hours=hours)


def find_reset(token: object) -> PasswordReset | None:
    """The reset behind a link's `token` if it still works: unused, unexpired, of an active
    account; None otherwise (forged, used, expired, account suspended or deleted)."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    reset = db.session.scalar(select(PasswordReset)
                              .where(PasswordReset.token_hash == hash_token(token)))
    if (reset is None or reset.used_at is not None or reset.expires_at <= utcnow()
            or not reset.user.is_active):
        return None
    return reset


@use_case
def reset_password(token: object, password: str) -> User:
    """The holder of an emailed link: set a new password, once.

    Every login session of the member ends and every API token is revoked (whoever knew
    the old password is out), their other open links stop working, and they get an email
    saying the password changed. A link that does not work changes nothing.
    """
    reset = find_reset(token)
    if reset is not None:
        # Two uses of one link at once: the second waits here, then finds it used. (Only
        # this row is locked: PostgreSQL refuses FOR UPDATE across the joined user.)
        db.session.scalar(select(PasswordReset).where(PasswordReset.id == reset.id)
                          .with_for_update(of=PasswordReset)
                          .execution_options(populate_existing=True))
    if reset is None or reset.used_at is not None:
        raise ValidationError(LINK_NOT_VALID, {"token": LINK_NOT_VALID})
    user = reset.user
    if problem := _password_problem(password, user.username, user.email.split("@")[0]):
        raise ValidationError("Choose a stronger password.", {"password": problem})
    db.session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id,
                                                   PasswordReset.used_at.is_(None))
                       .values(used_at=utcnow()))
    replace_password(user, password, revoke_tokens=True)
    audit(user, "reset_password", "user", user.id)
    mail.queue_email(user, "password_changed", f"password-changed:{reset.id}",
                     "Your password was changed", "password_changed",
                     forgot_url=urls.absolute(urls.path("auth.forgot_password")))
    return user
