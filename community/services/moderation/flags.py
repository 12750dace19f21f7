"""Flags: members tell the moderators about a post; enough weight hides it at once."""

from flask import current_app
from sqlalchemy import select

from ... import permissions
from ...domain_events import ModerationAction, record
from ...errors import Conflict, Forbidden, ValidationError
from ...extensions import db
from ...models import Flag, Post, PostState, ReviewItem, User, utcnow
from .. import lifecycle, trust
from ..rows import insert_if_absent
from ..unit import use_case
from .audit import about, audit
from .queue import announce, open_item

FLAG_REASONS = {"spam": "Spam", "abusive": "Abusive or harassing", "off_topic": "Off topic",
                "other": "Something else"}
NOTE_MAX = 1000


def _flag_summary(flags: list[Flag]) -> str:
    counts: dict[str, int] = {}
    for f in flags:
        counts[f.reason] = counts.get(f.reason, 0) + 1
    parts = ", ".join(f"{FLAG_REASONS[r].lower()} ×{n}" for r, n in sorted(counts.items()))
    return f"Flagged: {parts} (weight {sum(f.weight for f in flags)})."


@use_case
def flag_post(actor: User, post: Post, reason: str, note: str = "") -> Flag:
    """Members who can see a published post by someone else: flag it for the moderators,
    once. Flags weigh by the flagger's trust level; enough weight hides the post until a
    moderator looks at it."""
    if actor.is_authenticated and post.author_id == actor.id:
        raise Forbidden("You cannot flag your own post.")
    permissions.require(actor, "flag_post", post)
    note = (note or "").strip()
    if reason not in FLAG_REASONS:
        raise ValidationError("Choose a reason.", {"reason": f"One of {', '.join(FLAG_REASONS)}."})
    if reason == "other" and not note:
        raise ValidationError("Say what is wrong.", {"note": "Tell the moderators what is wrong."})
    if len(note) > NOTE_MAX:
        raise ValidationError("The note is too long.", {"note": f"At most {NOTE_MAX} characters."})
    lifecycle.lock_post(post)
    if post.state != PostState.PUBLISHED:
        raise Conflict("This post is already with the moderators.")
    weight = trust.flag_weight(actor, current_app.config)
    if not insert_if_absent(Flag, post_id=post.id, user_id=actor.id, reason=reason, note=note,
                            weight=weight, created_at=utcnow()):
        raise Conflict("You have flagged this post already.", {"reason": "Already flagged."})
    flags = list(db.session.scalars(select(Flag).where(Flag.post_id == post.id,
                                                       Flag.resolved_at.is_(None))
                                    .order_by(Flag.id)))
    item = open_item(post, "flagged")
    if item is None:
        item = ReviewItem(post=post, kind="flagged", status="open", created_at=utcnow())
        db.session.add(item)
    item.reason = _flag_summary(flags)
    total = sum(f.weight for f in flags)
    if total >= current_app.config["FLAG_HIDE_WEIGHT"]:
        lifecycle.remove_post(post, PostState.HIDDEN, None, hide_thread=True)
        item.reason += " Hidden automatically until a moderator decides."
        audit(None, "auto_hide", "post", post.id, reason=item.reason, before={"state": "published"},
              after={"state": "hidden"}, **about(post))
        record(ModerationAction("hide", None, post.author, post,
                                "Members flagged it; a moderator will take a look."))
    db.session.flush()
    announce(item)
    return db.session.scalar(select(Flag).where(Flag.post_id == post.id, Flag.user_id == actor.id))
