"""Moderation: screening new posts, the review queue, flags, member and thread tools, the audit log.

Every new post passes `screen` (called by services.forums): watched words are replaced or
block it, and it is held for review ("pending") when the forum is pre-moderated, a watched
word says so, or one of the automatic rules in services.spam catches it. Held posts wait
as ReviewItems in the queue, as do posts members flagged; moderators work them with
`act_on_item`. Every moderator and staff action writes an AuditEntry, which is never
changed afterwards, and sends the `moderation_action` signal where a member is affected.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from limits import parse_many
from sqlalchemy import event, inspect, select, update

from .. import permissions, serializers, text
from ..errors import Conflict, Forbidden, ValidationError
from ..extensions import db
from ..models import (AuditEntry, Flag, Forum, ForumKind, IdeaStatus, Post, PostState, ReviewItem,
                      Role, Setting, Thread, ThreadFollow, User, WatchedWord, utcnow)
from ..queries.moderation import RATE_LIMIT_KEY, RATE_LIMITS, silence_of
from ..realtime import publisher, rooms
from . import forums, ranking, sessions, signals, spam, support, trust
from .follows import auto_follow
from .rows import add_to, insert_if_absent
from .unit import use_case

FLAG_REASONS = {"spam": "Spam", "abusive": "Abusive or harassing", "off_topic": "Off topic",
                "other": "Something else"}
ITEM_ACTIONS = ("approve", "reject", "hide", "restore", "claim", "release")
WORD_ACTIONS = ("block", "hold", "replace")
NOTE_MAX = REASON_MAX = 1000
LONGEST_SUSPENSION = timedelta(days=3650)
RECENT_POSTS = 20  # how many of the author's recent posts the duplicate and pace rules read

# --- the audit log ------------------------------------------------------------------------

def audit(actor, action: str, target_type: str = "", target_id: int | None = None, *,
          reason: str = "", before: dict | None = None, after: dict | None = None,
          **details) -> AuditEntry:
    """Write one line of the audit log in the caller's unit of work (actor None: the system)."""
    data = dict(details)
    if before is not None:
        data["before"] = before
    if after is not None:
        data["after"] = after
    entry = AuditEntry(actor_id=getattr(actor, "id", None), action=action, target_type=target_type,
                       target_id=target_id, reason=reason or "", created_at=utcnow(),
                       details=json.dumps(data, default=str, sort_keys=True))
    db.session.add(entry)
    return entry


@event.listens_for(AuditEntry, "before_update")
def _audit_is_append_only(mapper, connection, entry: AuditEntry) -> None:
    # Only the actor link may change (the database nulls it when an account is deleted).
    changed = {a.key for a in inspect(entry).attrs if a.history.has_changes()}
    if changed - {"actor_id", "actor"}:
        raise PermissionError("audit entries are never changed")


@event.listens_for(AuditEntry, "before_delete")
def _audit_is_never_deleted(mapper, connection, entry: AuditEntry) -> None:
    raise PermissionError("audit entries are never deleted")


def _about(post: Post) -> dict:
    return {"user": post.author.username, "thread_id": post.thread_id}


# --- screening new posts ------------------------------------------------------------------

@dataclass(frozen=True)
class Screening:
    """How a new post goes out: its (possibly rewritten) text, and why it is held, if it is."""

    body: str
    rendered: text.Rendered
    reasons: tuple[str, ...] = ()
    title: str | None = None

    @property
    def held(self) -> bool:
        return bool(self.reasons)

    @property
    def state(self) -> str:
        return PostState.PENDING if self.held else PostState.PUBLISHED


def watched_words() -> list[spam.Watched]:
    return [spam.Watched(w.word, w.action, w.replacement)
            for w in db.session.scalars(select(WatchedWord).order_by(WatchedWord.id))]


def _refuse_if_silenced(actor) -> None:
    silenced = silence_of(actor)
    if silenced is not None:
        until, reason = silenced
        raise Forbidden(f"You are silenced until {until:%-d %b %Y %H:%M} UTC and cannot post: "
                        f"{reason}")


def _refuse_blocked(words: list[spam.Watched], body: str, title: str | None) -> None:
    for field, value in (("title", title), ("body", body)):
        if value and (word := spam.watched_in(value, words, "block")) is not None:
            raise ValidationError("This cannot be posted here.",
                                  {field: f"“{word.word}” is not allowed in this community."})


