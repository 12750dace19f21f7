"""The insights dashboard's figures: participation, support health, satisfaction, ideas, advocates.

Every function reads one Range: whole local days in a time zone (UTC unless asked), from
the first day's midnight (inclusive) to the midnight after the last day (exclusive), and
optionally one forum. docs/insights.md defines each figure; the names match.

Per-day counts never load rows: they count a range of a created_at index (see
models/analytics.py) and split it at the instants where the range's days start, computed
here in the range's time zone, so local days are exact in any zone and across daylight
saving changes, with no date arithmetic in SQL (see _per_day_statement for how each
database is asked). Small tables
(survey answers, questions) are read row by row and put on their day here, by the same edges.
"""

import bisect
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import TIMESTAMP, String, bindparam, case, func, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import joinedload

from ..errors import ValidationError
from ..extensions import db
from ..models import (Badge, BadgeAward, CsatRating, Forum, ForumKind, IdeaStatus, MemberActivity,
                      NpsResponse, PointEntry, Post, PostState, PostVote, StatusChange, Thread,
                      ThreadState, ThreadVote, User, utcnow)

MAX_DAYS = 366
DEFAULT_DAYS = 30
# Satisfaction over time is per day up to this many days, per 7-day period beyond.
DAILY_UP_TO = 31
# Days counted per statement (two bound parameters each; old SQLite allows 999 in all).
DAYS_PER_STATEMENT = 100
FIRST_YEAR, LAST_YEAR = 1971, 9998
TOP = 10
UNANSWERED_SHOWN = 25
COMMENTS_SHOWN = 10
PROMOTER_MIN, DETRACTOR_MAX = 9, 6
SATISFIED_MIN = 4
FUNNEL = tuple(IdeaStatus)
PUBLISHED = PostState.PUBLISHED.value

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- the range ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Range:
    """Whole local days first..last (inclusive) in `tz`, and the forum to look at (or all)."""

    first: date
    last: date
    tz_name: str
    tz: tzinfo
    forum: Forum | None
    # Epoch seconds at which each day starts, then the end of the last day.
    bounds: tuple[float, ...]

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.bounds[0], UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the range (exclusive)."""
        return datetime.fromtimestamp(self.bounds[-1], UTC)

    @property
    def day_count(self) -> int:
        return len(self.bounds) - 1

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.day_count)]

    @property
    def edges(self) -> list[datetime]:
        """The instant each day starts, then the end of the last day (UTC)."""
        return [datetime.fromtimestamp(b, UTC) for b in self.bounds]

    def day_index(self, moment: datetime) -> int:
        """Which day of the range an instant inside it falls on."""
        return bisect.bisect_right(self.bounds, moment.timestamp()) - 1

    @property
    def period_days(self) -> int:
        """1 (daily) for ranges up to DAILY_UP_TO days, else 7."""
        return 1 if self.day_count <= DAILY_UP_TO else 7

    @property
    def periods(self) -> list[tuple[date, date]]:
        """(first day, last day) of each period, from the range's first day on."""
        step, days = self.period_days, self.days
        return [(days[i], days[min(i + step, len(days)) - 1]) for i in range(0, len(days), step)]

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)


def parse_range(raw_from: str | None = None, raw_to: str | None = None,
                raw_tz: str | None = None, *, forum: Forum | None = None,
                today: date | None = None) -> Range:
    """Validate the dashboard's from/to (YYYY-MM-DD, inclusive) and tz; 400 when wrong.

    Without `to` the range ends today (in tz); without `from` it is the 30 days up to `to`.
    """
    tz_name, tz = _zone(raw_tz)
    fields = {}
    last = _day(raw_to, "to", fields) if raw_to else None
    first = _day(raw_from, "from", fields) if raw_from else None
    if fields:
        raise ValidationError("Please give dates as YYYY-MM-DD.", fields)
    if last is None:
        last = max(today or utcnow().astimezone(tz).date(), first or date.min)
    if first is None:
        first = max(last - timedelta(days=DEFAULT_DAYS - 1), date(FIRST_YEAR, 1, 1))
    if first > last:
        raise ValidationError("The range ends before it starts.", {"from": "On or before to."})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError(f"The range is too long: at most {MAX_DAYS} days.",
                              {"to": f"At most {MAX_DAYS - 1} days after from."})
    bounds = tuple(datetime.combine(first + timedelta(days=i), time(0), tz).timestamp()
                   for i in range((last - first).days + 2))
    return Range(first, last, tz_name, tz, forum, bounds)


