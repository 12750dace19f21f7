"""The advocate programme: points for what members do, badges, ranks.

Every scoring action writes a ledger entry (PointEntry) and adds its points to the member's
period totals (PointTotal) in the same transaction, so leaderboards read a few indexed rows
and the ledger explains every point. Undoing an action writes a reversing entry for what
its subject still nets, so vote/unvote loops can never earn more than one vote's worth.

Subject keys group the entries of one thing: "thread:7", "thread:7:vote:12",
"thread:7:status:planned", "post:9", "post:9:vote:12", "post:9:solution", "visit:2026-11-24".
"""

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from .. import permissions, serializers
from ..domain_events import (BadgeAwarded, IdeaStatusChanged, MemberVisited, PostPublished,
                             PostRemoved, PostRestored, PostVoted, ProfileUpdated, RankReached,
                             SolutionChanged, ThreadStarted, ThreadVoted, record)
from ..errors import Conflict, NotFound, ValidationError
from ..extensions import db
from ..models import (Badge, BadgeAward, ForumKind, Post, PointEntry, PointTotal, PostState,
                      PostVote, ScoringRule, Thread, ThreadVote, User, utcnow)
from ..realtime import leaderboard, publisher, rooms
from ..recognition import (BADGE_TIERS, RANKS, THREAD_REASONS, TIER_ORDER,  # noqa: F401
                           award_reason, period_starts, rank_for)
from .rows import add_to, insert_if_absent
from .unit import use_case

# What each action is worth unless an admin changed it (documented in README).
DEFAULT_POINTS = {
    "thread_started": 2,
    "reply_posted": 1,
    "upvote_received": 1,
    "idea_vote_received": 1,
    "solution_accepted": 15,
    "first_response": 3,
    "idea_planned": 10,
    "idea_shipped": 25,
    "daily_visit": 1,
}

# slug: (name, description, icon, tier, repeatable)
BUILTIN_BADGES = {
    "first-post": ("First post", "Wrote a first post.", "✎", "bronze", False),
    "welcome": ("Welcome", "Completed their profile.", "👋", "bronze", False),
    "first-vote": ("First vote", "Voted for the first time.", "▲", "bronze", False),
    "first-solution": ("Problem solver", "Gave a first accepted solution.", "✔", "bronze", False),
    "solutions-10": ("Helper", "10 accepted solutions.", "✔", "silver", False),
    "solutions-50": ("Guru", "50 accepted solutions.", "✔", "gold", False),
    "upvotes-10": ("Appreciated", "Received 10 votes.", "♥", "bronze", False),
    "upvotes-100": ("Beloved", "Received 100 votes.", "♥", "gold", False),
    "idea-shipped": ("Idea shipped", "Suggested an idea the brand shipped.", "🚀", "gold", True),
    "streak-7": ("Regular", "Visited 7 days in a row.", "🔥", "bronze", False),
    "streak-30": ("Devoted", "Visited 30 days in a row.", "🔥", "silver", False),
    "top10-month": ("Top 10 advocate", "Among the month's ten best advocates.", "🏆", "gold", True),
}


# --- the scoring table ---------------------------------------------------------------

def scoring_table() -> dict[str, int]:
    """Points per action: the defaults with the admins' changes applied."""
    stored = dict(db.session.execute(select(ScoringRule.action, ScoringRule.points)).all())
    return DEFAULT_POINTS | {k: v for k, v in stored.items() if k in DEFAULT_POINTS}


@use_case
def set_scoring(actor, changes: dict[str, int]) -> dict[str, int]:
    """Admins: change what actions are worth (from now on; the ledger keeps what was earned)."""
    permissions.require(actor, "manage_advocacy")
    errors = {}
    for action, points in changes.items():
        if action not in DEFAULT_POINTS:
            errors[action] = "Unknown action."
        elif not isinstance(points, int) or isinstance(points, bool) or not -1000 <= points <= 1000:
            errors[action] = "A whole number from -1000 to 1000."
    if errors:
        raise ValidationError("Please correct the scoring table.", errors)
    for action, points in changes.items():
        db.session.merge(ScoringRule(action=action, points=points))
    return scoring_table()


# --- the ledger ----------------------------------------------------------------------

