"""What a post or a thread title may say, and how a body is rendered to be stored.

Below forums, screening and moderation alike: each checks and renders text the same way.
"""

from collections.abc import Iterable

from sqlalchemy import func, select

from .. import text, urls
from ..errors import ValidationError
from ..extensions import db
from ..models import User

TITLE_MIN, TITLE_MAX = 3, 200


def clean_title(title: str) -> str:
    """The title with its whitespace collapsed; ValidationError unless 3–200 characters."""
    title = " ".join(title.split())
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise ValidationError("Please correct the title.",
                              {"title": f"{TITLE_MIN}–{TITLE_MAX} characters."})
    return title


def check_body(body: str) -> str:
    """The body if it is acceptable as a post; ValidationError otherwise."""
    if not body.strip():
        raise ValidationError("Please write something.", {"body": "Write a message."})
    if len(body) > text.MAX_BODY:
        raise ValidationError("The message is too long.",
                              {"body": f"At most {text.MAX_BODY:,} characters."})
    return body


def _resolve_mentions(names: Iterable[str]) -> dict[str, str]:
    names = list(names)
    lowered = {n.lower() for n in names}
    if not lowered:
        return {}
    found = db.session.scalars(
        select(User.username).where(func.lower(User.username).in_(lowered))).all()
    canonical = {u.lower(): u for u in found}
    return {n: canonical[n.lower()] for n in names if n.lower() in canonical}


def render(body: str) -> text.Rendered:
    """The body rendered the way it will be stored (also used for previews)."""
    return text.render(body, resolve_mentions=_resolve_mentions, user_url=urls.profile_url,
                       post_url=urls.post_url)