def _zone(raw: str | None) -> tuple[str, tzinfo]:
    name = (raw or "").strip() or "UTC"
    if name == "UTC":
        return name, UTC
    try:
        if len(name) > 64:
            raise ValueError(name)
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("Unknown time zone.", {
            "tz": "An IANA time zone name, such as Europe/Paris, or UTC."}) from None


def _day(raw: str, name: str, fields: dict) -> date | None:
    try:
        if not _DATE.fullmatch(raw.strip()):
            raise ValueError(raw)
        day = date.fromisoformat(raw.strip())
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(raw)
        return day
    except ValueError:
        fields[name] = f"A date as YYYY-MM-DD, between {FIRST_YEAR} and {LAST_YEAR}."
        return None


def filter_forums() -> list[Forum]:
    """Every forum, for the dashboard's forum filter (staff see private ones too)."""
    return list(db.session.scalars(select(Forum).order_by(Forum.position, Forum.id)))


# --- counting per day ----------------------------------------------------------------------

def _in_range(rng: Range, column) -> list:
    return [column >= rng.start, column < rng.end]


def _in_forum(rng: Range, column) -> list:
    return [column == rng.forum.id] if rng.forum is not None else []


# --- per-day counts -------------------------------------------------------------------------

def _counted(what: str, by_forum: bool, sqlite: bool):
    """(a count with its FROM and WHERE, the timestamp that dates a row) for one series.

    The forum is the bound parameter "forum_id". On SQLite the forum condition is written
    "forum_id + 0", which keeps its planner (it has no statistics) walking the created_at
    index (and looking each row's thread up by key) rather than starting from every thread
    of the forum.
    """
    count, forum = select(func.count()), bindparam("forum_id")

    def thread_in_forum():
        return [(Thread.forum_id + 0 if sqlite else Thread.forum_id) == forum] if by_forum else []

    if what == "members":
        return count.select_from(User), User.created_at
    if what == "threads":
        stmt = count.select_from(Thread).where(Thread.state == ThreadState.PUBLISHED.value, *thread_in_forum())
        return stmt, Thread.created_at
    if what == "posts":
        stmt = count.select_from(Post).where(Post.state == PUBLISHED)
        if by_forum:
            stmt = stmt.join(Thread, Thread.id == Post.thread_id).where(*thread_in_forum())
        return stmt, Post.created_at
    if what == "thread_votes":
        stmt = count.select_from(ThreadVote)
        if by_forum:
            stmt = stmt.join(Thread, Thread.id == ThreadVote.thread_id).where(*thread_in_forum())
        return stmt, ThreadVote.created_at
    if what == "post_votes":
        stmt = count.select_from(PostVote)
        if by_forum:
            stmt = (stmt.join(Post, Post.id == PostVote.post_id)
                    .join(Thread, Thread.id == Post.thread_id).where(*thread_in_forum()))
        return stmt, PostVote.created_at
    raise ValueError(what)


@lru_cache(maxsize=256)
def _per_day_statement(what: str, by_forum: bool, sqlite: bool, days: int):
    """The per-day counts of a series as one statement, built (and compiled) once per shape.

    SQLite: one scalar subquery per day, each counting its [lo, hi) slice of the index.
    PostgreSQL: one pass over the range, each row put on its day by width_bucket() over the
    array of day edges (a binary search), so a forum's threads are hashed once, not per day.
    """
    stmt, column = _counted(what, by_forum, sqlite)
    if sqlite:
        return select(*(stmt.where(column >= bindparam(f"lo{i}"), column < bindparam(f"hi{i}"))
                        .scalar_subquery() for i in range(days)))
    day = func.width_bucket(column, bindparam("edges", type_=ARRAY(TIMESTAMP(timezone=True))))
    return (stmt.add_columns(day).where(column >= bindparam("lo"), column < bindparam("hi"))
            .group_by(day))