def _add_to_totals(user_id: int, forum_id: int | None, points: int, day: date) -> None:
    rows = [{"user_id": user_id, "period": period, "period_start": start, "forum_id": forum,
             "points": points}
            for period, start in period_starts(day).items()
            for forum in ({0, forum_id} if forum_id else {0})]
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(PointTotal).values(rows)
    # One statement whatever the number of periods: add to the row, or create it.
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=["user_id", "period", "period_start", "forum_id"],
        set_={"points": PointTotal.points + stmt.excluded.points}))


def _write(user_id: int, action: str, points: int, subject_key: str, *, forum_id: int | None,
           thread=None, post=None, reversal: bool = False) -> None:
    if points == 0:
        return
    now = utcnow()
    db.session.add(PointEntry(user_id=user_id, action=action, points=points,
                              subject_key=subject_key, forum_id=forum_id,
                              thread_id=thread.id if thread is not None else None,
                              post_id=post.id if post is not None else None,
                              reversal=reversal, created_at=now))
    _add_to_totals(user_id, forum_id, points, now.date())
    user = db.session.get(User, user_id)
    add_to(user, points=points)
    before = user.points - points
    if rank_for(user.points) != rank_for(before) and user.points > before:
        record(RankReached(user, rank_for(user.points)))
    leaderboard.announce_change()


def _net(user_id: int, subject_key: str, action: str | None = None) -> int:
    stmt = select(func.coalesce(func.sum(PointEntry.points), 0)).where(
        PointEntry.user_id == user_id, PointEntry.subject_key == subject_key)
    if action:
        stmt = stmt.where(PointEntry.action == action)
    return db.session.scalar(stmt)


def _earn(user_id: int, action: str, subject_key: str, **where) -> None:
    """Score `action` for its subject, unless the subject already nets its points."""
    points = scoring_table()[action]
    owed = points - _net(user_id, subject_key, action)
    if owed > 0:
        thread = where.get("thread")
        _write(user_id, action, owed, subject_key,
               forum_id=thread.forum_id if thread is not None else None, **where)


def _undo(user_id: int, subject_key: str, **where) -> None:
    """Reverse whatever the subject still nets for the member, in the forum that got it.

    That forum, not the thread's current one: a split or merge may have moved the post.
    """
    entries = db.session.execute(
        select(PointEntry.action, PointEntry.forum_id, func.sum(PointEntry.points))
        .where(PointEntry.user_id == user_id, PointEntry.subject_key == subject_key)
        .group_by(PointEntry.action, PointEntry.forum_id)).all()
    for action, forum_id, net in entries:
        if net:
            _write(user_id, action, -net, subject_key, forum_id=forum_id, reversal=True, **where)


def _undo_subject_tree(prefix: str, **where) -> None:
    """Reverse every member's points for a subject and its sub-subjects (a removed post)."""
    keys = db.session.execute(
        select(PointEntry.user_id, PointEntry.subject_key)
        .where(or_(PointEntry.subject_key == prefix, PointEntry.subject_key.like(prefix + ":%")))
        .group_by(PointEntry.user_id, PointEntry.subject_key)).all()
    for user_id, key in keys:
        _undo(user_id, key, **where)


def _counts(voter: User) -> bool:
    """Votes score only from active members whose account is old enough."""
    age = utcnow() - voter.created_at
    minimum = timedelta(hours=current_app.config["POINTS_MIN_VOTER_AGE_HOURS"])
    return not voter.is_suspended() and age >= minimum


# --- reactions (community.events): what earns points -------------------------------------

def score_thread_started(event: ThreadStarted) -> None:
    """A new thread earns its author points, and a first post the first-post badge."""
    thread, post = event.thread, event.post
    _earn(thread.author_id, "thread_started", f"thread:{thread.id}", thread=thread, post=post)
    _award_builtin("first-post", thread.author, "Started a first thread.")


def score_post_published(event: PostPublished) -> None:
    """A published post earns its author points (a first response in support, more)."""
    post = event.post
    _award_post(post)
    _award_builtin("first-post", post.author, "Wrote a first post.")


def _award_post(post: Post) -> None:
    thread = post.thread
    if post.number == 1:
        _earn(post.author_id, "thread_started", f"thread:{thread.id}", thread=thread, post=post)
        return
    _earn(post.author_id, "reply_posted", f"post:{post.id}", thread=thread, post=post)
    if thread.forum.kind == ForumKind.SUPPORT and post.author_id != thread.author_id:
        earlier = db.session.scalar(select(func.count()).where(
            Post.thread_id == thread.id, Post.number > 1, Post.number < post.number,
            Post.author_id != thread.author_id, Post.state == PostState.PUBLISHED))
        if earlier == 0:
            _earn(post.author_id, "first_response", f"post:{post.id}:first", thread=thread, post=post)


