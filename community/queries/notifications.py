"""Reading notifications, follows, the digest's selection and a member's personal home."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from .. import visibility
from ..extensions import db
from ..models import (Forum, ForumFollow, ForumKind, Notification, NotificationPreference, Post,
                      PostState, StatusChange, Thread, ThreadFollow, ThreadVote, User,
                      utcnow)
from .paging import Page, paginate

PER_PAGE = 30
PANEL_SIZE = 8
HOME_SIZE = 8
ACTIVE_WINDOW = timedelta(days=90)  # "forums they are active in": posted there lately
MOVED_WINDOW = timedelta(days=30)   # "ideas they voted for that moved": lately
DIGEST_THREADS = 5
DIGEST_STATUSES = 10


# --- notifications ---------------------------------------------------------------------------

# What a notification says once the member can no longer read the thread it is about (a
# move to a private forum, a hidden thread): its message quotes the thread's title.
UNREADABLE = {
    "badge": "You earned a badge.",
    "moderation": "A moderator acted on your content in a thread you can no longer see.",
}
UNREADABLE_DEFAULT = "Activity in a thread you can no longer see."


def _as_readable(user, items: list[Notification]) -> list[Notification]:
    """The notifications, each message about a thread `user` may no longer read neutralised.

    Checked when read, not only when sent: the stored message is left as it is (the member
    may get the thread back), only the loaded copy says less.
    """
    ids = {n.thread_id for n in items if n.thread_id is not None}
    threads = {t.id: t for t in db.session.scalars(
        select(Thread).where(Thread.id.in_(ids)).options(joinedload(Thread.forum)))} if ids else {}
    for n in items:
        if n.thread_id is not None and not visibility.may_read(user, threads.get(n.thread_id)):
            set_committed_value(n, "message", UNREADABLE.get(n.kind, UNREADABLE_DEFAULT))
    return items


def unread_count(user) -> int:
    """How many of the member's notifications are unread (a consolidated one counts once)."""
    if not user.is_authenticated:
        return 0
    return db.session.scalar(select(func.count()).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def notifications(user, *, unread_only: bool = False, page: int = 1,
                  per_page: int = PER_PAGE) -> Page[Notification]:
    """A page of the member's notifications, latest activity first (ties: newest row first)."""
    stmt = (select(Notification).where(Notification.user_id == user.id)
            .options(joinedload(Notification.actor))
            .order_by(Notification.created_at.desc(), Notification.id.desc()))
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    found = paginate(stmt, page, per_page)
    _as_readable(user, found.items)
    return found


def latest(user, limit: int = PANEL_SIZE) -> list[Notification]:
    """The member's latest notifications, unread first, for the bell's panel."""
    return _as_readable(user, list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .options(joinedload(Notification.actor))
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(),
                  Notification.id.desc()).limit(limit))))


# --- follows ---------------------------------------------------------------------------------

@dataclass
class ForumChoice:
    forum: Forum
    level: str | None


def forum_follows(user) -> list[ForumChoice]:
    """Every forum the member may see, by position, with how they follow it (or None)."""
    levels = dict(db.session.execute(select(ForumFollow.forum_id, ForumFollow.level)
                                     .where(ForumFollow.user_id == user.id)).all())
    forums = db.session.scalars(select(Forum).where(Forum.id.in_(visibility.readable_forums(user)))
                                .order_by(Forum.position, Forum.id))
    return [ForumChoice(f, levels.get(f.id)) for f in forums]


def forum_follow_level(user, forum: Forum) -> str | None:
    if not user.is_authenticated:
        return None
    follow = db.session.get(ForumFollow, (user.id, forum.id))
    return follow.level if follow else None


def _muted_threads(user) -> Select:
    return select(ThreadFollow.thread_id).where(ThreadFollow.user_id == user.id,
                                                ThreadFollow.level == "muted")


def _muted_forums(user) -> Select:
    return select(ForumFollow.forum_id).where(ForumFollow.user_id == user.id,
                                              ForumFollow.level == "muted")


# --- the digest --------------------------------------------------------------------------------

@dataclass
class PopularThread:
    thread: Thread
    new_posts: int


@dataclass
class IdeaMove:
    thread: Thread
    change: StatusChange


@dataclass
class Digest:
    since: datetime
    until: datetime
    popular: list[PopularThread]
    status_changes: list[IdeaMove]

    @property
    def is_empty(self) -> bool:
        return not self.popular and not self.status_changes


