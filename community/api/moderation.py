"""Moderation over JSON: flags, the review queue, member tools, thread tools and the audit log."""

from datetime import datetime
from typing import Literal

from flask import jsonify, request
from flask_login import current_user
from pydantic import BaseModel, Field, StrictInt, StrictStr

from .. import permissions, serializers
from ..errors import NotFound, ValidationError
from ..queries import forums as q
from ..queries import moderation as qm
from ..queries.paging import page_number, per_page_number
from ..ratelimits import rate_limited
from ..services import accounts, moderation
from . import bp
from .io import Id, documented, parse
from .schemas import Body, PostOut, ThreadOut

FlagReason = Literal["spam", "abusive", "off_topic", "other"]


class FlagIn(Body):
    reason: FlagReason
    note: StrictStr = ""


class FlagOut(BaseModel):
    id: int
    post_id: int
    reason: FlagReason
    note: str
    weight: int
    created_at: datetime


class ItemActionIn(Body):
    action: Literal["approve", "reject", "hide", "restore", "claim", "release"]
    reason: StrictStr = ""
    # With "approve": the post's new body (a moderator's edit, kept as a revision).
    body: StrictStr | None = None


class QueueThreadOut(BaseModel):
    id: int
    title: str
    state: str
    forum: str
    url: str


class HistoryOut(BaseModel):
    published_posts: int
    approved: int
    rejected: int
    hidden: int
    flags_received: int
    waiting: int


class QueueAuthorOut(BaseModel):
    username: str
    display_name: str
    role: str
    avatar_url: str
    trust_level: int = Field(ge=0, le=4)
    trust_locked: bool
    joined_at: datetime
    suspended_until: datetime | None
    history: HistoryOut


class QueueFlagOut(BaseModel):
    reason: FlagReason
    note: str
    weight: int
    by: str | None
    created_at: datetime


class QueueItemOut(BaseModel):
    id: int
    kind: Literal["pending", "flagged"]
    reason: str
    status: Literal["open", "resolved"]
    resolution: str | None
    created_at: datetime
    resolved_at: datetime | None
    claimed_by: str | None
    claimed_at: datetime | None
    post: PostOut
    thread: QueueThreadOut
    author: QueueAuthorOut
    flags: list[QueueFlagOut]
    flag_weight: int
    url: str


class QueueOut(BaseModel):
    items: list[QueueItemOut]
    page: int
    pages: int
    total: int


class ItemOut(BaseModel):
    item: QueueItemOut


class SuspendIn(Body):
    until: datetime
    reason: StrictStr


class LiftIn(Body):
    reason: StrictStr = ""


class TrustLevelIn(Body):
    level: StrictInt = Field(ge=0, le=4)
    reason: StrictStr = ""


class MemberStatusOut(BaseModel):
    username: str
    trust_level: int
    trust_locked: bool
    suspended_until: datetime | None
    suspended_reason: str
    silenced_until: datetime | None
    silenced_reason: str


class AuditEntryOut(BaseModel):
    id: int
    action: str
    actor: str | None
    target_type: str
    target_id: int | None
    reason: str
    details: dict
    created_at: datetime


class AuditLogOut(BaseModel):
    entries: list[AuditEntryOut]
    page: int
    pages: int
    total: int


class PostModerationIn(Body):
    reason: StrictStr = ""


class SplitIn(Body):
    post_ids: list[Id]
    title: StrictStr
    forum: StrictStr | None = None
    reason: StrictStr = ""


class ThreadMergeIn(Body):
    into: Id
    reason: StrictStr = ""


def _post(post) -> dict:
    return serializers.post(post, show_content=permissions.can(current_user, "view_post", post))


def _member(username: str):
    user = accounts.find_user(username)
    if user is None:
        raise NotFound("No such member.")
    return user


def _status(user) -> dict:
    return serializers.member_status(user, qm.silence_of(user))


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValidationError("Give a time zone.", {"until": "An ISO 8601 time with an offset, "
                                                             "e.g. 2026-06-01T12:00:00Z."})
    return moment


# --- flags and post tools -----------------------------------------------------------------

@bp.post("/posts/<int:post_id>/flags")
@documented("Flag a post for the moderators (once per member)", auth="member", body=FlagIn,
            responses={201: FlagOut})
@rate_limited("flag")
def flag_post(post_id: int):
    post = q.get_post(current_user, post_id)
    data = parse(FlagIn)
    flag = moderation.flag_post(current_user, post, data.reason, data.note)
    return jsonify(id=flag.id, post_id=flag.post_id, reason=flag.reason, note=flag.note,
                   weight=flag.weight, created_at=flag.created_at.isoformat()), 201


@bp.post("/posts/<int:post_id>/hide")
@documented("Hide a published post (an opening post hides its thread)", auth="moderator",
            body=PostModerationIn, responses={200: PostOut})
def hide_post(post_id: int):
    post = q.get_post(current_user, post_id)
    moderation.hide_post(current_user, post, parse(PostModerationIn).reason)
    return jsonify(_post(post))


@bp.post("/posts/<int:post_id>/restore")
@documented("Make a hidden post visible again", auth="moderator", body=PostModerationIn,
            responses={200: PostOut})
def restore_post(post_id: int):
    post = q.get_post(current_user, post_id)
    moderation.restore_post(current_user, post, parse(PostModerationIn).reason)
    return jsonify(_post(post))


# --- the review queue ---------------------------------------------------------------------

@bp.get("/moderation/queue")
@documented("Open review items, held and flagged posts together, oldest first", auth="moderator",
            responses={200: QueueOut},
            query={"kind": "pending or flagged", "page": "Page number, from 1",
                   "per_page": "Items per page, at most 100"})