def unscore_removed_post(event: PostRemoved) -> None:
    """A removed post's points, and those of its votes and solution, are taken back."""
    post = event.post
    thread = post.thread
    _undo_subject_tree(f"post:{post.id}", thread=thread, post=post)
    # The thread points this post earned by opening a thread, looked up by post rather
    # than by its number: a merge makes an opening post a reply of another thread.
    opened = db.session.scalars(select(PointEntry.subject_key).distinct().where(
        PointEntry.post_id == post.id, PointEntry.action == "thread_started"))
    for key in opened.all():
        _undo(post.author_id, key, thread=thread, post=post)


def rescore_restored_post(event: PostRestored) -> None:
    """A restored post earns again what it earned before (no more)."""
    post = event.post
    _award_post(post)
    voters = db.session.scalars(select(PostVote.user_id).where(PostVote.post_id == post.id))
    for voter_id in voters:
        voter = db.session.get(User, voter_id)
        if voter_id != post.author_id and _counts(voter):
            _earn(post.author_id, "upvote_received", f"post:{post.id}:vote:{voter_id}",
                  thread=post.thread, post=post)
    if post.is_solution and post.author_id != post.thread.author_id:
        _earn(post.author_id, "solution_accepted", f"post:{post.id}:solution",
              thread=post.thread, post=post)


def score_thread_vote(event: ThreadVoted) -> None:
    """A vote for a thread scores for its author (and badges); taking it back unscores."""
    thread, voter, change = event.thread, event.voter, event.change
    key = f"thread:{thread.id}:vote:{voter.id}"
    if change > 0:
        _award_builtin("first-vote", voter, "Cast a first vote.")
        if _counts(voter):
            action = "idea_vote_received" if thread.forum.kind == ForumKind.IDEAS else "upvote_received"
            _earn(thread.author_id, action, key, thread=thread)
            _check_votes_received(thread.author)
    else:
        _undo(thread.author_id, key, thread=thread)


def score_post_vote(event: PostVoted) -> None:
    """A vote for a post scores for its author (and badges); taking it back unscores."""
    post, voter, change = event.post, event.voter, event.change
    key = f"post:{post.id}:vote:{voter.id}"
    if change > 0:
        _award_builtin("first-vote", voter, "Cast a first vote.")
        if _counts(voter):
            _earn(post.author_id, "upvote_received", key, thread=post.thread, post=post)
            _check_votes_received(post.author)
    else:
        _undo(post.author_id, key, thread=post.thread, post=post)


def score_solution(event: SolutionChanged) -> None:
    """An accepted solution scores for its author (and solution badges); unaccepting unscores."""
    thread, post, accepted = event.thread, event.post, event.accepted
    key = f"post:{post.id}:solution"
    if not accepted:
        _undo(post.author_id, key, thread=thread, post=post)
        return
    if post.author_id == thread.author_id:
        return  # answering one's own question earns no recognition
    _earn(post.author_id, "solution_accepted", key, thread=thread, post=post)
    solutions = db.session.scalar(select(func.count()).where(
        Post.author_id == post.author_id, Post.is_solution.is_(True)))
    _award_builtin("first-solution", post.author, THREAD_REASONS["first-solution"][0],
                   thread=thread)
    if solutions >= 10:
        _award_builtin("solutions-10", post.author, "10 accepted solutions.")
    if solutions >= 50:
        _award_builtin("solutions-50", post.author, "50 accepted solutions.")


def score_idea_status(event: IdeaStatusChanged) -> None:
    """A planned or shipped idea scores for its author (shipped: a badge too)."""
    thread, new = event.thread, event.new
    if new in ("planned", "shipped"):
        _earn(thread.author_id, f"idea_{new}", f"thread:{thread.id}:status:{new}", thread=thread)
    if new == "shipped":
        _award_builtin("idea-shipped", thread.author, THREAD_REASONS["idea-shipped"][0],
                       occasion=f"thread:{thread.id}", thread=thread)


def score_visit(event: MemberVisited) -> None:
    """A daily visit scores once a day; visit streaks earn badges."""
    user, day = event.user, event.day
    _earn(user.id, "daily_visit", f"visit:{day.isoformat()}")
    if user.visit_streak >= 7:
        _award_builtin("streak-7", user, "Visited 7 days in a row.")
    if user.visit_streak >= 30:
        _award_builtin("streak-30", user, "Visited 30 days in a row.")