def digest_for(user: User, since: datetime, until: datetime) -> Digest:
    """What a member's digest of [since, until) says.

    Popular threads: the most published posts in the period, in forums the member may see
    and has not muted (nor the thread); ties by score, then newest thread. Status changes:
    of ideas the member voted for or follows (not muted), the latest per idea, newest first;
    left out when the member turned off email for idea statuses.
    """
    activity = (select(Post.thread_id, func.count().label("new_posts"))
                .where(Post.created_at >= since, Post.created_at < until,
                       Post.state == PostState.PUBLISHED)
                .group_by(Post.thread_id).subquery())
    rows = db.session.execute(
        select(Thread, activity.c.new_posts).join(activity, activity.c.thread_id == Thread.id)
        .where(visibility.published_threads(user), Thread.merged_into_id.is_(None),
               Thread.id.not_in(_muted_threads(user)), Thread.forum_id.not_in(_muted_forums(user)))
        .options(joinedload(Thread.forum))
        .order_by(activity.c.new_posts.desc(), Thread.score.desc(), Thread.id.desc())
        .limit(DIGEST_THREADS)).all()
    popular = [PopularThread(thread, count) for thread, count in rows]

    moves: list[IdeaMove] = []
    pref = db.session.get(NotificationPreference, (user.id, "idea_status"))
    if pref is None or pref.email:
        followed = select(ThreadFollow.thread_id).where(ThreadFollow.user_id == user.id,
                                                        ThreadFollow.level != "muted")
        voted = select(ThreadVote.thread_id).where(ThreadVote.user_id == user.id)
        moves = _latest_moves(
            or_(StatusChange.thread_id.in_(followed), StatusChange.thread_id.in_(voted)),
            StatusChange.created_at >= since, StatusChange.created_at < until,
            visibility.readable_threads(user), limit=DIGEST_STATUSES)
    return Digest(since, until, popular, moves)


# --- the personal home ---------------------------------------------------------------------------

@dataclass
class Home:
    following: list[Thread]
    could_help: list[Thread]
    ideas_moved: list[IdeaMove]


def personal_home(user, now: datetime | None = None) -> Home:
    """A signed-in member's home: what they follow, questions they could answer, ideas that moved.

    - following: threads they follow, or in forums they follow, not muted, latest activity first;
    - could_help: unanswered, unsolved questions by others in support forums where they
      posted in the last 90 days, newest first;
    - ideas_moved: ideas they voted for whose status changed in the last 30 days, latest first.
    """
    now = now or utcnow()
    visible = visibility.published_threads(user)
    followed_threads = select(ThreadFollow.thread_id).where(
        ThreadFollow.user_id == user.id, ThreadFollow.level.in_(("watching", "tracking")))
    followed_forums = select(ForumFollow.forum_id).where(
        ForumFollow.user_id == user.id, ForumFollow.level.in_(("watching", "tracking")))
    following = list(db.session.scalars(
        select(Thread).where(
            or_(Thread.id.in_(followed_threads), Thread.forum_id.in_(followed_forums)),
            Thread.id.not_in(_muted_threads(user)), visible, Thread.merged_into_id.is_(None))
        .options(joinedload(Thread.forum), joinedload(Thread.author))
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc()).limit(HOME_SIZE)))

    active_forums = (select(Thread.forum_id).join(Post, Post.thread_id == Thread.id)
                     .where(Post.author_id == user.id, Post.created_at >= now - ACTIVE_WINDOW)
                     .distinct())
    could_help = list(db.session.scalars(
        select(Thread).join(Forum, Forum.id == Thread.forum_id).where(
            Forum.kind == ForumKind.SUPPORT, Thread.forum_id.in_(active_forums),
            visible, Thread.author_id != user.id,
            Thread.reply_count == 0, Thread.solved.is_(False), Thread.locked.is_(False),
            Thread.id.not_in(_muted_threads(user)))
        .options(joinedload(Thread.forum), joinedload(Thread.author))
        .order_by(Thread.created_at.desc(), Thread.id.desc()).limit(HOME_SIZE)))

    voted = select(ThreadVote.thread_id).where(ThreadVote.user_id == user.id)
    moves = _latest_moves(
        StatusChange.thread_id.in_(voted),
        StatusChange.created_at >= now - MOVED_WINDOW, visibility.readable_threads(user),
        limit=HOME_SIZE)
    return Home(following, could_help, moves)


def _latest_moves(*conditions, limit: int) -> list[IdeaMove]:
    """The latest status change of each idea matching `conditions`, newest first."""
    latest = (select(StatusChange.thread_id, func.max(StatusChange.id).label("id"))
              .join(Thread, Thread.id == StatusChange.thread_id).where(*conditions)
              .group_by(StatusChange.thread_id).subquery())
    rows = db.session.execute(
        select(StatusChange, Thread).join(latest, latest.c.id == StatusChange.id)
        .join(Thread, Thread.id == StatusChange.thread_id)
        .options(joinedload(StatusChange.actor))
        .order_by(StatusChange.created_at.desc(), StatusChange.id.desc()).limit(limit)).all()
    return [IdeaMove(thread, change) for change, thread in rows]
