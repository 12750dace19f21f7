"""Reading the review queue, members' moderation history, the audit log and moderation settings."""

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import AuditEntry, Flag, Post, ReviewItem, Setting, Thread, User, WatchedWord, utcnow
from ..models.base import MAX_ID
from .paging import Page, paginate

ITEMS_PER_PAGE = 25
LOG_PER_PAGE = 50

# Rows of the settings table moderation keeps (the generic key/value table: no schema change).
RATE_LIMIT_KEY = "rate_limit:{}"
# The limits admins can change at run time (config.DEFAULTS holds the defaults).
RATE_LIMITS = {
    "POST_RATE_LIMIT": "Posting, per member",
    "POST_IP_RATE_LIMIT": "Posting, per client address",
    "VOTE_RATE_LIMIT": "Voting, per member",
    "VOTE_IP_RATE_LIMIT": "Voting, per client address",
    "FLAG_RATE_LIMIT": "Flagging, per member",
    "FLAG_IP_RATE_LIMIT": "Flagging, per client address",
    "REGISTER_IP_RATE_LIMIT": "Registering, per client address",
}


@dataclass
class History:
    """A member's record as the review queue shows it next to their post."""

    published_posts: int = 0
    approved: int = 0
    rejected: int = 0
    hidden: int = 0
    flags_received: int = 0
    waiting: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _items() -> "select":
    return select(ReviewItem).options(
        joinedload(ReviewItem.post).joinedload(Post.author),
        joinedload(ReviewItem.post).joinedload(Post.thread).joinedload(Thread.forum),
        joinedload(ReviewItem.claimed_by))


def open_items(page: int = 1, per_page: int = ITEMS_PER_PAGE,
               kind: str | None = None) -> Page[ReviewItem]:
    """Open items, held and flagged together, oldest first (ties by id)."""
    stmt = _items().where(ReviewItem.status == "open")
    if kind is not None:
        if kind not in ("pending", "flagged"):
            raise ValidationError("Unknown kind.", {"kind": "pending or flagged."})
        stmt = stmt.where(ReviewItem.kind == kind)
    return paginate(stmt.order_by(ReviewItem.created_at, ReviewItem.id), page, per_page)


def open_item_count() -> int:
    return db.session.scalar(select(func.count()).where(ReviewItem.status == "open")) or 0


def get_item(item_id: int) -> ReviewItem:
    item = db.session.scalar(_items().where(ReviewItem.id == item_id))
    if item is None:
        raise NotFound("No such review item.")
    return item


def open_item_for(post: Post) -> ReviewItem | None:
    """The post's open review item, if it has one (the oldest)."""
    return db.session.scalar(
        _items().where(ReviewItem.post_id == post.id, ReviewItem.status == "open")
        .order_by(ReviewItem.id).limit(1))


def author_history(user_ids) -> dict[int, History]:
    """Each member's record: published posts, review outcomes, flags received, items waiting."""
    ids = sorted(set(user_ids))
    history = {i: History() for i in ids}
    if not ids:
        return history
    counts = db.session.execute(select(User.id, User.post_count).where(User.id.in_(ids)))
    for user_id, count in counts:
        history[user_id].published_posts = count
    outcomes = db.session.execute(
        select(Post.author_id, ReviewItem.status, ReviewItem.resolution, func.count())
        .join(Post, Post.id == ReviewItem.post_id).where(Post.author_id.in_(ids))
        .group_by(Post.author_id, ReviewItem.status, ReviewItem.resolution))
    for user_id, status, resolution, count in outcomes:
        record = history[user_id]
        if status == "open":
            record.waiting += count
        elif resolution in ("approved", "restored"):
            record.approved += count
        elif resolution == "rejected":
            record.rejected += count
        elif resolution == "hidden":
            record.hidden += count
    flags = db.session.execute(
        select(Post.author_id, func.count()).select_from(Flag).join(Post, Post.id == Flag.post_id)
        .where(Post.author_id.in_(ids)).group_by(Post.author_id))
    for user_id, count in flags:
        history[user_id].flags_received = count
    return history


@dataclass(frozen=True)
class FlagView:
    reason: str
    note: str
    weight: int
    by: str | None
    created_at: datetime