def award_complete_profile(event: ProfileUpdated) -> None:
    """A profile with a display name and a bio earns the welcome badge."""
    user = event.user
    if user.display_name and user.bio:
        _award_builtin("welcome", user, "Completed their profile.")


def _check_votes_received(author: User) -> None:
    # Counting stops at the highest threshold, so the check costs the same for a member
    # with a hundred votes as for one with a million.
    def counted(stmt) -> int:
        return db.session.scalar(select(func.count()).select_from(stmt.limit(100).subquery()))

    received = (counted(select(PostVote.user_id).join(Post).where(Post.author_id == author.id))
                + counted(select(ThreadVote.user_id).join(Thread)
                          .where(Thread.author_id == author.id)))
    if received >= 10:
        _award_builtin("upvotes-10", author, "Received 10 votes.")
    if received >= 100:
        _award_builtin("upvotes-100", author, "Received 100 votes.")


# --- badges --------------------------------------------------------------------------

def builtin_badge(slug: str) -> Badge:
    """The built-in badge, created the first time it is needed."""
    badge = db.session.scalar(select(Badge).where(Badge.slug == slug))
    if badge is None:
        name, description, icon, tier, repeatable = BUILTIN_BADGES[slug]
        insert_if_absent(Badge, slug=slug, name=name, description=description, icon=icon,
                         tier=tier, repeatable=repeatable, builtin=True, created_at=utcnow())
        badge = db.session.scalar(select(Badge).where(Badge.slug == slug))
    return badge


def _award_builtin(slug: str, user: User, reason: str, occasion: str = "",
                   thread: Thread | None = None) -> None:
    _award(builtin_badge(slug), user, reason, occasion=occasion, thread=thread)


def _award(badge: Badge, user: User, reason: str, *, occasion: str = "",
           awarded_by: User | None = None, thread: Thread | None = None) -> BadgeAward | None:
    """Give the badge once (per occasion for repeatable ones); None if it was already given.

    `reason` is stored and shown to anyone: never a title or any other forum text; an
    award about a thread names it by `thread` instead (see award_reason).
    """
    if not insert_if_absent(BadgeAward, badge_id=badge.id, user_id=user.id, occasion=occasion,
                            reason=reason, awarded_by_id=awarded_by.id if awarded_by else None,
                            thread_id=thread.id if thread is not None else None,
                            created_at=utcnow()):
        return None
    award = db.session.scalar(select(BadgeAward).where(
        BadgeAward.badge_id == badge.id, BadgeAward.user_id == user.id,
        BadgeAward.occasion == occasion))
    # The leaderboard room is public: the reason as everyone may see it.
    payload = {"username": user.username, "badge": serializers.badge(badge),
               "reason": award_reason(award)}
    publisher.publish("badge.awarded", payload, rooms.user(user.id), rooms.LEADERBOARD)
    record(BadgeAwarded(award))
    return award


@use_case
def create_badge(actor, slug: str, name: str, description: str = "", icon: str = "★",
                 tier: str = "bronze", repeatable: bool = False) -> Badge:
    """Admins: define a custom badge that staff award by hand."""
    permissions.require(actor, "manage_advocacy")
    slug, name = slug.strip().lower(), name.strip()
    errors = {}
    if not (2 <= len(slug) <= 40 and slug.replace("-", "").isalnum() and slug.isascii()):
        errors["slug"] = "2–40 lowercase letters, digits or '-'."
    if not 1 <= len(name) <= 60:
        errors["name"] = "1–60 characters."
    if tier not in BADGE_TIERS:
        errors["tier"] = f"One of {', '.join(BADGE_TIERS)}."
    if not 1 <= len(icon) <= 16:
        errors["icon"] = "1–16 characters (an emoji works well)."
    if errors:
        raise ValidationError("Please correct the badge.", errors)
    if slug in BUILTIN_BADGES or db.session.scalar(select(Badge.id).where(Badge.slug == slug)):
        raise Conflict("A badge with this slug exists.", {"slug": "Already in use."})
    badge = Badge(slug=slug, name=name, description=description.strip(), icon=icon, tier=tier,
                  repeatable=repeatable, builtin=False)
    db.session.add(badge)
    db.session.flush()
    return badge


