"""Avatars drawn from a member's name: initials on a colour of their own."""

import hashlib
from xml.sax.saxutils import escape

# Colours dark enough for white initials to pass WCAG AA contrast.
PALETTE = ("#1f6feb", "#8250df", "#bf3989", "#cf222e", "#9a6700", "#1a7f37", "#0a7480", "#57606a")


def initials(name: str) -> str:
    parts = [p for p in name.replace("_", " ").replace(".", " ").replace("-", " ").split() if p]
    if not parts:
        return "?"
    letters = parts[0][0] + (parts[1][0] if len(parts) > 1 else "")
    return letters.upper()


def avatar_svg(username: str, name: str) -> str:
    colour = PALETTE[int(hashlib.sha256(username.lower().encode()).hexdigest(), 16) % len(PALETTE)]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" '
        f'aria-label="{escape(name, {chr(34): "&quot;"})}">'
        f'<rect width="64" height="64" rx="32" fill="{colour}"/>'
        '<text x="32" y="32" dy=".35em" text-anchor="middle" fill="#fff" '
        'font-family="system-ui,sans-serif" font-size="26" font-weight="600">'
        f"{escape(initials(name))}</text></svg>"
    )
