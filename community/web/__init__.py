"""Server-rendered pages, one blueprint per area."""

from datetime import datetime

from flask import Flask

from .. import permissions
from ..models import utcnow
from . import (account, admin, advocacy, auth, data_rights, feedback, forums, health, home,
               insights, moderation, notifications, oidc, polls, search, support, two_factor)


def register(app: Flask) -> None:
    for module in (home, auth, account, forums, feedback, support, polls, advocacy, search, health,
                   admin, data_rights, insights, notifications, moderation, oidc, two_factor):
        app.register_blueprint(module.bp)
    app.before_request(two_factor.enrol_staff_first)
    app.add_template_filter(ago)
    app.add_template_global(permissions.can, "can")


def ago(moment: datetime | None) -> str:
    """'just now', '5 minutes ago', '3 days ago', or the date for anything older than a month."""
    if moment is None:
        return ""
    seconds = int((utcnow() - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("minute", 60), ("hour", 3600), ("day", 86400)):
        count = seconds // size
        limit = {"minute": 60, "hour": 24, "day": 31}[unit]
        if count < limit:
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return moment.strftime("%-d %b %Y")