def _per_day(rng: Range, what: str) -> list[int]:
    """How many rows of a series fall on each day of the range (see _counted for the series),
    each row on the day whose [start, end) holds its timestamp."""
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    forum_id = rng.forum.id if rng.forum is not None else None
    edges = rng.edges
    if not sqlite:
        counts = [0] * rng.day_count
        stmt = _per_day_statement(what, forum_id is not None, False, 0)
        for n, bucket in db.session.execute(stmt, {"forum_id": forum_id, "edges": edges,
                                                   "lo": edges[0], "hi": edges[-1]}):
            counts[bucket - 1] += n
        return counts
    counts = []
    for first in range(0, rng.day_count, DAYS_PER_STATEMENT):
        days = min(DAYS_PER_STATEMENT, rng.day_count - first)
        params = {"forum_id": forum_id}
        for i in range(days):
            params[f"lo{i}"], params[f"hi{i}"] = edges[first + i], edges[first + i + 1]
        stmt = _per_day_statement(what, forum_id is not None, True, days)
        counts += [int(n) for n in db.session.execute(stmt, params).one()]
    return counts


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# --- participation -------------------------------------------------------------------------

@dataclass
class Participation:
    days: list[date]
    members: list[int]        # accounts at the end of each day
    new_members: list[int]
    dau: list[int]
    wau: list[int]
    mau: list[int]
    threads: list[int]
    posts: list[int]
    votes: list[int]
    active: int               # members active on at least one day of the range

    @property
    def members_total(self) -> int:
        return self.members[-1] if self.members else 0


def participation(rng: Range) -> Participation:
    """Members, active members and what they wrote and voted, per day of the range."""
    new = _per_day(rng, "members")
    before = db.session.scalar(select(func.count()).select_from(User)
                               .where(User.created_at < rng.start))
    members, running = [], before
    for n in new:
        running += n
        members.append(running)
    votes = [a + b for a, b in zip(_per_day(rng, "thread_votes"), _per_day(rng, "post_votes"))]
    dau, wau, mau, active = _active_members(rng)
    return Participation(rng.days, members, new, dau, wau, mau, _per_day(rng, "threads"),
                         _per_day(rng, "posts"), votes, active)


def _active_members(rng: Range) -> tuple[list[int], list[int], list[int], int]:
    """DAU, WAU (7 days up to the day) and MAU (30 days) per day, and distinct in the range.

    member_activity holds UTC days, so these count UTC days labelled like the range's days.
    One pass over the rows, oldest day first: each member is tallied on the last day they were
    seen so far, so the members active in the N days up to a day are the sum of the last N
    tallies once that day's rows are in.
    """
    first = rng.first - timedelta(days=29)
    table = MemberActivity.__table__
    # Core rows, the day as the database gives it: only distinct days are turned into dates.
    rows = db.session.execute(
        select(type_coerce(table.c.day, String), table.c.user_id)
        .where(table.c.day.between(first, rng.last)).order_by(table.c.day))
    span = (rng.last - first).days + 1
    daily, last_seen_on, wau, mau = [0] * span, [0] * span, [0] * span, [0] * span
    last_seen: dict[int, int] = {}
    in_range: set[int] = set()
    index_of: dict = {}
    evaluated = 0

    def evaluate(until: int) -> None:
        # Days before `until` are complete: every row of theirs has been counted.
        nonlocal evaluated
        for k in range(evaluated, until):
            wau[k] = sum(last_seen_on[max(0, k - 6):k + 1])
            mau[k] = sum(last_seen_on[max(0, k - 29):k + 1])
        evaluated = max(evaluated, until)

    for day, user_id in rows:
        i = index_of.get(day)
        if i is None:
            i = index_of[day] = (_as_date(day) - first).days
            evaluate(i)
        daily[i] += 1
        previous = last_seen.get(user_id)
        if previous is not None:
            last_seen_on[previous] -= 1
        last_seen_on[i] += 1
        last_seen[user_id] = i
        if i >= 29:
            in_range.add(user_id)
    evaluate(span)
    return daily[29:], wau[29:], mau[29:], len(in_range)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# --- support health ------------------------------------------------------------------------

@dataclass
class SupportHealth:
    asked: list[int]          # questions asked per day
    solved_per_day: list[int]  # of those, solved now (by the day they were asked)
    answered_count: int
    staff_answered_count: int
    median_first_reply: float | None        # seconds
    median_first_staff_reply: float | None  # seconds
    unanswered_count: int
    unanswered: list[Thread]  # oldest first, at most UNANSWERED_SHOWN

    @property
    def questions(self) -> int:
        return sum(self.asked)

    @property
    def solved(self) -> int:
        return sum(self.solved_per_day)

    @property
    def solved_rate(self) -> float | None:
        return ratio(self.solved, self.questions)


