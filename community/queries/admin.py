"""Reads for the admin console (members, forums, webhooks) and a member's data export."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from .. import visibility
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import (ApiToken, BadgeAward, CsatRating, Flag, Forum, ForumFollow, Notification,
                      NotificationPreference, NpsResponse, PointEntry, PollBallot, PollOption, Post,
                      PostRevision, PostVote, Role, Thread, ThreadFollow, ThreadVote, User, utcnow)
from ..models.integrations import Webhook, WebhookDelivery
from ..recognition import award_reason
from .notifications import _as_readable
from .paging import Page, paginate


# --- the console -----------------------------------------------------------------------

def console_counts() -> dict[str, int]:
    """Headline numbers for the console's overview."""
    since = utcnow() - timedelta(days=1)

    def count(stmt) -> int:
        return db.session.scalar(stmt) or 0

    return {
        "members": count(select(func.count()).select_from(User)),
        "forums": count(select(func.count()).select_from(Forum)),
        "threads": count(select(func.count()).select_from(Thread)),
        "posts": count(select(func.count()).select_from(Post)),
        "webhooks": count(select(func.count()).select_from(Webhook)),
        "failed_deliveries": count(select(func.count()).select_from(WebhookDelivery).where(
            WebhookDelivery.status == "failed", WebhookDelivery.created_at >= since)),
    }


def all_forums() -> list[Forum]:
    """Every forum, private ones too, in the order the home page shows them."""
    return list(db.session.scalars(select(Forum).order_by(Forum.position, Forum.id)))


def get_forum(slug: str) -> Forum:
    forum = db.session.scalar(select(Forum).where(Forum.slug == slug))
    if forum is None:
        raise NotFound("No such forum.")
    return forum


def find_members(q: str = "", role: str = "", page: int = 1, per_page: int = 50) -> Page[User]:
    """Members whose username, display name or email contains `q`, newest first."""
    if role and role not in set(Role):
        raise ValidationError("Unknown role.", {"role": f"One of {', '.join(Role)}."})
    stmt = select(User)
    q = q.strip().lower()[:100]
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(func.lower(User.username).like(like, escape="\\"),
                              func.lower(User.display_name).like(like, escape="\\"),
                              func.lower(User.email).like(like, escape="\\")))
    if role:
        stmt = stmt.where(User.role == role)
    return paginate(stmt.order_by(User.created_at.desc(), User.id.desc()), page, per_page)


@dataclass
class WebhookRow:
    webhook: Webhook
    last: WebhookDelivery | None
    failed_today: int


def webhook_rows() -> list[WebhookRow]:
    """Every webhook with its latest delivery and how many failed in the last day."""
    hooks = list(db.session.scalars(select(Webhook).order_by(Webhook.id)))
    since = utcnow() - timedelta(days=1)
    failed = dict(db.session.execute(
        select(WebhookDelivery.webhook_id, func.count())
        .where(WebhookDelivery.status == "failed", WebhookDelivery.created_at >= since)
        .group_by(WebhookDelivery.webhook_id)).all())
    latest_ids = select(func.max(WebhookDelivery.id)).group_by(WebhookDelivery.webhook_id)
    latest = {d.webhook_id: d for d in db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.id.in_(latest_ids)))}
    return [WebhookRow(h, latest.get(h.id), failed.get(h.id, 0)) for h in hooks]


def get_webhook(webhook_id: int) -> Webhook:
    hook = db.session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound("No such webhook.")
    return hook


def get_delivery(webhook: Webhook, delivery_id: int) -> WebhookDelivery:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook.id:
        raise NotFound("No such delivery.")
    return delivery


def deliveries(webhook: Webhook, page: int = 1, per_page: int = 25) -> Page[WebhookDelivery]:
    """A webhook's delivery log, newest first."""
    stmt = (select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()))
    return paginate(stmt, page, per_page)


# --- a member's own data -----------------------------------------------------------------

