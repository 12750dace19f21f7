"""Member tools: suspend, silence and set the trust level of members, by rank.

A moderator acts only on members of a lower role; each action is logged with its reason
and tells the member (a ModerationAction); suspending and silencing narrow what the
member's live sockets may still hear.
"""

from datetime import datetime, timedelta

from flask import current_app

from ... import permissions
from ...domain_events import AccessNarrowed, ModerationAction, record
from ...errors import Conflict, Forbidden, ValidationError
from ...models import User, utcnow
from ...queries.moderation import silence_of
from .. import sessions, trust
from ..unit import use_case
from .audit import audit, check_reason

LONGEST_SUSPENSION = timedelta(days=3650)


def _until(until: datetime) -> datetime:
    now = utcnow()
    if not isinstance(until, datetime) or until.tzinfo is None:
        raise ValidationError("Give a date and time.",
                              {"until": "A date and time with a time zone."})
    if until <= now:
        raise ValidationError("That is in the past.", {"until": "A moment in the future."})
    if until > now + LONGEST_SUSPENSION:
        raise ValidationError("That is too far away.", {"until": "At most ten years from now."})
    return until


def _require_over(actor, user: User, action: str, verb: str) -> None:
    if actor.is_authenticated and user.id == actor.id:
        raise ValidationError(f"You cannot {verb} yourself.",
                              {"username": "Choose another member."})
    if not permissions.can(actor, action, user) and permissions.can(actor, "moderate"):
        raise Forbidden(f"You cannot {verb} a {user.role}: only someone of a higher role can.")
    permissions.require(actor, action, user)


def _announce_member(actor, action: str, user: User, reason: str) -> None:
    record(ModerationAction(action, actor, user, None, reason))


@use_case
def suspend_member(actor: User, user: User, until: datetime, reason: str) -> User:
    """Moderators, over members of a lower role: make a member read-only until `until`, with
    a reason they are shown."""
    _require_over(actor, user, "suspend_member", "suspend")
    until, reason = _until(until), check_reason(reason, required=True)
    before = {"suspended_until": user.suspended_until if user.is_suspended() else None,
              "reason": user.suspended_reason if user.is_suspended() else ""}
    user.suspended_until, user.suspended_reason = until, reason
    sessions.end_all(user)  # signed out everywhere, sockets included; login is refused
    audit(actor, "suspend_member", "user", user.id, reason=reason, before=before,
          after={"suspended_until": until, "reason": reason}, user=user.username)
    record(AccessNarrowed(user_id=user.id))
    _announce_member(actor, "suspend", user, reason)
    return user


@use_case
def unsuspend_member(actor: User, user: User, reason: str = "") -> User:
    """Moderators, over members of a lower role: lift a suspension now."""
    _require_over(actor, user, "suspend_member", "unsuspend")
    reason = check_reason(reason, required=False)
    if not user.is_suspended():
        raise Conflict("This member is not suspended.")
    before = {"suspended_until": user.suspended_until, "reason": user.suspended_reason}
    user.suspended_until, user.suspended_reason = None, ""
    audit(actor, "unsuspend_member", "user", user.id, reason=reason, before=before,
          after={"suspended_until": None}, user=user.username)
    _announce_member(actor, "unsuspend", user, reason)
    return user


@use_case
def silence_member(actor: User, user: User, until: datetime, reason: str) -> User:
    """Moderators, over members of a lower role: stop a member posting (they can still
    read, vote and flag) until `until`, with a reason they are shown."""
    _require_over(actor, user, "silence_member", "silence")
    until, reason = _until(until), check_reason(reason, required=True)
    current = silence_of(user)
    user.silenced_until, user.silenced_reason = until, reason
    audit(actor, "silence_member", "user", user.id, reason=reason,
          before={"silenced_until": current[0] if current else None},
          after={"silenced_until": until}, user=user.username)
    record(AccessNarrowed(user_id=user.id))
    _announce_member(actor, "silence", user, reason)
    return user


@use_case
def unsilence_member(actor: User, user: User, reason: str = "") -> User:
    """Moderators, over members of a lower role: let a silenced member post again now."""
    _require_over(actor, user, "silence_member", "unsilence")
    reason = check_reason(reason, required=False)
    current = silence_of(user)
    if current is None:
        raise Conflict("This member is not silenced.")
    user.silenced_until, user.silenced_reason = None, ""
    audit(actor, "unsilence_member", "user", user.id, reason=reason,
          before={"silenced_until": current[0]}, after={"silenced_until": None},
          user=user.username)
    _announce_member(actor, "unsilence", user, reason)
    return user


@use_case
def set_trust_level(actor: User, user: User, level: int, reason: str = "") -> User:
    """Moderators, over members of a lower role: fix a member's trust level by hand (it
    stays until reset to automatic)."""
    _require_over(actor, user, "set_trust_level", "change the trust level of")
    if not isinstance(level, int) or isinstance(level, bool) or level not in trust.LEVELS:
        raise ValidationError("Unknown trust level.", {"level": "0, 1, 2, 3 or 4."})
    reason = check_reason(reason, required=False)
    before = {"trust_level": user.trust_level, "locked": user.trust_locked}
    user.trust_level, user.trust_locked = level, True
    audit(actor, "set_trust_level", "user", user.id, reason=reason, before=before,
          after={"trust_level": level, "locked": True}, user=user.username)
    _announce_member(actor, "set_trust_level", user, reason)
    return user


@use_case
def reset_trust_level(actor: User, user: User, reason: str = "") -> User:
    """Moderators, over members of a lower role: go back to the level the member's activity
    earns (which may be lower than the one they had)."""
    _require_over(actor, user, "set_trust_level", "reset the trust level of")
    reason = check_reason(reason, required=False)
    before = {"trust_level": user.trust_level, "locked": user.trust_locked}
    user.trust_locked = False
    user.trust_level = trust.earned_level(trust.activity_of(user),
                                          trust.thresholds(current_app.config))
    audit(actor, "reset_trust_level", "user", user.id, reason=reason, before=before,
          after={"trust_level": user.trust_level, "locked": False}, user=user.username)
    _announce_member(actor, "reset_trust_level", user, reason)
    return user