def _replies_by_others(*extra):
    """Published replies in the outer query's thread, written by someone other than the asker."""
    return (select(func.min(Post.created_at))
            .where(Post.thread_id == Thread.id, Post.number > 1, Post.state == PUBLISHED,
                   Post.author_id != Thread.author_id, *extra)
            .scalar_subquery())


def support_health(rng: Range) -> SupportHealth:
    """Questions asked in the range: solved, how fast they got a first (staff) reply, unanswered."""
    rows = db.session.execute(
        select(Thread.id, Thread.created_at, Thread.solved, _replies_by_others(),
               _replies_by_others(Post.official.is_(True)))
        .join(Forum, Forum.id == Thread.forum_id)
        .where(Forum.kind == ForumKind.SUPPORT.value, Thread.state == ThreadState.PUBLISHED.value,
               *_in_range(rng, Thread.created_at), *_in_forum(rng, Thread.forum_id))
        .order_by(Thread.created_at, Thread.id)).all()
    asked, solved = [0] * rng.day_count, [0] * rng.day_count
    first_reply, first_staff, waiting = [], [], []
    for thread_id, created, is_solved, reply_at, staff_at in rows:
        i = rng.day_index(created)
        asked[i] += 1
        solved[i] += bool(is_solved)
        if reply_at is not None:
            first_reply.append((reply_at - created).total_seconds())
        else:
            waiting.append(thread_id)
        if staff_at is not None:
            first_staff.append((staff_at - created).total_seconds())
    shown = waiting[:UNANSWERED_SHOWN]
    threads = {t.id: t for t in db.session.scalars(
        select(Thread).where(Thread.id.in_(shown))
        .options(joinedload(Thread.forum), joinedload(Thread.author)))} if shown else {}
    return SupportHealth(asked, solved, len(first_reply), len(first_staff), _median(first_reply),
                         _median(first_staff), len(waiting), [threads[i] for i in shown])


@dataclass
class AnswerShare:
    """Replies to support questions (not the asker's own) by the community and by staff."""

    community_replies: int = 0
    staff_replies: int = 0
    community_solutions: int = 0
    staff_solutions: int = 0

    @property
    def community_share(self) -> float | None:
        return ratio(self.community_replies, self.community_replies + self.staff_replies)

    @property
    def community_solution_share(self) -> float | None:
        return ratio(self.community_solutions, self.community_solutions + self.staff_solutions)


def answer_share(rng: Range) -> AnswerShare:
    """Who answers: replies and accepted solutions written in the range, community vs staff."""
    rows = db.session.execute(
        select(Post.official, func.count(),
               func.sum(case((Post.is_solution.is_(True), 1), else_=0)))
        .join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
        .where(Forum.kind == ForumKind.SUPPORT.value, Post.number > 1, Post.state == PUBLISHED,
               Post.author_id != Thread.author_id, *_in_range(rng, Post.created_at),
               *_in_forum(rng, Thread.forum_id))
        .group_by(Post.official))
    share = AnswerShare()
    for official, replies, solutions in rows:
        if official:
            share.staff_replies, share.staff_solutions = replies, int(solutions or 0)
        else:
            share.community_replies, share.community_solutions = replies, int(solutions or 0)
    return share


# --- satisfaction --------------------------------------------------------------------------

@dataclass
class Csat:
    distribution: dict[int, int]          # score 1..5 -> ratings
    per_period: list[Counter]             # scores per period of the range

    @property
    def responses(self) -> int:
        return sum(self.distribution.values())

    @property
    def average(self) -> float | None:
        return _average(self.distribution)

    @property
    def satisfied_rate(self) -> float | None:
        return ratio(sum(n for s, n in self.distribution.items() if s >= SATISFIED_MIN),
                      self.responses)

    @property
    def period_averages(self) -> list[float | None]:
        return [_average(c) for c in self.per_period]


def _average(scores: dict[int, int]) -> float | None:
    total = sum(scores.values())
    return sum(s * n for s, n in scores.items()) / total if total else None