def _draft(actor, body: str, html: str, *, is_reply: bool, limits: spam.Limits) -> spam.Draft:
    now = utcnow()
    window = max(limits.duplicate_window, timedelta(seconds=max(limits.min_post_seconds)))
    rows = db.session.execute(
        select(Post.created_at, Post.body).where(
            Post.author_id == actor.id, Post.created_at >= now - window,
            Post.state.in_((PostState.PUBLISHED, PostState.PENDING)))
        .order_by(Post.created_at.desc()).limit(RECENT_POSTS)).all()
    return spam.Draft(text=text.plain_text(body), html=html, is_reply=is_reply,
                      trust_level=actor.trust_level, published_posts=actor.post_count,
                      recent=tuple((at, text.plain_text(b)) for at, b in rows), now=now)


def screen(actor: User, forum: Forum, body: str, *, title: str | None = None,
           thread: Thread | None = None) -> Screening:
    """Screen a new thread (with `title`) or a reply (to `thread`) before it is written.

    Raises ValidationError for a blocked word or a low-effort reply (suggesting a vote
    instead), Forbidden for a silenced member. Moderators' posts go out as written.
    """
    words = watched_words()
    body = spam.replace_watched(body, words)
    title = spam.replace_watched(title, words) if title is not None else None
    rendered = forums.render(body)
    reasons: list[str] = []
    if thread is not None and thread.state != "published":
        reasons.append("Thread awaiting review: its replies wait until it is published.")
    if permissions.can(actor, "moderate"):
        return Screening(body, rendered, tuple(reasons), title)
    _refuse_if_silenced(actor)
    _refuse_blocked(words, body, title)
    if forum.premoderated:
        reasons.append("Pre-moderated forum: every post is reviewed before it is published.")
    held = next(filter(None, (spam.watched_in(v, words, "hold") for v in (title, body) if v)), None)
    if held is not None:
        reasons.append(f"Watched word: contains “{held.word}”.")
    if current_app.config["AUTO_MODERATION"]:
        limits = spam.Limits.from_config(current_app.config)
        draft = _draft(actor, body, rendered.html, is_reply=thread is not None, limits=limits)
        if limits.low_effort == "suggest_vote" and spam.low_effort(draft, limits):
            raise ValidationError("Say a little more, or vote instead.", {
                "body": "A reply that only says “+1” or “thanks” is better said with the "
                        "Helpful vote on the post you agree with."})
        reasons += spam.reasons(draft, limits)
    return Screening(body, rendered, tuple(reasons), title)


def screen_edit(actor: User, post: Post, body: str) -> str:
    """The body an edit may store (watched words replaced); ValidationError when the edit
    brings in what would have held a new post (blocked or watched words, links, images)."""
    words = watched_words()
    body = spam.replace_watched(body, words)
    if permissions.can(actor, "moderate"):
        return body
    _refuse_if_silenced(actor)
    _refuse_blocked(words, body, None)
    if post.state != PostState.PUBLISHED:
        return body  # still waiting for review: the moderator reads the edited version
    reasons = []
    if (held := spam.watched_in(body, words, "hold")) is not None:
        reasons.append(f"contains “{held.word}”")
    if current_app.config["AUTO_MODERATION"]:
        limits = spam.Limits.from_config(current_app.config)
        draft = spam.Draft(text=text.plain_text(body), html=forums.render(body).html,
                           trust_level=post.author.trust_level)
        reasons += [r for rule in (spam.too_many_links, spam.too_many_images)
                    if (r := rule(draft, limits)) is not None]
    if reasons:
        raise ValidationError("This edit would need a moderator's review.",
                              {"body": "The edit cannot be published as it is: "
                                       + "; ".join(reasons)})
    return body


def hold(post: Post, reasons) -> ReviewItem:
    """Queue a post that screening held, and show it to the moderators live."""
    item = ReviewItem(post=post, kind="pending", reason="\n".join(reasons), status="open",
                      created_at=utcnow())
    db.session.add(item)
    db.session.flush()
    _announce(item)
    return item


# --- what the queue and the log look like over JSON and Socket.IO -------------------------

def claim_active(item: ReviewItem, now: datetime | None = None) -> bool:
    if item.claimed_by_id is None or item.claimed_at is None:
        return False
    minutes = current_app.config["REVIEW_CLAIM_MINUTES"]
    return item.claimed_at > (now or utcnow()) - timedelta(minutes=minutes)


