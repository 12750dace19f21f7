"""Leaderboards, badges and advocate profiles.

Leaderboards read the per-period totals kept on write (services.advocacy): the top of a
period is one indexed range scan, whatever the size of the ledger.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import (Badge, BadgeAward, Forum, Post, PointTotal, PostState, Thread,
                      User, utcnow)
from .. import visibility
from ..recognition import TIER_ORDER, award_reason, period_starts, rank_for

PERIODS = ("week", "month", "all", "custom")
MAX_RANGE = timedelta(days=366)
MAX_LIMIT = 100


@dataclass
class Entry:
    rank: int
    user: User
    points: int
    badges: list[Badge] = field(default_factory=list)

    @property
    def title(self) -> str:
        return rank_for(self.user.points)


@dataclass
class Board:
    period: str
    start: date | None
    end: date | None
    forum: Forum | None
    entries: list[Entry]


def parse_range(period: str, start: str | None, end: str | None) -> tuple[date | None, date | None]:
    """Validate a period and, for 'custom', its inclusive from/to dates (YYYY-MM-DD)."""
    if period not in PERIODS:
        raise ValidationError("Unknown period.", {"period": f"One of {', '.join(PERIODS)}."})
    if period != "custom":
        today = utcnow().date()
        first = period_starts(today)[period]
        return (None, None) if period == "all" else (first, today)
    try:
        first, last = date.fromisoformat(start or ""), date.fromisoformat(end or "")
    except ValueError:
        raise ValidationError("A custom range needs from and to dates.",
                              {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}) from None
    if first > last:
        raise ValidationError("The range ends before it starts.", {"to": "On or after from."})
    if last - first > MAX_RANGE:
        raise ValidationError("The range is too long.", {"to": "At most a year after from."})
    return first, last


def check_limit(raw, default: int = 20) -> int:
    if raw is None or raw == "":
        return default
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("Invalid limit.", {"limit": f"1 to {MAX_LIMIT}."})
    return limit


def leaderboard(period: str = "week", *, forum: Forum | None = None, start: str | None = None,
                end: str | None = None, limit: int = 20) -> Board:
    """The top members for a period, most points first; ties share a rank (1, 1, 3…).

    Ties are listed newest member first (by id, descending), so the order is stable and the
    index is read backwards without a sort.
    """
    first, last = parse_range(period, start, end)
    forum_id = forum.id if forum is not None else 0
    if period == "custom":
        total = func.sum(PointTotal.points).label("total")
        rows = db.session.execute(
            select(PointTotal.user_id, total)
            .where(PointTotal.period == "day", PointTotal.forum_id == forum_id,
                   PointTotal.period_start.between(first, last))
            .group_by(PointTotal.user_id).having(func.sum(PointTotal.points) > 0)
            .order_by(total.desc(), PointTotal.user_id.desc()).limit(limit)).all()
    else:
        starts = period_starts(utcnow().date())
        rows = db.session.execute(
            select(PointTotal.user_id, PointTotal.points)
            .where(PointTotal.period == period, PointTotal.period_start == starts[period],
                   PointTotal.forum_id == forum_id, PointTotal.points > 0)
            .order_by(PointTotal.points.desc(), PointTotal.user_id.desc()).limit(limit)).all()
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([r[0] for r in rows])))}
    badges = top_badges(list(users))
    entries, rank = [], 0
    for position, (user_id, points) in enumerate(rows, start=1):
        if not entries or points != entries[-1].points:
            rank = position
        entries.append(Entry(rank, users[user_id], int(points), badges.get(user_id, [])))
    return Board(period, first, last, forum, entries)


def top_badges(user_ids: list[int], per_user: int = 3) -> dict[int, list[Badge]]:
    """Each member's best badges (gold first), for showing next to their name."""
    if not user_ids:
        return {}
    awards = db.session.execute(
        select(BadgeAward.user_id, Badge).join(Badge)
        .where(BadgeAward.user_id.in_(user_ids), BadgeAward.revoked_at.is_(None))).all()
    result: dict[int, list[Badge]] = {}
    for user_id, badge in sorted(awards, key=lambda a: (TIER_ORDER.get(a[1].tier, 9), a[1].name)):
        mine = result.setdefault(user_id, [])
        if badge not in mine and len(mine) < per_user:
            mine.append(badge)
    return result


def awards_of(user: User) -> list[BadgeAward]:
    """The member's badges, newest first, with when and why they were earned."""
    return list(db.session.scalars(
        select(BadgeAward).where(BadgeAward.user_id == user.id, BadgeAward.revoked_at.is_(None))
        .options(joinedload(BadgeAward.badge),
                 joinedload(BadgeAward.thread).joinedload(Thread.forum))
        .order_by(BadgeAward.id.desc())))


def award_reasons(awards: list[BadgeAward], viewer) -> dict[int, str]:
    """Each award's reason as `viewer` may read it (a thread's title only if they may read it)."""
    return {a.id: award_reason(a, viewer) for a in awards}


def all_badges() -> list[tuple[Badge, int]]:
    """Every badge with how many members hold it."""
    holders = (select(BadgeAward.badge_id, func.count().label("n"))
               .where(BadgeAward.revoked_at.is_(None)).group_by(BadgeAward.badge_id).subquery())
    rows = db.session.execute(
        select(Badge, func.coalesce(holders.c.n, 0)).outerjoin(holders, holders.c.badge_id == Badge.id)
        .order_by(Badge.builtin.desc(), Badge.name)).all()
    return [(badge, count) for badge, count in rows]


def get_award(badge: Badge, user: User) -> BadgeAward:
    award = db.session.scalar(select(BadgeAward).where(
        BadgeAward.badge_id == badge.id, BadgeAward.user_id == user.id,
        BadgeAward.revoked_at.is_(None)).order_by(BadgeAward.id.desc()).limit(1))
    if award is None:
        raise NotFound(f"{user.username} does not have this badge.")
    return award


def solutions_given(viewer, user: User, limit: int = 10) -> list[Post]:
    """The member's accepted solutions in threads whose title the viewer may read."""
    return list(db.session.scalars(
        select(Post).join(Thread).where(Post.author_id == user.id, Post.is_solution.is_(True),
                                        Post.state == PostState.PUBLISHED,
                                        visibility.readable_threads(viewer))
        .options(joinedload(Post.thread)).order_by(Post.id.desc()).limit(limit)))


def ideas_posted(viewer, user: User, limit: int = 10) -> list[Thread]:
    """The member's ideas the viewer may read (not those held for review or hidden)."""
    return list(db.session.scalars(
        select(Thread).join(Forum).where(Thread.author_id == user.id, Forum.kind == "ideas",
                                         visibility.readable_threads(viewer))
        .order_by(Thread.score.desc(), Thread.id.desc()).limit(limit)))