def queue():
    permissions.require(current_user, "review")
    items = qm.open_items(page_number(request.args.get("page")),
                          per_page_number(request.args.get("per_page"), qm.ITEMS_PER_PAGE),
                          kind=request.args.get("kind") or None)
    history = qm.author_history({i.post.author_id for i in items.items})
    flags = qm.open_flags([i.post_id for i in items.items])
    return jsonify(items=[serializers.review_item(i, history[i.post.author_id],
                                                  flags.get(i.post_id, []),
                                                  claimed=moderation.claim_active(i))
                          for i in items.items],
                   page=items.page, pages=items.pages, total=items.total)


@bp.post("/moderation/queue/<int:item_id>")
@documented("Work a review item: approve, reject, hide, restore; or claim / release it",
            auth="moderator", body=ItemActionIn, responses={200: ItemOut})
def act_on_item(item_id: int):
    permissions.require(current_user, "review")
    item = qm.get_item(item_id)
    data = parse(ItemActionIn)
    moderation.act_on_item(current_user, item, data.action, reason=data.reason, body=data.body)
    author_id = item.post.author_id
    return jsonify(item=serializers.review_item(
        item, qm.author_history([author_id])[author_id],
        qm.open_flags([item.post_id]).get(item.post_id, []),
        claimed=moderation.claim_active(item)))


# --- member tools -------------------------------------------------------------------------

@bp.post("/users/<username>/suspend")
@documented("Suspend a member (read-only) until a time, with a reason they are shown",
            auth="moderator", body=SuspendIn, responses={200: MemberStatusOut})
def suspend(username: str):
    user = _member(username)
    data = parse(SuspendIn)
    moderation.suspend_member(current_user, user, _aware(data.until), data.reason)
    return jsonify(_status(user))


@bp.delete("/users/<username>/suspend")
@documented("Lift a member's suspension", auth="moderator", responses={200: MemberStatusOut})
def unsuspend(username: str):
    user = _member(username)
    moderation.unsuspend_member(current_user, user, request.args.get("reason", ""))
    return jsonify(_status(user))


@bp.post("/users/<username>/silence")
@documented("Silence a member (no posting; reading, voting and flagging stay) until a time",
            auth="moderator", body=SuspendIn, responses={200: MemberStatusOut})
def silence(username: str):
    user = _member(username)
    data = parse(SuspendIn)
    moderation.silence_member(current_user, user, _aware(data.until), data.reason)
    return jsonify(_status(user))


@bp.delete("/users/<username>/silence")
@documented("Let a silenced member post again", auth="moderator", responses={200: MemberStatusOut})
def unsilence(username: str):
    user = _member(username)
    moderation.unsilence_member(current_user, user, request.args.get("reason", ""))
    return jsonify(_status(user))


@bp.put("/users/<username>/trust-level")
@documented("Set a member's trust level by hand (it stays until reset)", auth="moderator",
            body=TrustLevelIn, responses={200: MemberStatusOut})
def set_trust_level(username: str):
    user = _member(username)
    data = parse(TrustLevelIn)
    moderation.set_trust_level(current_user, user, data.level, data.reason)
    return jsonify(_status(user))


@bp.delete("/users/<username>/trust-level")
@documented("Reset a member's trust level to what their activity earns", auth="moderator",
            responses={200: MemberStatusOut})
def reset_trust_level(username: str):
    user = _member(username)
    moderation.reset_trust_level(current_user, user, request.args.get("reason", ""))
    return jsonify(_status(user))


@bp.get("/users/<username>/moderation")
@documented("A member's moderation status", auth="moderator", responses={200: MemberStatusOut})
def member_status(username: str):
    permissions.require(current_user, "moderate")
    return jsonify(_status(_member(username)))


# --- thread tools -------------------------------------------------------------------------

@bp.post("/moderation/threads/<int:thread_id>/split")
@documented("Move replies into a new thread (the earliest of them opens it)", auth="moderator",
            body=SplitIn, responses={201: ThreadOut})
def split_thread(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    data = parse(SplitIn)
    forum = q.get_forum(current_user, data.forum) if data.forum else None
    new = moderation.split_thread(current_user, thread, data.post_ids, data.title, forum,
                                  data.reason)
    return jsonify(serializers.thread(new)), 201


@bp.post("/moderation/threads/<int:thread_id>/merge")
@documented("Move every post of a discussion or support thread to the end of another",
            auth="moderator", body=ThreadMergeIn, responses={200: ThreadOut})
def merge_threads(thread_id: int):
    thread = q.get_thread(current_user, thread_id)
    data = parse(ThreadMergeIn)
    target = q.get_thread(current_user, data.into)
    return jsonify(serializers.thread(moderation.merge_threads(current_user, thread, target,
                                                               data.reason)))


# --- the audit log ------------------------------------------------------------------------

@bp.get("/moderation/log")
@documented("The audit log, newest first", auth="moderator", responses={200: AuditLogOut},
            query={"action": "Only this action", "actor": "Only this moderator's (username)",
                   "target_type": "post, thread, user…", "target_id": "With target_type",
                   "since": "From this day (YYYY-MM-DD)", "until": "Through this day",
                   "page": "Page number, from 1", "per_page": "Entries per page, at most 100"})
def audit_log():
    permissions.require(current_user, "view_audit_log")
    entries = qm.audit_log(qm.LogFilter.from_args(request.args),
                           page_number(request.args.get("page")),
                           per_page_number(request.args.get("per_page"), qm.LOG_PER_PAGE))
    return jsonify(entries=[serializers.audit_entry(e) for e in entries.items],
                   page=entries.page, pages=entries.pages, total=entries.total)