def open_flags(post_ids) -> dict[int, list[FlagView]]:
    """Unresolved flags per post, oldest first, with who raised them."""
    found: dict[int, list[FlagView]] = {}
    if not post_ids:
        return found
    rows = db.session.execute(
        select(Flag, User.username).join(User, User.id == Flag.user_id, isouter=True)
        .where(Flag.post_id.in_(set(post_ids)), Flag.resolved_at.is_(None)).order_by(Flag.id))
    for flag, username in rows:
        found.setdefault(flag.post_id, []).append(
            FlagView(flag.reason, flag.note, flag.weight, username, flag.created_at))
    return found


# --- the audit log ------------------------------------------------------------------------

def day(raw: str, field: str) -> datetime:
    """Midnight UTC of a YYYY-MM-DD day given as input."""
    try:
        return datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise ValidationError("Invalid date.", {field: "A date like 2026-05-01."}) from None


@dataclass
class LogFilter:
    action: str | None = None
    actor: str | None = None          # a username
    target_type: str | None = None
    target_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None     # exclusive

    @classmethod
    def from_args(cls, args) -> "LogFilter":
        """The filters from query arguments: action, actor, target_type, target_id, and the
        days since and until (both included)."""
        target_id = args.get("target_id") or None
        # ASCII digits: "²" is a digit to str.isdigit but not to int().
        if target_id is not None and not (target_id.isascii() and target_id.isdigit()
                                          and int(target_id) <= MAX_ID):
            raise ValidationError("Invalid target.", {"target_id": "An id."})
        since, until = args.get("since"), args.get("until")
        last = day(until, "until") if until else None
        return cls(action=args.get("action") or None, actor=args.get("actor") or None,
                   target_type=args.get("target_type") or None,
                   target_id=int(target_id) if target_id else None,
                   since=day(since, "since") if since else None,
                   # No day follows 9999-12-31: "until" then bounds nothing.
                   until=last + timedelta(days=1) if last and last.date() < date.max else None)


def audit_log(filters: LogFilter, page: int = 1, per_page: int = LOG_PER_PAGE) -> Page[AuditEntry]:
    """Audit entries, newest first (ties by id), narrowed by the filters given."""
    stmt = select(AuditEntry).options(joinedload(AuditEntry.actor))
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.actor:
        actor_id = db.session.scalar(
            select(User.id).where(func.lower(User.username) == filters.actor.lower()))
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if filters.target_type:
        stmt = stmt.where(AuditEntry.target_type == filters.target_type)
    if filters.target_id is not None:
        stmt = stmt.where(AuditEntry.target_id == filters.target_id)
    if filters.since:
        stmt = stmt.where(AuditEntry.created_at >= filters.since)
    if filters.until:
        stmt = stmt.where(AuditEntry.created_at < filters.until)
    return paginate(stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()),
                    page, per_page)


def audit_actions() -> list[str]:
    """Every action the log holds, for the filter's choices."""
    return list(db.session.scalars(
        select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def member_log(user: User, limit: int = 20) -> list[AuditEntry]:
    """The latest moderation of a member: actions on them and on their posts."""
    post_ids = select(Post.id).where(Post.author_id == user.id)
    return list(db.session.scalars(
        select(AuditEntry).options(joinedload(AuditEntry.actor))
        .where(((AuditEntry.target_type == "user") & (AuditEntry.target_id == user.id))
               | ((AuditEntry.target_type == "post") & AuditEntry.target_id.in_(post_ids)))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)))


def details(entry: AuditEntry) -> dict:
    return json.loads(entry.details or "{}")


# --- settings -----------------------------------------------------------------------------

def watched_words() -> list[WatchedWord]:
    return list(db.session.scalars(select(WatchedWord).order_by(WatchedWord.word)))


def get_watched_word(word_id: int) -> WatchedWord:
    word = db.session.get(WatchedWord, word_id)
    if word is None:
        raise NotFound("No such watched word.")
    return word


def rate_limits(config) -> dict[str, str]:
    """Each rate limit in force: an admin's value where one is set, else the configured one."""
    keys = {RATE_LIMIT_KEY.format(k): k for k in RATE_LIMITS}
    stored = dict(db.session.execute(select(Setting.key, Setting.value)
                                     .where(Setting.key.in_(keys))).all())
    return {name: stored.get(key) or config[name] for key, name in keys.items()}


def silence_of(user) -> tuple[datetime, str] | None:
    """(until, reason) while the member is silenced, else None."""
    return (user.silenced_until, user.silenced_reason) if user.is_silenced() else None