def item_payload(item: ReviewItem, history=None, flags=None) -> dict:
    """A review-queue item: the post (content included: moderators only), why it is here,
    its author's trust level and history, the flags, and who is working on it."""
    from ..queries import moderation as qm

    post = item.post
    author = post.author
    history = history or qm.author_history([author.id])[author.id]
    flags = flags if flags is not None else qm.open_flags([post.id]).get(post.id, [])
    claimed = claim_active(item)
    return {
        "id": item.id, "kind": item.kind, "reason": item.reason, "status": item.status,
        "resolution": item.resolution, "created_at": item.created_at.isoformat(),
        "resolved_at": item.resolved_at.isoformat() if item.resolved_at else None,
        "claimed_by": item.claimed_by.username if claimed and item.claimed_by else None,
        "claimed_at": item.claimed_at.isoformat() if claimed else None,
        "post": serializers.post(post),
        "thread": {"id": post.thread.id, "title": post.thread.title, "state": post.thread.state,
                   "forum": post.thread.forum.slug, "url": f"/t/{post.thread.id}"},
        "author": {**serializers.author(author), "trust_level": author.trust_level,
                   "trust_locked": author.trust_locked,
                   "joined_at": author.created_at.isoformat(),
                   "suspended_until": author.suspended_until.isoformat()
                   if author.is_suspended() else None,
                   "history": history.as_dict()},
        "flags": [{"reason": f.reason, "note": f.note, "weight": f.weight, "by": f.by,
                   "created_at": f.created_at.isoformat()} for f in flags],
        "flag_weight": sum(f.weight for f in flags),
        "url": f"/moderation#item-{item.id}",
    }


def audit_payload(entry: AuditEntry) -> dict:
    return {"id": entry.id, "action": entry.action,
            "actor": entry.actor.username if entry.actor else None,
            "target_type": entry.target_type, "target_id": entry.target_id,
            "reason": entry.reason, "details": json.loads(entry.details or "{}"),
            "created_at": entry.created_at.isoformat()}


def _announce(item: ReviewItem) -> None:
    publisher.publish("moderation.item", {"item": item_payload(item)}, rooms.MODERATION)


# --- flags --------------------------------------------------------------------------------

def _open_item(post: Post, kind: str | None = None) -> ReviewItem | None:
    stmt = select(ReviewItem).where(ReviewItem.post_id == post.id, ReviewItem.status == "open")
    if kind:
        stmt = stmt.where(ReviewItem.kind == kind)
    return db.session.scalar(stmt.order_by(ReviewItem.id).limit(1))


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
    forums.lock_post(post)
    if post.state != PostState.PUBLISHED:
        raise Conflict("This post is already with the moderators.")
    weight = trust.flag_weight(actor, current_app.config)
    if not insert_if_absent(Flag, post_id=post.id, user_id=actor.id, reason=reason, note=note,
                            weight=weight, created_at=utcnow()):
        raise Conflict("You have flagged this post already.", {"reason": "Already flagged."})
    flags = list(db.session.scalars(select(Flag).where(Flag.post_id == post.id,
                                                       Flag.resolved_at.is_(None))
                                    .order_by(Flag.id)))
    item = _open_item(post, "flagged")
    if item is None:
        item = ReviewItem(post=post, kind="flagged", status="open", created_at=utcnow())
        db.session.add(item)
    item.reason = _flag_summary(flags)
    total = sum(f.weight for f in flags)
    if total >= current_app.config["FLAG_HIDE_WEIGHT"]:
        post.state = PostState.HIDDEN
        forums.unpublish_post(post, None, hide_thread=True)
        item.reason += " Hidden automatically until a moderator decides."
        audit(None, "auto_hide", "post", post.id, reason=item.reason, before={"state": "published"},
              after={"state": "hidden"}, **_about(post))
        signals.send("moderation_action", action="hide", actor=None, target_user=post.author,
                     post=post, reason="Members flagged it; a moderator will take a look.")
    db.session.flush()
    _announce(item)
    return db.session.scalar(select(Flag).where(Flag.post_id == post.id, Flag.user_id == actor.id))


# --- the review queue ---------------------------------------------------------------------

def _lock_item(item: ReviewItem) -> None:
    db.session.scalar(select(ReviewItem).where(ReviewItem.id == item.id).with_for_update()
                      .execution_options(populate_existing=True))
    forums.lock_post(item.post)


def _resolve_open_items(post: Post, actor, resolution: str, now=None) -> None:
    now = now or utcnow()
    for item in db.session.scalars(select(ReviewItem).where(ReviewItem.post_id == post.id,
                                                            ReviewItem.status == "open")):
        _resolve(item, actor, resolution, now)
        _announce(item)


