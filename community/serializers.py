"""JSON-safe shapes of domain objects, one per kind, for the API and Socket.IO alike."""

from flask import url_for

from .models import User


def user(u: User, viewer=None) -> dict:
    data = {
        "id": u.id,
        "username": u.username,
        "display_name": u.name,
        "bio": u.bio,
        "role": str(u.role),
        "trust_level": u.trust_level,
        "points": 0,
        "badges": [],
        "avatar_url": url_for("account.avatar", username=u.username),
        "created_at": u.created_at.isoformat(),
    }
    if viewer is not None and viewer.is_authenticated and viewer.id == u.id:
        data["email"] = u.email
    return data
