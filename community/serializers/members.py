"""Members: the full profile, moderation status, badges and leaderboard entries."""

from datetime import datetime

from ..models import Badge, User
from ..recognition import rank_for
from ..urls import avatar_url, profile_url


def user(u: User, badges: list[Badge], viewer=None) -> dict:
    """A member's profile with their top `badges` (queries.advocacy.top_badges); the email
    only for the member themself."""
    data = {
        "id": u.id,
        "username": u.username,
        "display_name": u.name,
        "bio": u.bio,
        "role": str(u.role),
        "trust_level": u.trust_level,
        "points": u.points,
        "rank": rank_for(u.points),
        "badges": [b.slug for b in badges],
        "avatar_url": avatar_url(u.username),
        "created_at": u.created_at.isoformat(),
    }
    if viewer is not None and viewer.is_authenticated and viewer.id == u.id:
        data["email"] = u.email
        data["email_verified"] = u.email_verified_at is not None
        data["pending_email"] = u.pending_email
    return data


def member_joined(u: User) -> dict:
    """A new member, as the member.joined webhook tells it."""
    return {"id": u.id, "username": u.username, "display_name": u.name,
            "created_at": u.created_at.isoformat(), "url": profile_url(u.username)}


def member_status(u: User, silenced: tuple[datetime, str] | None) -> dict:
    """What moderators see of a member's standing: trust, suspension and `silenced`
    (until, reason) when silenced."""
    suspended = u.is_suspended()
    return {"username": u.username, "trust_level": u.trust_level,
            "trust_locked": u.trust_locked,
            "suspended_until": u.suspended_until.isoformat() if suspended else None,
            "suspended_reason": u.suspended_reason if suspended else "",
            "silenced_until": silenced[0].isoformat() if silenced else None,
            "silenced_reason": silenced[1] if silenced else ""}


def badge(b: Badge) -> dict:
    return {"slug": b.slug, "name": b.name, "description": b.description,
            "icon": b.icon, "tier": b.tier, "repeatable": b.repeatable}


def leaderboard_entry(entry) -> dict:
    return {"rank": entry.rank, "username": entry.user.username,
            "display_name": entry.user.name, "points": entry.points,
            "title": rank_for(entry.user.points), "badges": [b.slug for b in entry.badges],
            "avatar_url": avatar_url(entry.user.username)}
