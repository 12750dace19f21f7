"""Site settings as the pages read them."""

from sqlalchemy import select

from ..extensions import db
from ..models import Setting

DEFAULT_SETTINGS = {
    "name": "Community",
    "tagline": "Ask questions, share ideas and help each other.",
}


def site_settings() -> dict[str, str]:
    """The brand's settings, with defaults for any not set."""
    stored = dict(db.session.execute(select(Setting.key, Setting.value)).all())
    return DEFAULT_SETTINGS | stored
