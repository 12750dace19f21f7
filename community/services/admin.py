"""The admin console's own use cases, and brand theming: colours checked for contrast, the
generated /theme.css, the uploaded logo."""

import hashlib
import os
import re
import tempfile
from pathlib import Path

from flask import current_app

from ..models import Forum, ForumKind
from . import forums
from .unit import use_case

# WCAG 2.x AA: body text needs 4.5:1; large text and UI components 3:1.
MIN_PRIMARY_CONTRAST = 4.5
MIN_ACCENT_CONTRAST = 3.0
WHITE, DARK_TEXT = "#ffffff", "#0b1622"
# The dark scheme's surfaces (static/css/site.css), which brand links sit on at night.
DARK_SURFACE = "#171e26"

_HEX = re.compile(r"^#(?:[0-9a-f]{3}|[0-9a-f]{6})$")

MAX_LOGO_BYTES = 256 * 1024
# Raster images only: an SVG is a document that can carry scripts.
_LOGO_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)
LOGO_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


# --- forums ----------------------------------------------------------------------------

@use_case
def open_forum(actor, slug: str, name: str, description: str = "",
               kind: str = ForumKind.DISCUSSION, private: bool = False,
               premoderated: bool = False) -> Forum:
    """Admins: create a forum with every option the console offers, in one transaction."""
    forum = forums.create_forum(actor, slug, name, description, kind, private)
    if premoderated:
        forums.update_forum(actor, forum, premoderated=True)
    return forum


# --- colours ---------------------------------------------------------------------------

def parse_color(value: str) -> str | None:
    """`value` as "#rrggbb" if it is a hex colour ("#abc" or "#aabbcc"), else None."""
    value = value.strip().lower()
    if not _HEX.match(value):
        return None
    if len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    return value


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def luminance(color: str) -> float:
    """WCAG relative luminance of a "#rrggbb" colour."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two colours, from 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _mix(a: str, b: str, t: float) -> str:
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(_rgb(a), _rgb(b)))


def readable_on(color: str) -> str:
    """White or near-black, whichever text colour contrasts more with `color`."""
    return WHITE if contrast(color, WHITE) >= contrast(color, DARK_TEXT) else DARK_TEXT


def for_dark_scheme(color: str, minimum: float) -> str:
    """`color` lightened just enough to stand out on the dark scheme's surfaces."""
    for step in range(21):
        candidate = _mix(color, WHITE, step / 20)
        if contrast(candidate, DARK_SURFACE) >= minimum:
            return candidate
    return WHITE


def theme_colours(settings: dict[str, str]) -> dict[str, dict[str, str]]:
    """The custom properties /theme.css sets, for the light and the dark colour scheme."""
    primary, accent = settings["primary_color"], settings["accent_color"]
    night_primary = for_dark_scheme(primary, MIN_PRIMARY_CONTRAST)
    return {
        "light": {"brand": primary, "brand-contrast": readable_on(primary), "accent": accent},
        "dark": {"brand": night_primary, "brand-contrast": readable_on(night_primary),
                 "accent": for_dark_scheme(accent, MIN_ACCENT_CONTRAST)},
    }


# --- the logo --------------------------------------------------------------------------

def sniff_logo(data: bytes) -> str | None:
    """The image type ("png", "jpg", "gif", "webp") the bytes really are, or None."""
    for magic, kind in _LOGO_MAGIC:
        if data.startswith(magic):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def logo_dir() -> Path:
    return Path(current_app.instance_path) / "brand"


def stored_logo() -> tuple[Path, str] | None:
    """The uploaded logo's file and media type, if there is one."""
    folder = logo_dir()
    for kind, mimetype in LOGO_TYPES.items():
        path = folder / f"logo.{kind}"
        if path.is_file():
            return path, mimetype
    return None


def store_logo(data: bytes, kind: str) -> str:
    """Write the logo into the instance folder (replacing any other); its cache-busting tag."""
    folder = logo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".logo-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, folder / f"logo.{kind}")
    for other in LOGO_TYPES:
        if other != kind:
            (folder / f"logo.{other}").unlink(missing_ok=True)
    return hashlib.sha256(data).hexdigest()[:10]