def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def account_export(user: User) -> dict:
    """Everything the community stores about `user`, as JSON-safe data (their data export)."""
    uid = user.id

    def mine(model, column=None):
        """The rows of `model` that belong to the member, oldest first."""
        column = column if column is not None else model.user_id
        return db.session.scalars(select(model).where(column == uid)
                                  .order_by(*model.__table__.primary_key.columns)).all()

    # Their own posts, and the titles of the threads they are in only where they may read
    # them (someone else's thread may since have moved to a private forum, or be hidden).
    posts = [(p, title if readable else None, slug) for p, title, slug, readable in
             db.session.execute(
                 select(Post, Thread.title, Forum.slug, visibility.readable_threads(user))
                 .join(Thread, Post.thread_id == Thread.id)
                 .join(Forum, Thread.forum_id == Forum.id).where(Post.author_id == uid)
                 .order_by(Post.created_at, Post.id)).all()]
    threads = db.session.execute(
        select(Thread, Forum.slug).join(Forum, Thread.forum_id == Forum.id)
        .where(Thread.author_id == uid).order_by(Thread.id)).all()
    ballots = db.session.execute(
        select(PollBallot, PollOption.label).join(PollOption, PollBallot.option_id == PollOption.id)
        .where(PollBallot.user_id == uid)).all()
    return {
        "format": "community-account-export/1",
        "exported_at": utcnow().isoformat(),
        "profile": {
            "id": uid, "username": user.username, "display_name": user.display_name,
            "email": user.email, "bio": user.bio, "role": str(user.role),
            "trust_level": user.trust_level, "created_at": _iso(user.created_at),
            "last_seen_at": _iso(user.last_seen_at), "days_visited": user.days_visited,
            "visit_streak": user.visit_streak, "digest": user.digest,
            "auto_follow": user.auto_follow, "suspended_until": _iso(user.suspended_until),
            "suspended_reason": user.suspended_reason,
        },
        "threads": [{"id": t.id, "title": t.title, "forum": slug, "created_at": _iso(t.created_at),
                     "status": t.status, "solved": t.solved, "state": t.state}
                    for t, slug in threads],
        "posts": [{"id": p.id, "thread_id": p.thread_id, "thread_title": title, "forum": slug,
                   "number": p.number, "state": str(p.state), "body": p.body,
                   "official": p.official, "score": p.score, "is_solution": p.is_solution,
                   "created_at": _iso(p.created_at), "edited_at": _iso(p.edited_at)}
                  for p, title, slug in posts],
        "post_revisions": [{"post_id": r.post_id, "body": r.body, "edited_at": _iso(r.edited_at)}
                           for r in mine(PostRevision, PostRevision.editor_id)],
        "votes": {
            "threads": [{"thread_id": v.thread_id, "created_at": _iso(v.created_at)}
                        for v in mine(ThreadVote)],
            "posts": [{"post_id": v.post_id, "created_at": _iso(v.created_at)}
                      for v in mine(PostVote)],
            "polls": [{"poll_id": b.poll_id, "option": label, "created_at": _iso(b.created_at)}
                      for b, label in ballots],
        },
        "follows": {
            "threads": [{"thread_id": f.thread_id, "level": f.level} for f in mine(ThreadFollow)],
            "forums": [{"forum_id": f.forum_id, "level": f.level} for f in mine(ForumFollow)],
        },
        "notifications": [
            {"kind": n.kind, "message": n.message, "thread_id": n.thread_id, "post_id": n.post_id,
             "count": n.count, "created_at": _iso(n.created_at), "read_at": _iso(n.read_at)}
            for n in _as_readable(user, list(mine(Notification)))],
        "notification_preferences": [{"kind": p.kind, "in_app": p.in_app, "email": p.email}
                                     for p in mine(NotificationPreference)],
        "points": {
            "total": user.points,
            "ledger": [{"action": e.action, "points": e.points, "for": e.subject_key,
                        "reversal": e.reversal, "created_at": _iso(e.created_at)}
                       for e in mine(PointEntry)],
        },
        "badges": [{"badge": a.badge.slug, "name": a.badge.name,
                    "reason": award_reason(a, user), "thread_id": a.thread_id,
                    "awarded_at": _iso(a.created_at), "revoked_at": _iso(a.revoked_at)}
                   for a in mine(BadgeAward)],
        "satisfaction": {
            "csat": [{"thread_id": r.thread_id, "score": r.score, "comment": r.comment,
                      "created_at": _iso(r.created_at)} for r in mine(CsatRating)],
            "nps": [{"score": r.score, "comment": r.comment, "created_at": _iso(r.created_at)}
                    for r in mine(NpsResponse)],
        },
        "flags": [{"post_id": f.post_id, "reason": f.reason, "note": f.note,
                   "created_at": _iso(f.created_at)} for f in mine(Flag)],
        "api_tokens": [{"name": t.name, "scopes": t.scopes, "created_at": _iso(t.created_at),
                        "last_used_at": _iso(t.last_used_at), "revoked_at": _iso(t.revoked_at)}
                       for t in mine(ApiToken)],
    }
