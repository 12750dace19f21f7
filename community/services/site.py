"""Site settings an admin changes: the community's name, tagline and brand theme."""

import re
from collections.abc import Callable

from .. import permissions
from ..errors import ValidationError
from ..extensions import db
from ..models import Setting
from ..queries.site import DEFAULT_SETTINGS
from . import admin as theme
from .unit import use_case

MAX_FOOTER_LINKS = 8
_UPLOADED_LOGO = re.compile(r"^/brand/logo\?v=[0-9a-f]{10}$")


def _text(low: int, high: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not low <= len(value) <= high:
            raise ValueError(f"{low}–{high} characters." if low else f"At most {high} characters.")
        return value

    return check


def _one_line(low: int, high: int) -> Callable[[str], str]:
    length = _text(low, high)

    def check(value: str) -> str:
        return length(" ".join(value.split()))

    return check


def _color(minimum: float, what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        color = theme.parse_color(value)
        if color is None:
            raise ValueError("A hex colour such as #1f5f8b.")
        ratio = theme.contrast(color, theme.WHITE)
        if ratio < minimum:
            raise ValueError(f"{what} has a contrast of {ratio:.1f}:1 with white; it needs at "
                             f"least {minimum:g}:1 to be readable. Choose a darker shade.")
        return color

    return check


def _link_target(url: str) -> bool:
    if url.startswith("/"):
        return not url.startswith("//") and "\\" not in url
    return re.match(r"^https?://[^\s/?#]+", url, re.IGNORECASE) is not None


def _logo_url(value: str) -> str:
    if value == "" or _UPLOADED_LOGO.match(value):
        return value
    # The page's Content-Security-Policy loads images from this site and https: only.
    if len(value) > 500 or not re.match(r"^https://[^\s/?#]+\S*$", value, re.IGNORECASE):
        raise ValueError("An https:// address of an image, or upload a file.")
    return value


def _footer_links(value: str) -> str:
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    if len(lines) > MAX_FOOTER_LINKS:
        raise ValueError(f"At most {MAX_FOOTER_LINKS} links.")
    cleaned = []
    for number, line in enumerate(lines, 1):
        label, bar, url = (part.strip() for part in line.partition("|"))
        if not bar or not label or not url:
            raise ValueError(f"Line {number}: write “Label | https://address”.")
        if len(label) > 40:
            raise ValueError(f"Line {number}: at most 40 characters before the “|”.")
        if len(url) > 300 or not _link_target(url):
            raise ValueError(f"Line {number}: the address must start with https://, http:// or /.")
        cleaned.append(f"{label} | {url}")
    return "\n".join(cleaned)


VALIDATORS: dict[str, Callable[[str], str]] = {
    "name": _one_line(1, 80),
    "tagline": _one_line(0, 200),
    "logo_url": _logo_url,
    "primary_color": _color(theme.MIN_PRIMARY_CONTRAST, "The primary colour"),
    "accent_color": _color(theme.MIN_ACCENT_CONTRAST, "The accent colour"),
    "banner": _one_line(0, 300),
    "footer_links": _footer_links,
}
assert set(VALIDATORS) == set(DEFAULT_SETTINGS)


@use_case
def update_settings(actor, **values: str) -> dict[str, str]:
    """Admins: change site settings (name, tagline, theme…); all are checked before any is saved."""
    permissions.require(actor, "administer")
    unknown = set(values) - set(DEFAULT_SETTINGS)
    if unknown:
        raise ValidationError("Unknown settings.", {k: "Unknown setting." for k in sorted(unknown)})
    cleaned, errors = {}, {}
    for key, value in values.items():
        if not isinstance(value, str):
            errors[key] = "Text expected."
            continue
        try:
            cleaned[key] = VALIDATORS[key](value.strip())
        except ValueError as exc:
            errors[key] = str(exc)
    if errors:
        raise ValidationError("Please correct the highlighted settings; nothing was changed.",
                              errors)
    for key, value in cleaned.items():
        db.session.merge(Setting(key=key, value=value))
    return cleaned


def check_logo(data: bytes) -> str:
    """The image type of an uploaded logo; ValidationError unless it is a small raster image."""
    if not data:
        raise ValidationError("Choose an image file.", {"logo_file": "Choose an image file."})
    if len(data) > theme.MAX_LOGO_BYTES:
        raise ValidationError("The logo is too large.",
                              {"logo_file": f"At most {theme.MAX_LOGO_BYTES // 1024} KB."})
    kind = theme.sniff_logo(data)
    if kind is None:
        raise ValidationError("That file is not an image we accept.",
                              {"logo_file": "A PNG, JPEG, GIF or WebP image."})
    return kind


@use_case
def upload_logo(actor, data: bytes) -> str:
    """Admins: store an uploaded PNG, JPEG, GIF or WebP as the logo; its new URL."""
    permissions.require(actor, "administer")
    kind = check_logo(data)
    url = f"/brand/logo?v={theme.store_logo(data, kind)}"
    db.session.merge(Setting(key="logo_url", value=url))
    return url


@use_case
def update_site(actor, values: dict[str, str], logo: bytes | None = None) -> dict[str, str]:
    """Admins: save the settings form and, if one came with it, the new logo; all or nothing."""
    permissions.require(actor, "administer")
    if logo is not None:
        check_logo(logo)
    cleaned = update_settings(actor, **values)
    if logo is not None:
        cleaned["logo_url"] = upload_logo(actor, logo)
    return cleaned
