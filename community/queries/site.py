"""Site settings as the pages read them."""

import hashlib

from sqlalchemy import select

from ..extensions import db
from ..models import Setting

# Every setting an admin can change, with the value used while it is not set.
DEFAULT_SETTINGS = {
    "name": "Community",
    "tagline": "Ask questions, share ideas and help each other.",
    # Brand theme (services/site.py validates; services/admin.py turns it into /theme.css).
    "logo_url": "",
    "primary_color": "#1f5f8b",
    "accent_color": "#c2410c",
    "banner": "",
    # One link per line: "Label | https://example.com/page" (or a path on this site).
    "footer_links": "",
}

THEME_KEYS = ("primary_color", "accent_color")


def site_settings() -> dict[str, str]:
    """The brand's settings, with defaults for any not set."""
    stored = dict(db.session.execute(select(Setting.key, Setting.value)).all())
    return DEFAULT_SETTINGS | {k: v for k, v in stored.items() if k in DEFAULT_SETTINGS}


def footer_links(settings: dict[str, str]) -> list[tuple[str, str]]:
    """The footer links as (label, url) pairs, in the order the admin wrote them."""
    links = []
    for line in settings.get("footer_links", "").splitlines():
        label, _, url = line.partition("|")
        if label.strip() and url.strip():
            links.append((label.strip(), url.strip()))
    return links


def theme_version(settings: dict[str, str]) -> str:
    """A short fingerprint of the theme, so /theme.css can be cached until it changes."""
    raw = "|".join(settings[k] for k in THEME_KEYS)
    return hashlib.sha256(raw.encode()).hexdigest()[:10]
