"""What admins manage: forum settings, webhooks and their deliveries."""

from datetime import datetime

from .forums import forum


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def forum_settings(f) -> dict:
    """A forum with the settings only admins see."""
    return forum(f) | {"premoderated": f.premoderated}


def webhook(hook) -> dict:
    return {"id": hook.id, "url": hook.url, "description": hook.description,
            "events": hook.event_list, "active": hook.active,
            "include_private": hook.include_private, "secret": hook.secret,
            "created_at": hook.created_at.isoformat()}


def delivery(d) -> dict:
    return {"id": d.id, "uuid": d.uuid, "event": d.event, "status": d.status,
            "attempts": d.attempts, "response_code": d.response_code, "error": d.error,
            "created_at": d.created_at.isoformat(), "last_attempt_at": _iso(d.last_attempt_at),
            "next_attempt_at": _iso(d.next_attempt_at), "delivered_at": _iso(d.delivered_at),
            "payload": d.payload}
