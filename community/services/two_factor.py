"""Two-factor authentication (TOTP, RFC 6238): enrolment, codes, recovery codes, the lock.

A code is checked by `check_code`, which returns why it was refused instead of raising, so
the count of wrong codes is committed with the refusal (a raise would roll it back).
"""

import hmac
import secrets
from datetime import timedelta

import pyotp
from flask import current_app
from sqlalchemy import delete, func, select

from ..errors import Conflict, ValidationError
from ..extensions import db
from ..models import RecoveryCode, Role, TwoFactor, User, utcnow
from ..security import hash_token, verify_password
from .moderation.audit import audit
from .unit import use_case

STEP_SECONDS = 30
WINDOW_STEPS = 1  # a code of the step before or after now is accepted too (clock drift)
MAX_FAILED = 5
LOCK_MINUTES = 15
RECOVERY_CODES = 10

LOCKED = (f"Too many wrong codes: two-factor sign-in is locked for {LOCK_MINUTES} minutes. "
          "Try again later.")
WRONG = "That code is not right."
REUSED = "That code was already used. Wait for the next one."


def of(user: User) -> TwoFactor | None:
    """The member's authenticator, confirmed or pending; None when they have none."""
    return db.session.get(TwoFactor, user.id)


def is_enabled(user: User) -> bool:
    tf = of(user)
    return tf is not None and tf.is_enabled


def required_for(user: User) -> bool:
    """Whether this member must enrol before reaching staff pages (REQUIRE_2FA_FOR_STAFF)."""
    return bool(current_app.config["REQUIRE_2FA_FOR_STAFF"]) and user.has_role(Role.STAFF)


def provisioning_uri(tf: TwoFactor) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(tf.secret).provisioning_uri(
        name=tf.user.username, issuer_name=current_app.config["SITE_NAME"])


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


@use_case
def begin_enrolment(user: User) -> TwoFactor:
    """The member: a fresh pending secret, replacing any earlier unconfirmed one."""
    tf = of(user)
    if tf is not None and tf.is_enabled:
        raise Conflict("Two-factor authentication is already on.")
    if tf is None:
        tf = TwoFactor(user_id=user.id)
        db.session.add(tf)
    tf.secret = pyotp.random_base32()
    tf.created_at = utcnow()
    tf.last_step = 0
    tf.failed_attempts = 0
    tf.locked_until = None
    db.session.flush()
    return tf


@use_case
def confirm_enrolment(user: User, code: str) -> list[str]:
    """The member, with a first code from their app: turns 2FA on; returns the recovery codes once."""
    tf = of(user)
    if tf is None or tf.is_enabled:
        raise Conflict("There is no two-factor set-up waiting to be confirmed.")
    step = _matching_step(tf, code)
    if step is None:
        raise ValidationError(WRONG, {"code": WRONG})
    tf.confirmed_at = utcnow()
    tf.last_step = step
    codes = _new_recovery_codes(user)
    audit(user, "two_factor.enabled", "user", user.id)
    return codes


@use_case
def check_code(user: User, code: str) -> str | None:
    """A second factor for `user` (a TOTP code or a recovery code): None when accepted, else why not.

    An accepted code is spent (its time step, or the recovery code); a wrong one counts
    towards the lock, which refuses every code for LOCK_MINUTES after MAX_FAILED.
    """
    tf = of(user)
    if tf is None or not tf.is_enabled:
        return WRONG
    now = utcnow()
    if tf.locked_until is not None:
        if tf.locked_until > now:
            return LOCKED
        tf.locked_until, tf.failed_attempts = None, 0
    code = "".join((code or "").split())
    if code.isdigit() and len(code) == 6:
        step = _matching_step(tf, code)
        if step is not None and step <= tf.last_step:
            return REUSED
        if step is not None:
            tf.last_step = step
            tf.failed_attempts = 0
            return None
    elif (recovery := _unused_recovery_code(user, code)) is not None:
        recovery.used_at = now
        tf.failed_attempts = 0
        audit(user, "two_factor.recovery_code_used", "user", user.id)
        return None
    tf.failed_attempts += 1
    if tf.failed_attempts >= MAX_FAILED:
        tf.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        audit(None, "two_factor.locked", "user", user.id, attempts=tf.failed_attempts)
        return LOCKED
    return WRONG


@use_case
def disable_two_factor(user: User, password: str, code: str) -> dict[str, str] | None:
    """The member, with their password and a current code: turns 2FA off. Returns refusals by field."""
    if not verify_password(user.password_hash, password or ""):
        return {"password": "Wrong password."}
    if (refusal := check_code(user, code)) is not None:
        return {"code": refusal}
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.delete(of(user))
    audit(user, "two_factor.disabled", "user", user.id)
    return None


def _matching_step(tf: TwoFactor, code: str) -> int | None:
    """The time step near now whose code this is, or None."""
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(tf.secret)
    now = int(utcnow().timestamp()) // STEP_SECONDS
    for step in range(now - WINDOW_STEPS, now + WINDOW_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normal_recovery_code(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_token(raw)))
    return codes


def _unused_recovery_code(user: User, code: str) -> RecoveryCode | None:
    normal = _normal_recovery_code(code)
    if not normal:
        return None
    return db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == hash_token(normal),
        RecoveryCode.used_at.is_(None)))