def _resolve(item: ReviewItem, actor, resolution: str, now: datetime) -> None:
    item.status, item.resolution, item.resolved_at = "resolved", resolution, now
    item.resolved_by_id = getattr(actor, "id", None)
    if item.kind == "flagged":
        db.session.execute(update(Flag).where(Flag.post_id == item.post_id,
                                              Flag.resolved_at.is_(None)).values(resolved_at=now))


def _hide(post: Post, actor) -> None:
    post.state = PostState.HIDDEN
    forums.unpublish_post(post, actor, hide_thread=True)


def _remove(post: Post, actor) -> None:
    was_published = post.state == PostState.PUBLISHED
    post.state = PostState.DELETED
    if was_published:
        forums.unpublish_post(post, actor, hide_thread=True)
    elif post.number == 1:
        post.thread.state = "hidden"


def _work_pending(actor, post: Post, action: str) -> str:
    if post.state != PostState.PENDING:
        raise Conflict("This post is no longer waiting for review.")
    if action == "approve":
        if post.number > 1 and post.thread.state != "published":
            raise Conflict("The thread itself awaits review: approve its opening post first.")
        post.state = PostState.PUBLISHED
        forums.publish_post(post)
        return "approved"
    if action == "restore":
        raise Conflict("This post was never published: approve it instead.")
    post.state = PostState.DELETED if action == "reject" else PostState.HIDDEN
    if post.number == 1:
        post.thread.state = "hidden"
    return "rejected" if action == "reject" else "hidden"


def _work_flagged(actor, post: Post, action: str) -> str:
    if action in ("approve", "restore"):
        if post.state == PostState.HIDDEN:
            forums.republish_post(post, actor)
        elif action == "restore" or post.state != PostState.PUBLISHED:
            raise Conflict("This post is not hidden.")
        return "approved" if action == "approve" else "restored"
    if action == "hide":
        if post.state == PostState.PUBLISHED:
            _hide(post, actor)
        elif post.state != PostState.HIDDEN:
            raise Conflict("This post is removed already.")
        return "hidden"
    if post.state == PostState.DELETED:
        raise Conflict("This post is removed already.")
    _remove(post, actor)
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
    reason = _reason(reason, required=False)
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
        _announce(item)
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
          after={"state": str(post.state)}, item=item.id, kind=item.kind, **_about(post))
    signals.send("moderation_action", action=action, actor=actor, target_user=post.author,
                 post=post, reason=reason)
    _announce(item)
    # Any other open item for the same post (a held post that was also flagged) is settled too.
    _resolve_open_items(post, actor, resolution, now)
    return item


@use_case
def hide_post(actor: User, post: Post, reason: str = "") -> Post:
    """Moderators: hide a published post (an opening post hides its thread) until restored."""
    permissions.require(actor, "moderate_post", post)
    reason = _reason(reason, required=False)
    forums.lock_post(post)
    if post.state != PostState.PUBLISHED:
        raise Conflict("Only a published post can be hidden.")
    _hide(post, actor)
    _resolve_open_items(post, actor, "hidden")
    audit(actor, "hide", "post", post.id, reason=reason, before={"state": "published"},
          after={"state": "hidden"}, **_about(post))
    signals.send("moderation_action", action="hide", actor=actor, target_user=post.author,
                 post=post, reason=reason)
    return post


@use_case
def restore_post(actor: User, post: Post, reason: str = "") -> Post:
    """Moderators: make a hidden post visible again (with its thread, for an opening post)."""
    permissions.require(actor, "moderate_post", post)
    reason = _reason(reason, required=False)
    forums.lock_post(post)
    if post.state != PostState.HIDDEN:
        raise Conflict("Only a hidden post can be restored.")
    forums.republish_post(post, actor)
    _resolve_open_items(post, actor, "restored")
    audit(actor, "restore", "post", post.id, reason=reason, before={"state": "hidden"},
          after={"state": "published"}, **_about(post))
    signals.send("moderation_action", action="restore", actor=actor, target_user=post.author,
                 post=post, reason=reason)
    return post


# --- hooks services.forums calls ----------------------------------------------------------

def note_post_deleted(actor, post: Post) -> None:
    """A post was deleted: settle its open review items; log it when a moderator did it."""
    by_author = getattr(actor, "id", None) == post.author_id
    _resolve_open_items(post, actor, "withdrawn" if by_author else "rejected")
    if not by_author and actor.has_role(Role.MODERATOR):
        audit(actor, "delete_post", "post", post.id, **_about(post))
        signals.send("moderation_action", action="delete_post", actor=actor,
                     target_user=post.author, post=post, reason="")