@dataclass
class NpsGroups:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        """% promoters (9-10) minus % detractors (0-6), from -100 to 100."""
        n = self.responses
        return 100 * (self.promoters - self.detractors) / n if n else None

    def add(self, score: int, count: int = 1) -> None:
        if score >= PROMOTER_MIN:
            self.promoters += count
        elif score <= DETRACTOR_MAX:
            self.detractors += count
        else:
            self.passives += count


def nps_groups(scores) -> NpsGroups:
    """The NPS groups of a list of 0-10 scores."""
    groups = NpsGroups()
    for s in scores:
        groups.add(s)
    return groups


@dataclass
class Nps:
    total: NpsGroups
    per_period: list[NpsGroups]
    distribution: dict[int, int]          # score 0..10 -> responses


@dataclass
class Comment:
    survey: str          # "csat" or "nps"
    score: int
    comment: str
    created_at: datetime
    thread: Thread | None = None


@dataclass
class Satisfaction:
    csat: Csat
    nps: Nps
    comments: list[Comment] = field(default_factory=list)


def satisfaction(rng: Range) -> Satisfaction:
    """CSAT ratings and NPS answers given in the range, overall and per period, and comments."""
    step = rng.period_days
    csat_rows = select(CsatRating.created_at, CsatRating.score).where(
        *_in_range(rng, CsatRating.created_at))
    if rng.forum is not None:
        csat_rows = (csat_rows.join(Thread, Thread.id == CsatRating.thread_id)
                     .where(Thread.forum_id == rng.forum.id))
    per_csat = [Counter() for _ in rng.periods]
    distribution = dict.fromkeys(range(1, 6), 0)
    for created, score in db.session.execute(csat_rows):
        per_csat[rng.day_index(created) // step][score] += 1
        distribution[score] += 1

    per_nps = [NpsGroups() for _ in rng.periods]
    total, nps_distribution = NpsGroups(), dict.fromkeys(range(0, 11), 0)
    for created, score in db.session.execute(
            select(NpsResponse.created_at, NpsResponse.score)
            .where(*_in_range(rng, NpsResponse.created_at))):
        per_nps[rng.day_index(created) // step].add(score)
        total.add(score)
        nps_distribution[score] += 1
    return Satisfaction(Csat(distribution, per_csat), Nps(total, per_nps, nps_distribution),
                        latest_comments(rng))


def latest_comments(rng: Range, limit: int = COMMENTS_SHOWN) -> list[Comment]:
    """The newest non-empty CSAT and NPS comments of the range, newest first."""
    csat = (select(CsatRating, Thread).join(Thread, Thread.id == CsatRating.thread_id)
            .where(CsatRating.comment != "", *_in_range(rng, CsatRating.created_at),
                   *_in_forum(rng, Thread.forum_id))
            .order_by(CsatRating.created_at.desc(), CsatRating.id.desc()).limit(limit))
    nps = (select(NpsResponse).where(NpsResponse.comment != "",
                                     *_in_range(rng, NpsResponse.created_at))
           .order_by(NpsResponse.created_at.desc(), NpsResponse.id.desc()).limit(limit))
    comments = [Comment("csat", r.score, r.comment, r.created_at, t)
                for r, t in db.session.execute(csat)]
    comments += [Comment("nps", r.score, r.comment, r.created_at)
                 for r in db.session.scalars(nps)]
    comments.sort(key=lambda c: c.created_at, reverse=True)
    return comments[:limit]


# --- ideas ---------------------------------------------------------------------------------

@dataclass
class TopIdea:
    thread: Thread
    votes: int        # votes cast in the range and still standing


@dataclass
class Shipped:
    thread: Thread
    shipped_at: datetime

    @property
    def days(self) -> float:
        return (self.shipped_at - self.thread.created_at).total_seconds() / 86400


@dataclass
class Ideas:
    top: list[TopIdea]
    by_status: dict[str, int]     # ideas posted in the range, by status now, funnel order
    shipped: list[Shipped]        # first shipped in the range, in the order they shipped

    @property
    def median_days_to_ship(self) -> float | None:
        return _median([s.days for s in self.shipped])


def ideas(rng: Range) -> Ideas:
    """The most voted ideas of the range, ideas posted by status, and ideas shipped."""
    is_idea = [Forum.kind == ForumKind.IDEAS.value, Thread.state == ThreadState.PUBLISHED.value,
               *_in_forum(rng, Thread.forum_id)]
    votes = func.count().label("votes")
    top_rows = db.session.execute(
        select(ThreadVote.thread_id, votes)
        .join(Thread, Thread.id == ThreadVote.thread_id).join(Forum, Forum.id == Thread.forum_id)
        .where(*is_idea, Thread.merged_into_id.is_(None), *_in_range(rng, ThreadVote.created_at))
        .group_by(ThreadVote.thread_id, Thread.score)
        .order_by(votes.desc(), Thread.score.desc(), ThreadVote.thread_id).limit(TOP)).all()
    threads = _threads([r[0] for r in top_rows])
    top = [TopIdea(threads[thread_id], n) for thread_id, n in top_rows]

    by_status = dict.fromkeys((s.value for s in FUNNEL), 0)
    for status, n in db.session.execute(
            select(Thread.status, func.count()).join(Forum, Forum.id == Thread.forum_id)
            .where(*is_idea, *_in_range(rng, Thread.created_at)).group_by(Thread.status)):
        key = status or IdeaStatus.OPEN.value
        by_status[key] = by_status.get(key, 0) + n

    first_shipped = (select(StatusChange.thread_id, func.min(StatusChange.created_at).label("at"))
                     .where(StatusChange.to_status == IdeaStatus.SHIPPED.value)
                     .group_by(StatusChange.thread_id).subquery())
    shipped_rows = db.session.execute(
        select(first_shipped.c.thread_id, first_shipped.c.at)
        .join(Thread, Thread.id == first_shipped.c.thread_id)
        .join(Forum, Forum.id == Thread.forum_id)
        .where(*is_idea, *_in_range(rng, first_shipped.c.at))
        .order_by(first_shipped.c.at, first_shipped.c.thread_id)).all()
    shipped_threads = _threads([r[0] for r in shipped_rows])
    shipped = [Shipped(shipped_threads[thread_id], _aware(at)) for thread_id, at in shipped_rows]
    return Ideas(top, by_status, shipped)


def _threads(ids: list[int]) -> dict[int, Thread]:
    if not ids:
        return {}
    return {t.id: t for t in db.session.scalars(
        select(Thread).where(Thread.id.in_(ids)).options(joinedload(Thread.forum)))}


def _aware(moment) -> datetime:
    # An aggregate over a subquery may come back without the column's type on SQLite.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- advocates -----------------------------------------------------------------------------

@dataclass
class Advocate:
    user: User
    points: int


@dataclass
class Advocates:
    top: list[Advocate]
    badges: list[tuple[Badge, int]]     # badges awarded in the range, most awarded first
    answers: AnswerShare

    @property
    def badges_awarded(self) -> int:
        return sum(n for _, n in self.badges)


def advocates(rng: Range) -> Advocates:
    """Who earned the most points in the range, which badges were awarded, who answers."""
    total = func.sum(PointEntry.points).label("total")
    rows = db.session.execute(
        select(PointEntry.user_id, total)
        .where(*_in_range(rng, PointEntry.created_at), *_in_forum(rng, PointEntry.forum_id))
        .group_by(PointEntry.user_id).having(func.sum(PointEntry.points) > 0)
        .order_by(total.desc(), PointEntry.user_id).limit(TOP)).all()
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_([r[0] for r in rows])))} if rows else {}
    top = [Advocate(users[user_id], int(points)) for user_id, points in rows]

    awarded = func.count(BadgeAward.id).label("awarded")
    badges = db.session.execute(
        select(Badge, awarded).join(BadgeAward, BadgeAward.badge_id == Badge.id)
        .where(BadgeAward.revoked_at.is_(None), *_in_range(rng, BadgeAward.created_at))
        .group_by(Badge.id).order_by(awarded.desc(), Badge.name, Badge.id)).all()
    return Advocates(top, [(b, n) for b, n in badges], answer_share(rng))


# --- everything at once ----------------------------------------------------------------------

class Dashboard:
    """Every figure of the insights dashboard for a range; each section is read when first used."""

    def __init__(self, rng: Range) -> None:
        self.range = rng

    @cached_property
    def participation(self) -> Participation:
        return participation(self.range)

    @cached_property
    def support(self) -> SupportHealth:
        return support_health(self.range)

    @cached_property
    def satisfaction(self) -> Satisfaction:
        return satisfaction(self.range)

    @cached_property
    def ideas(self) -> Ideas:
        return ideas(self.range)

    @cached_property
    def advocates(self) -> Advocates:
        return advocates(self.range)
