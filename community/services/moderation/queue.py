"""The review queue: held and flagged posts wait here as ReviewItems for a moderator.

A post screening held enters the queue when it is written (`queue_held_post`), a flagged
one when members flag it (services.moderation.flags). Moderators work an item with
`act_on_item` (approve, reject, hide, restore; claim and release), or hide and restore a
post directly; every decision settles the post's open items, is logged and tells the
`moderation` room. The post's own change goes through services.lifecycle.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from ... import permissions, serializers
from ...domain_events import ModerationAction, PostDeleted, PostHeld, record
from ...errors import Conflict, ValidationError
from ...extensions import db
from ...models import Flag, Post, PostState, ReviewItem, ThreadState, User, utcnow
from ...queries import moderation as qm
from ...realtime import publisher, rooms
from .. import forums, lifecycle
from ..follows import auto_follow
from ..unit import use_case
from .audit import about, audit, check_reason

ITEM_ACTIONS = ("approve", "reject", "hide", "restore", "claim", "release")


# --- items: entering, shown, settled ----------------------------------------------------------

def queue_held_post(event: PostHeld) -> None:
    """Queue a post that screening held, and show it to the moderators live."""
    item = ReviewItem(post=event.post, kind="pending", reason="\n".join(event.reasons),
                      status="open", created_at=utcnow())
    db.session.add(item)
    db.session.flush()
    announce(item)


def claim_active(item: ReviewItem, now: datetime | None = None) -> bool:
    """Whether a moderator's claim on the item still holds (REVIEW_CLAIM_MINUTES)."""
    if item.claimed_by_id is None or item.claimed_at is None:
        return False
    minutes = current_app.config["REVIEW_CLAIM_MINUTES"]
    return item.claimed_at > (now or utcnow()) - timedelta(minutes=minutes)


def announce(item: ReviewItem) -> None:
    """Show the item as it is now to the `moderation` room."""
    author_id = item.post.author_id
    shown = serializers.review_item(item, qm.author_history([author_id])[author_id],
                                    qm.open_flags([item.post_id]).get(item.post_id, []),
                                    claimed=claim_active(item))
    publisher.publish("moderation.item", {"item": shown}, rooms.MODERATION)


def open_item(post: Post, kind: str | None = None) -> ReviewItem | None:
    """The post's oldest open item (of that kind)."""
    stmt = select(ReviewItem).where(ReviewItem.post_id == post.id, ReviewItem.status == "open")
    if kind:
        stmt = stmt.where(ReviewItem.kind == kind)
    return db.session.scalar(stmt.order_by(ReviewItem.id).limit(1))


def _resolve(item: ReviewItem, actor, resolution: str, now: datetime) -> None:
    item.status, item.resolution, item.resolved_at = "resolved", resolution, now
    item.resolved_by_id = getattr(actor, "id", None)
    if item.kind == "flagged":
        db.session.execute(update(Flag).where(Flag.post_id == item.post_id,
                                              Flag.resolved_at.is_(None)).values(resolved_at=now))


def _resolve_open_items(post: Post, actor, resolution: str, now=None) -> None:
    now = now or utcnow()
    for item in db.session.scalars(select(ReviewItem).where(ReviewItem.post_id == post.id,
                                                            ReviewItem.status == "open")):
        _resolve(item, actor, resolution, now)
        announce(item)


def settle_deleted_post(event: PostDeleted) -> None:
    """A deleted post's open items are settled: withdrawn by its author, else rejected."""
    by_author = getattr(event.actor, "id", None) == event.post.author_id
    _resolve_open_items(event.post, event.actor, "withdrawn" if by_author else "rejected")


# --- moderators' decisions ------------------------------------------------------------------

def _lock_item(item: ReviewItem) -> None:
    db.session.scalar(select(ReviewItem).where(ReviewItem.id == item.id).with_for_update()
                      .execution_options(populate_existing=True))
    lifecycle.lock_post(item.post)


def _work_pending(actor, post: Post, action: str) -> str:
    if post.state != PostState.PENDING:
        raise Conflict("This post is no longer waiting for review.")
    if action == "approve":
        if post.number > 1 and post.thread.state != ThreadState.PUBLISHED:
            raise Conflict("The thread itself awaits review: approve its opening post first.")
        lifecycle.approve_post(post)
        auto_follow(post.author, post.thread)  # not before: a rejected post follows nothing
        return "approved"
    if action == "restore":
        raise Conflict("This post was never published: approve it instead.")
    state = PostState.DELETED if action == "reject" else PostState.HIDDEN
    lifecycle.remove_post(post, state, actor, hide_thread=True)
    return "rejected" if action == "reject" else "hidden"