def note_post_edited(actor, post: Post, old_body: str) -> None:
    """A post was edited: log it when a moderator edited someone else's post."""
    if actor.id != post.author_id and actor.has_role(Role.MODERATOR):
        audit(actor, "edit_post", "post", post.id, before={"body": old_body},
              after={"body": post.body}, **_about(post))


def note_curation(actor, thread: Thread, before: dict) -> None:
    """A thread was pinned, locked or moved: log what a moderator changed."""
    after = {"pinned": thread.pinned, "locked": thread.locked, "forum": thread.forum.slug}
    changed = {k for k in after if after[k] != before[k]}
    if not changed or not actor.has_role(Role.MODERATOR):
        return
    audit(actor, "curate_thread", "thread", thread.id,
          before={k: before[k] for k in sorted(changed)},
          after={k: after[k] for k in sorted(changed)}, title=thread.title)
    told = [a for k, a in (("locked", "lock" if thread.locked else "unlock"), ("forum", "move"))
            if k in changed]
    if told and thread.author_id != actor.id:
        opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                       Post.number == 1))
        for action in told:
            signals.send("moderation_action", action=action, actor=actor,
                         target_user=thread.author, post=opening, reason="")


# --- member tools -------------------------------------------------------------------------

def _reason(reason: str | None, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError("Give a reason.", {"reason": "The member will see it."})
    if len(reason) > REASON_MAX:
        raise ValidationError("The reason is too long.",
                              {"reason": f"At most {REASON_MAX} characters."})
    return reason


def _until(until: datetime) -> datetime:
    now = utcnow()
    if not isinstance(until, datetime) or until.tzinfo is None:
        raise ValidationError("Give a date and time.",
                              {"until": "A date and time with a time zone."})
    if until <= now:
        raise ValidationError("That is in the past.", {"until": "A moment in the future."})
    if until > now + LONGEST_SUSPENSION:
        raise ValidationError("That is too far away.", {"until": "At most ten years from now."})
    return until


def _require_over(actor, user: User, action: str, verb: str) -> None:
    if actor.is_authenticated and user.id == actor.id:
        raise ValidationError(f"You cannot {verb} yourself.",
                              {"username": "Choose another member."})
    if not permissions.can(actor, action, user) and permissions.can(actor, "moderate"):
        raise Forbidden(f"You cannot {verb} a {user.role}: only someone of a higher role can.")
    permissions.require(actor, action, user)


def _announce_member(actor, action: str, user: User, reason: str) -> None:
    signals.send("moderation_action", action=action, actor=actor, target_user=user, post=None,
                 reason=reason)


@use_case
def suspend_member(actor: User, user: User, until: datetime, reason: str) -> User:
    """Moderators, over members of a lower role: make a member read-only until `until`, with
    a reason they are shown."""
    _require_over(actor, user, "suspend_member", "suspend")
    until, reason = _until(until), _reason(reason, required=True)
    before = {"suspended_until": user.suspended_until if user.is_suspended() else None,
              "reason": user.suspended_reason if user.is_suspended() else ""}
    user.suspended_until, user.suspended_reason = until, reason
    sessions.end_all(user)  # signed out everywhere, sockets included; login is refused
    audit(actor, "suspend_member", "user", user.id, reason=reason, before=before,
          after={"suspended_until": until, "reason": reason}, user=user.username)
    signals.send("access_narrowed", user_id=user.id, thread_id=None, forum_id=None)
    _announce_member(actor, "suspend", user, reason)
    return user


@use_case
def unsuspend_member(actor: User, user: User, reason: str = "") -> User:
    """Moderators, over members of a lower role: lift a suspension now."""
    _require_over(actor, user, "suspend_member", "unsuspend")
    reason = _reason(reason, required=False)
    if not user.is_suspended():
        raise Conflict("This member is not suspended.")
    before = {"suspended_until": user.suspended_until, "reason": user.suspended_reason}
    user.suspended_until, user.suspended_reason = None, ""
    audit(actor, "unsuspend_member", "user", user.id, reason=reason, before=before,
          after={"suspended_until": None}, user=user.username)
    _announce_member(actor, "unsuspend", user, reason)
    return user


@use_case
def silence_member(actor: User, user: User, until: datetime, reason: str) -> User:
    """Moderators, over members of a lower role: stop a member posting (they can still
    read, vote and flag) until `until`, with a reason they are shown."""
    _require_over(actor, user, "silence_member", "silence")
    until, reason = _until(until), _reason(reason, required=True)
    current = silence_of(user)
    user.silenced_until, user.silenced_reason = until, reason
    audit(actor, "silence_member", "user", user.id, reason=reason,
          before={"silenced_until": current[0] if current else None},
          after={"silenced_until": until}, user=user.username)
    signals.send("access_narrowed", user_id=user.id, thread_id=None, forum_id=None)
    _announce_member(actor, "silence", user, reason)
    return user


@use_case
def unsilence_member(actor: User, user: User, reason: str = "") -> User:
    """Moderators, over members of a lower role: let a silenced member post again now."""
    _require_over(actor, user, "silence_member", "unsilence")
    reason = _reason(reason, required=False)
    current = silence_of(user)
    if current is None:
        raise Conflict("This member is not silenced.")
    user.silenced_until, user.silenced_reason = None, ""
    audit(actor, "unsilence_member", "user", user.id, reason=reason,
          before={"silenced_until": current[0]}, after={"silenced_until": None},
          user=user.username)
    _announce_member(actor, "unsilence", user, reason)
    return user


@use_case
def set_trust_level(actor: User, user: User, level: int, reason: str = "") -> User:
    """Moderators, over members of a lower role: fix a member's trust level by hand (it
    stays until reset to automatic)."""
    _require_over(actor, user, "set_trust_level", "change the trust level of")
    if not isinstance(level, int) or isinstance(level, bool) or level not in trust.LEVELS:
        raise ValidationError("Unknown trust level.", {"level": "0, 1, 2, 3 or 4."})
    reason = _reason(reason, required=False)
    before = {"trust_level": user.trust_level, "locked": user.trust_locked}
    user.trust_level, user.trust_locked = level, True
    audit(actor, "set_trust_level", "user", user.id, reason=reason, before=before,
          after={"trust_level": level, "locked": True}, user=user.username)
    _announce_member(actor, "set_trust_level", user, reason)
    return user


@use_case
def reset_trust_level(actor: User, user: User, reason: str = "") -> User:
    """Moderators, over members of a lower role: go back to the level the member's activity
    earns (which may be lower than the one they had)."""
    _require_over(actor, user, "set_trust_level", "reset the trust level of")
    reason = _reason(reason, required=False)
    before = {"trust_level": user.trust_level, "locked": user.trust_locked}
    user.trust_locked = False
    user.trust_level = trust.earned_level(trust.activity_of(user),
                                          trust.thresholds(current_app.config))
    audit(actor, "reset_trust_level", "user", user.id, reason=reason, before=before,
          after={"trust_level": user.trust_level, "locked": False}, user=user.username)
    _announce_member(actor, "reset_trust_level", user, reason)
    return user


# --- thread tools: split and merge --------------------------------------------------------

def _lock_thread(thread: Thread) -> None:
    db.session.scalar(select(Thread).where(Thread.id == thread.id).with_for_update()
                      .execution_options(populate_existing=True))


@use_case
def split_thread(actor: User, thread: Thread, post_ids, title: str, forum: Forum | None = None,
                 reason: str = "") -> Thread:
    """Moderators: move replies of a thread into a new thread, which the earliest of them
    opens (posts are renumbered there; counters follow)."""
    permissions.require(actor, "split_thread", thread)
    reason = _reason(reason, required=False)
    title = forums._clean_title(title)
    ids = {i for i in post_ids if isinstance(i, int) and not isinstance(i, bool)}
    if not ids or len(ids) != len(list(post_ids)):
        raise ValidationError("Choose the replies to move.", {"post_ids": "Post ids, each once."})
    target = forum or thread.forum
    if not permissions.can(actor, "view_forum", target):
        raise ValidationError("Unknown forum.", {"forum": "No such forum."})
    _lock_thread(thread)
    if thread.state != "published":
        raise Conflict("Only a published thread can be split.")
    posts = list(db.session.scalars(
        select(Post).where(Post.id.in_(ids), Post.thread_id == thread.id).order_by(Post.number)))
    if len(posts) != len(ids):
        raise ValidationError("Choose replies of this thread.",
                              {"post_ids": "Not all are in this thread."})
    if posts[0].number == 1:
        raise ValidationError("The opening post stays.", {"post_ids": "Choose replies only."})
    if posts[0].state != PostState.PUBLISHED:
        raise ValidationError("The first post moved opens the new thread.",
                              {"post_ids": "The earliest chosen reply must be published."})
    old_forum = thread.forum
    new = Thread(forum=target, author=posts[0].author, title=title, created_at=posts[0].created_at,
                 last_activity_at=max(p.created_at for p in posts), pinned=False, locked=False,
                 reply_count=0, score=0, last_post_number=len(posts), solved=False,
                 state="published",
                 status=IdeaStatus.OPEN if target.kind == ForumKind.IDEAS else None)
    db.session.add(new)
    db.session.flush()
    moved_published = sum(1 for p in posts if p.state == PostState.PUBLISHED)
    for number, post in enumerate(posts, 1):
        support.unmark_removed_solution(post)
        post.thread, post.number = new, number
    new.reply_count = moved_published - 1
    thread.reply_count -= moved_published
    add_to(target, thread_count=1)
    if target.id != old_forum.id:
        add_to(old_forum, post_count=-moved_published)
        add_to(target, post_count=moved_published)
    target.last_activity_at = max(filter(None, [target.last_activity_at, new.last_activity_at]))
    ranking.refresh(thread)
    ranking.refresh(new)
    for author in {p.author for p in posts}:
        auto_follow(author, new)
    db.session.flush()
    # Re-setting the title lets the search index give the new opening post its title.
    db.session.execute(update(Thread).where(Thread.id == new.id).values(title=new.title))
    audit(actor, "split_thread", "thread", thread.id, reason=reason,
          after={"new_thread": new.id, "posts": sorted(ids), "forum": target.slug},
          title=thread.title)
    for post in posts:
        publisher.publish("post.removed", {"thread_id": thread.id, "post_id": post.id},
                          rooms.thread(thread.id))
    publisher.publish("thread.updated", {"thread": serializers.thread(thread)},
                      rooms.thread(thread.id), rooms.forum(old_forum.slug))
    publisher.publish("thread.created", {"forum": target.slug, "thread": serializers.thread(new)},
                      rooms.forum(target.slug))
    return new


@use_case
def merge_threads(actor: User, source: Thread, target: Thread, reason: str = "") -> Thread:
    """Moderators: move every post of `source` to the end of `target` (discussion and
    support threads; ideas merge with their votes in services.feedback). The emptied
    thread is hidden and points at the one it joined."""
    permissions.require(actor, "merge_threads", source)
    permissions.require(actor, "merge_threads", target)
    reason = _reason(reason, required=False)
    if source.id == target.id:
        raise ValidationError("A thread cannot be merged into itself.",
                              {"into": "Choose another thread."})
    for t in sorted((source, target), key=lambda t: t.id):
        _lock_thread(t)
    if source.state != "published" or target.state != "published" or source.merged_into_id:
        raise Conflict("Both threads must be published, and the first not merged already.")
    posts = list(db.session.scalars(select(Post).where(Post.thread_id == source.id)
                                    .order_by(Post.number)))
    published = sum(1 for p in posts if p.state == PostState.PUBLISHED)
    base = target.last_post_number
    for offset, post in enumerate(posts, 1):
        support.unmark_removed_solution(post)
        post.thread, post.number = target, base + offset
    target.last_post_number = base + len(posts)
    target.reply_count += published
    target.last_activity_at = max(target.last_activity_at, source.last_activity_at)
    source.merged_into_id, source.state, source.locked = target.id, "hidden", True
    source.reply_count, source.solved = 0, False
    add_to(source.forum, thread_count=-1)
    if source.forum_id != target.forum_id:
        add_to(source.forum, post_count=-published)
        add_to(target.forum, post_count=published)
    ranking.refresh(target)
    ranking.refresh(source)
    followers = db.session.execute(select(ThreadFollow.user_id, ThreadFollow.level)
                                   .where(ThreadFollow.thread_id == source.id)).all()
    for follower_id, level in followers:
        insert_if_absent(ThreadFollow, user_id=follower_id, thread_id=target.id, level=level)
    audit(actor, "merge_threads", "thread", source.id, reason=reason,
          after={"into": target.id, "posts": len(posts)}, title=source.title)
    publisher.publish("thread.updated", {"thread": serializers.thread(source)},
                      rooms.thread(source.id))
    for post in posts:
        if post.state == PostState.PUBLISHED:
            publisher.publish("post.created",
                              {"thread_id": target.id, "post": serializers.post(post)},
                              rooms.thread(target.id))
    publisher.publish("thread.updated", {"thread": serializers.thread(target)},
                      rooms.thread(target.id), rooms.forum(target.forum.slug))
    return target


# --- admin: watched words and rate limits -------------------------------------------------

@use_case
def add_watched_word(actor: User, word: str, action: str, replacement: str = "") -> WatchedWord:
    """Admins: watch a word or phrase ("*" matches any letters): block posts with it, hold
    them for review, or replace it."""
    permissions.require(actor, "manage_watched_words")
    word, replacement = " ".join((word or "").split()).lower(), (replacement or "").strip()
    errors = {}
    if not 1 <= len(word) <= 100 or not word.replace("*", ""):
        errors["word"] = "1–100 characters, not only “*”."
    if action not in WORD_ACTIONS:
        errors["action"] = f"One of {', '.join(WORD_ACTIONS)}."
    if action == "replace" and not 1 <= len(replacement) <= 100:
        errors["replacement"] = "1–100 characters to put in its place."
    if errors:
        raise ValidationError("Please correct the highlighted fields.", errors)
    if db.session.scalar(select(WatchedWord.id).where(WatchedWord.word == word)):
        raise Conflict("This word is watched already.", {"word": "Already on the list."})
    entry = WatchedWord(word=word, action=action,
                        replacement=replacement if action == "replace" else "", created_at=utcnow())
    db.session.add(entry)
    db.session.flush()
    audit(actor, "add_watched_word", "watched_word", entry.id,
          after={"word": word, "action": action, "replacement": entry.replacement})
    return entry


@use_case
def remove_watched_word(actor: User, entry: WatchedWord) -> None:
    """Admins: stop watching a word."""
    permissions.require(actor, "manage_watched_words")
    audit(actor, "remove_watched_word", "watched_word", entry.id,
          before={"word": entry.word, "action": entry.action, "replacement": entry.replacement})
    db.session.delete(entry)


@use_case
def update_rate_limits(actor: User, **values: str) -> dict[str, str]:
    """Admins: change rate limits ("5 per minute; 60 per hour"); an empty value goes back to
    the configured default. All are checked before any is saved."""
    from ..queries.moderation import rate_limits

    permissions.require(actor, "manage_rate_limits")
    unknown = set(values) - set(RATE_LIMITS)
    if unknown:
        raise ValidationError("Unknown limits.", {k: "Unknown limit." for k in sorted(unknown)})
    errors, cleaned = {}, {}
    for key, value in values.items():
        value = " ".join(str(value or "").split())
        if value:
            try:
                if not parse_many(value):
                    raise ValueError
            except ValueError:
                errors[key] = "Like “5 per minute” or “5 per minute; 60 per hour”."
                continue
        cleaned[key] = value
    if errors:
        raise ValidationError("Please correct the highlighted limits; nothing was changed.", errors)
    before = rate_limits(current_app.config)
    for key, value in cleaned.items():
        row = db.session.get(Setting, RATE_LIMIT_KEY.format(key))
        if value:
            db.session.merge(Setting(key=RATE_LIMIT_KEY.format(key), value=value))
        elif row is not None:
            db.session.delete(row)
    db.session.flush()
    after = rate_limits(current_app.config)
    changed = sorted(k for k in RATE_LIMITS if before[k] != after[k])
    if changed:
        audit(actor, "update_rate_limits", "setting", None,
              before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return after


# --- staff actions other services report through signals ----------------------------------

@signals.receiver("idea_status_changed")
def _log_idea_status(thread: Thread, actor, old, new, note_post) -> None:
    audit(actor, "set_idea_status", "thread", thread.id, before={"status": old},
          after={"status": new}, title=thread.title)


@signals.receiver("badge_awarded")
def _log_badge_award(award) -> None:
    if award.awarded_by_id is not None:  # a staff member's award, not a rule's
        db.session.add(AuditEntry(actor_id=award.awarded_by_id, action="grant_badge",
                                  target_type="user", target_id=award.user_id, reason=award.reason,
                                  created_at=utcnow(),
                                  details=json.dumps({"badge": award.badge.slug}, sort_keys=True)))


@signals.receiver("solution_changed")
def _log_solution_by_staff(thread: Thread, post: Post, accepted: bool, actor) -> None:
    if actor is not None and actor.id != thread.author_id:
        audit(actor, "accept_solution" if accepted else "unaccept_solution", "thread", thread.id,
              after={"post_id": post.id, "accepted": accepted}, title=thread.title)
