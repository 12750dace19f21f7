"""Moderation settings admins keep: the watched words screening applies, and rate limits.

Every change is logged. Screening (services.screening) reads the watched words; the rate
limits (community.ratelimits) read the overrides through queries.moderation.rate_limits.
"""

from flask import current_app
from limits import parse_many
from sqlalchemy import select

from ... import permissions
from ...errors import Conflict, ValidationError
from ...extensions import db
from ...models import Setting, User, WatchedWord, utcnow
from ...queries.moderation import RATE_LIMIT_KEY, RATE_LIMITS, rate_limits
from ..unit import use_case
from .audit import audit

WORD_ACTIONS = ("block", "hold", "replace")


@use_case
def add_watched_word(actor: User, word: str, action: str, replacement: str = "") -> WatchedWord:
    """Admins: watch a word or phrase ("*" matches any letters): block posts with it, hold
    them for review, or replace it."""
    permissions.require(actor, "manage_watched_words")
    word, replacement = " ".join((word or "").split()).lower(), (replacement or "").strip()
    errors = {}
    if not 1 <= len(word) <= 100 or not word.replace("*", ""):
        errors["word"] = "1–100 characters, not only “*”."
    if action not in WORD_ACTIONS:
        errors["action"] = f"One of {', '.join(WORD_ACTIONS)}."
    if action == "replace" and not 1 <= len(replacement) <= 100:
        errors["replacement"] = "1–100 characters to put in its place."
    if errors:
        raise ValidationError("Please correct the highlighted fields.", errors)
    if db.session.scalar(select(WatchedWord.id).where(WatchedWord.word == word)):
        raise Conflict("This word is watched already.", {"word": "Already on the list."})
    entry = WatchedWord(word=word, action=action,
                        replacement=replacement if action == "replace" else "", created_at=utcnow())
    db.session.add(entry)
    db.session.flush()
    audit(actor, "add_watched_word", "watched_word", entry.id,
          after={"word": word, "action": action, "replacement": entry.replacement})
    return entry


@use_case
def remove_watched_word(actor: User, entry: WatchedWord) -> None:
    """Admins: stop watching a word."""
    permissions.require(actor, "manage_watched_words")
    audit(actor, "remove_watched_word", "watched_word", entry.id,
          before={"word": entry.word, "action": entry.action, "replacement": entry.replacement})
    db.session.delete(entry)


@use_case
def update_rate_limits(actor: User, **values: str) -> dict[str, str]:
    """Admins: change rate limits ("5 per minute; 60 per hour"); an empty value goes back to
    the configured default. All are checked before any is saved."""
    permissions.require(actor, "manage_rate_limits")
    unknown = set(values) - set(RATE_LIMITS)
    if unknown:
        raise ValidationError("Unknown limits.", {k: "Unknown limit." for k in sorted(unknown)})
    errors, cleaned = {}, {}
    for key, value in values.items():
        value = " ".join(str(value or "").split())
        if value:
            try:
                if not parse_many(value):
                    raise ValueError
            except ValueError:
                errors[key] = "Like “5 per minute” or “5 per minute; 60 per hour”."
                continue
        cleaned[key] = value
    if errors:
        raise ValidationError("Please correct the highlighted limits; nothing was changed.", errors)
    before = rate_limits(current_app.config)
    for key, value in cleaned.items():
        row = db.session.get(Setting, RATE_LIMIT_KEY.format(key))
        if value:
            db.session.merge(Setting(key=RATE_LIMIT_KEY.format(key), value=value))
        elif row is not None:
            db.session.delete(row)
    db.session.flush()
    after = rate_limits(current_app.config)
    changed = sorted(k for k in RATE_LIMITS if before[k] != after[k])
    if changed:
        audit(actor, "update_rate_limits", "setting", None,
              before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return after