def _work_flagged(actor, post: Post, action: str) -> str:
    if action in ("approve", "restore"):
        if post.state == PostState.HIDDEN:
            lifecycle.restore_post(post, actor)
        elif action == "restore" or post.state != PostState.PUBLISHED:
            raise Conflict("This post is not hidden.")
        return "approved" if action == "approve" else "restored"
    if action == "hide":
        if post.state == PostState.PUBLISHED:
            lifecycle.remove_post(post, PostState.HIDDEN, actor, hide_thread=True)
        elif post.state != PostState.HIDDEN:
            raise Conflict("This post is removed already.")
        return "hidden"
    if post.state == PostState.DELETED:
        raise Conflict("This post is removed already.")
    lifecycle.remove_post(post, PostState.DELETED, actor, hide_thread=True)
    return "rejected"


@use_case
def act_on_item(actor: User, item: ReviewItem, action: str, *, reason: str = "",
                body: str | None = None) -> ReviewItem:
    """Moderators: work a review-queue item — approve (publish, or keep a flagged post),
    reject (remove), hide, restore — or claim it (so no one else acts on it for a while)
    or release a claim. An item already handled, or claimed by someone else, is a 409."""
    permissions.require(actor, "review")
    if action not in ITEM_ACTIONS:
        raise ValidationError("Unknown action.", {"action": f"One of {', '.join(ITEM_ACTIONS)}."})
    reason = check_reason(reason, required=False)
    _lock_item(item)
    if item.status != "open":
        raise Conflict(f"This item was handled already ({item.resolution}).")
    now = utcnow()
    if claim_active(item, now) and item.claimed_by_id != actor.id:
        raise Conflict(f"{item.claimed_by.username} is reviewing this item.")
    if action in ("claim", "release"):
        item.claimed_by_id, item.claimed_at = (actor.id, now) if action == "claim" else (None, None)
        db.session.flush()
        db.session.refresh(item, ["claimed_by"])
        announce(item)
        return item
    post = item.post
    if action in ("reject", "hide", "restore"):
        permissions.require(actor, "moderate_post", post)  # the rank rule, as for hide_post
    if body is not None:
        if action != "approve":
            raise ValidationError("Only an approval can come with an edit.",
                                  {"body": "Approve to edit."})
        forums.edit_post(actor, post, body)
    before = str(post.state)
    work = _work_pending if item.kind == "pending" else _work_flagged
    resolution = work(actor, post, action)
    _resolve(item, actor, resolution, now)
    audit(actor, action, "post", post.id, reason=reason, before={"state": before},
          after={"state": str(post.state)}, item=item.id, kind=item.kind, **about(post))
    record(ModerationAction(action, actor, post.author, post, reason))
    announce(item)
    # Any other open item for the same post (a held post that was also flagged) is settled too.
    _resolve_open_items(post, actor, resolution, now)
    return item


@use_case
def hide_post(actor: User, post: Post, reason: str = "") -> Post:
    """Moderators: hide a published post (an opening post hides its thread) until restored."""
    permissions.require(actor, "moderate_post", post)
    reason = check_reason(reason, required=False)
    lifecycle.lock_post(post)
    if post.state != PostState.PUBLISHED:
        raise Conflict("Only a published post can be hidden.")
    lifecycle.remove_post(post, PostState.HIDDEN, actor, hide_thread=True)
    _resolve_open_items(post, actor, "hidden")
    audit(actor, "hide", "post", post.id, reason=reason, before={"state": "published"},
          after={"state": "hidden"}, **about(post))
    record(ModerationAction("hide", actor, post.author, post, reason))
    return post


@use_case
def restore_post(actor: User, post: Post, reason: str = "") -> Post:
    """Moderators: make a hidden post visible again (with its thread, for an opening post)."""
    permissions.require(actor, "moderate_post", post)
    reason = check_reason(reason, required=False)
    lifecycle.lock_post(post)
    if post.state != PostState.HIDDEN:
        raise Conflict("Only a hidden post can be restored.")
    lifecycle.restore_post(post, actor)
    _resolve_open_items(post, actor, "restored")
    audit(actor, "restore", "post", post.id, reason=reason, before={"state": "hidden"},
          after={"state": "published"}, **about(post))
    record(ModerationAction("restore", actor, post.author, post, reason))
    return post