@use_case
def grant_badge(actor, badge: Badge, user: User, reason: str) -> BadgeAward:
    """Staff: award a badge by hand, with the reason the member will see."""
    permissions.require(actor, "grant_badges")
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise ValidationError("Say why.", {"reason": "1–500 characters."})
    occasion = utcnow().isoformat() if badge.repeatable else ""
    existing = db.session.scalar(select(BadgeAward).where(
        BadgeAward.badge_id == badge.id, BadgeAward.user_id == user.id,
        BadgeAward.occasion == occasion))
    if existing is not None:
        if existing.revoked_at is None:
            raise Conflict(f"{user.username} already has this badge.")
        existing.revoked_at, existing.reason, existing.awarded_by_id = None, reason, actor.id
        return existing
    return _award(badge, user, reason, occasion=occasion, awarded_by=actor)


@use_case
def revoke_badge(actor, award: BadgeAward) -> BadgeAward:
    """Admins: take a badge back (the award stays on record, marked revoked)."""
    permissions.require(actor, "manage_advocacy")
    if award.revoked_at is not None:
        raise Conflict("This badge was already revoked.")
    award.revoked_at = utcnow()
    return award


def get_badge(slug: str) -> Badge:
    badge = db.session.scalar(select(Badge).where(Badge.slug == slug))
    if badge is None and slug in BUILTIN_BADGES:
        badge = builtin_badge(slug)
    if badge is None:
        raise NotFound("No such badge.")
    return badge


# --- month end and recompute -------------------------------------------------------------

@use_case
def award_month_top10(month: date) -> list[BadgeAward]:
    """The month's ten best advocates get "Top 10 advocate" (once); award_month_end checks
    that the month is over."""
    start = month.replace(day=1)
    top = db.session.scalars(
        select(PointTotal.user_id).where(PointTotal.period == "month",
                                         PointTotal.period_start == start,
                                         PointTotal.forum_id == 0, PointTotal.points > 0)
        .order_by(PointTotal.points.desc(), PointTotal.user_id.desc()).limit(10)).all()
    awards = []
    for user_id in top:
        award = _award(builtin_badge("top10-month"), db.session.get(User, user_id),
                       f"Top 10 advocate of {start:%B %Y}.", occasion=start.strftime("%Y-%m"))
        if award is not None:
            awards.append(award)
    return awards


def last_ended_month(now: datetime | None = None) -> date:
    """The first day of the last month that has ended (UTC)."""
    return ((now or utcnow()).date().replace(day=1) - timedelta(days=1)).replace(day=1)


@use_case
def award_month_end(month: date | None = None, now: datetime | None = None) -> list[BadgeAward]:
    """System (the month-end job, `community advocacy month-end`): award "Top 10 advocate"
    for `month` (default: the last month that has ended); a month not over is refused."""
    month = (month or last_ended_month(now)).replace(day=1)
    if month > last_ended_month(now):
        message = f"{month:%B %Y} has not ended yet: its top 10 is not final."
        raise ValidationError(message, {"month": message})
    return award_month_top10(month)


@use_case
def recompute_totals() -> dict[str, int]:
    """Rebuild every period total and member total from the ledger; report what differed."""
    before = {(t.user_id, t.period, t.period_start, t.forum_id): t.points
              for t in db.session.scalars(select(PointTotal))}
    points_before = dict(db.session.execute(select(User.id, User.points)).all())
    rebuilt: dict[tuple, int] = {}
    users: dict[int, int] = {}
    for user_id, forum_id, points, created_at in db.session.execute(
            select(PointEntry.user_id, PointEntry.forum_id, PointEntry.points,
                   PointEntry.created_at)):
        users[user_id] = users.get(user_id, 0) + points
        for period, start in period_starts(created_at.date()).items():
            for forum in ({0, forum_id} if forum_id else {0}):
                key = (user_id, period, start, forum)
                rebuilt[key] = rebuilt.get(key, 0) + points
    differences = sum(1 for k in set(before) | set(rebuilt) if before.get(k, 0) != rebuilt.get(k, 0))
    differences += sum(1 for uid, pts in points_before.items() if users.get(uid, 0) != pts)
    db.session.execute(PointTotal.__table__.delete())
    if rebuilt:
        db.session.execute(PointTotal.__table__.insert(), [
            {"user_id": u, "period": p, "period_start": s, "forum_id": f, "points": pts}
            for (u, p, s, f), pts in rebuilt.items()])
    for user in db.session.scalars(select(User)):
        user.points = users.get(user.id, 0)
    return {"totals": len(rebuilt), "differences": differences}
