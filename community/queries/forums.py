"""Reading forums, threads and posts as a given viewer sees them.

Listings are a fixed number of queries whatever the table sizes: counters are stored on
forums and threads, authors and tags are loaded in one go per page.
"""

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from .. import visibility
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import (Forum, IdeaStatus, Post, PostRevision, PostState, ReviewItem, Role, Tag,
                      Thread, ThreadFollow, ThreadState, ThreadTag, User)
from .paging import Page, paginate

SORTS = {
    # Pinned threads first in every order; ties broken by id so pages are stable.
    "latest": (Thread.last_activity_at.desc(), Thread.id.desc()),
    "top": (Thread.score.desc(), Thread.last_activity_at.desc(), Thread.id.desc()),
    "trending": (Thread.hot.desc(), Thread.id.desc()),
}
POSTS_PER_PAGE = 20
THREADS_PER_PAGE = 25


@dataclass
class ForumSummary:
    forum: Forum
    latest: Thread | None


def visible_forums(viewer) -> list[Forum]:
    """Forums the viewer may see, by position."""
    return list(db.session.scalars(
        select(Forum).where(Forum.id.in_(visibility.readable_forums(viewer)))
        .order_by(Forum.position, Forum.id)))


def forum_index(viewer) -> list[ForumSummary]:
    """Forums the viewer may see, by position, each with its most recently active thread."""
    forums = visible_forums(viewer)
    # One statement; for each forum, one step down ix_thread_forum_activity.
    newest = (select(Thread.id).where(Thread.forum_id == Forum.id,
                                      Thread.state == ThreadState.PUBLISHED)
              .order_by(Thread.last_activity_at.desc(), Thread.id.desc()).limit(1)
              .correlate(Forum).scalar_subquery())
    latest = db.session.scalars(
        select(Thread).where(Thread.id.in_(
            select(newest).where(Forum.id.in_([f.id for f in forums]))))
        .options(joinedload(Thread.author))
    ).all()
    by_forum = {t.forum_id: t for t in latest}
    return [ForumSummary(f, by_forum.get(f.id)) for f in forums]


def ideas_forums(viewer) -> list[Forum]:
    return list(db.session.scalars(select(Forum).where(
        Forum.id.in_(visibility.readable_forums(viewer)), Forum.kind == "ideas")
        .order_by(Forum.position)))


def get_forum(viewer, slug: str) -> Forum:
    """The forum, or NotFound when it does not exist or the viewer may not see it."""
    forum = db.session.scalar(select(Forum).where(Forum.slug == slug))
    if not visibility.may_read(viewer, forum):
        raise NotFound("No such forum.")
    return forum


def _held_threads_shown(viewer, forum: Forum) -> int:
    """How many held threads of the forum the viewer sees besides the published ones
    (visibility.listed_threads: moderators all, members their own)."""
    if not viewer.is_authenticated:
        return 0
    stmt = select(func.count()).select_from(Thread).where(Thread.forum_id == forum.id,
                                                          Thread.state == ThreadState.PENDING)
    if viewer.has_role(Role.MODERATOR):
        # Found through the (short) open queue rather than a scan of the forum's threads.
        stmt = stmt.where(Thread.id.in_(
            select(Post.thread_id).join(ReviewItem, ReviewItem.post_id == Post.id)
            .where(ReviewItem.status == "open", ReviewItem.kind == "pending", Post.number == 1)))
    else:
        stmt = stmt.where(Thread.author_id == viewer.id)
    return db.session.scalar(stmt) or 0


def _thread_listing(sort: str) -> Select:
    if sort not in SORTS:
        raise ValidationError("Unknown sort.", {"sort": f"One of {', '.join(SORTS)}."})
    return (select(Thread).options(joinedload(Thread.author), selectinload(Thread.tags))
            .order_by(Thread.pinned.desc(), *SORTS[sort]))


def forum_threads(viewer, forum: Forum, *, sort: str = "latest", tag: str | None = None,
                  status: str | None = None, solved: bool | None = None,
                  page: int = 1, per_page: int = THREADS_PER_PAGE) -> Page[Thread]:
    """A page of the forum's threads, pinned first, then in the chosen order.

    Filters: a tag, an idea status, solved or unsolved (support questions).
    """
    stmt = _thread_listing(sort).where(Thread.forum_id == forum.id,
                                       visibility.listed_threads(viewer))
    # The forum counts its published threads; a member also sees their own held ones.
    total = forum.thread_count + _held_threads_shown(viewer, forum)
    if tag:
        stmt = stmt.where(Thread.id.in_(
            select(ThreadTag.thread_id).join(Tag).where(Tag.slug == tag)))
        total = None
    if status:
        if status not in set(IdeaStatus):
            raise ValidationError("Unknown status.", {"status": f"One of {', '.join(IdeaStatus)}."})
        stmt, total = stmt.where(Thread.status == status), None
    if solved is not None:
        stmt, total = stmt.where(Thread.solved.is_(solved)), None
    page_ = paginate(stmt, page, per_page, total)
    for thread in page_.items:
        set_committed_value(thread, "forum", forum)
    return page_


def tag_threads(viewer, tag: Tag, *, sort: str = "latest", page: int = 1,
                per_page: int = THREADS_PER_PAGE) -> Page[Thread]:
    """A page of threads with this tag, in forums the viewer may see."""
    stmt = (_thread_listing(sort).options(joinedload(Thread.forum))
            .where(Thread.forum_id.in_(visibility.readable_forums(viewer)),
                   visibility.listed_threads(viewer),
                   Thread.id.in_(select(ThreadTag.thread_id).where(ThreadTag.tag_id == tag.id))))
    return paginate(stmt, page, per_page)


def all_tags() -> list[Tag]:
    return list(db.session.scalars(select(Tag).order_by(Tag.name)))


def get_tag(slug: str) -> Tag:
    tag = db.session.scalar(select(Tag).where(Tag.slug == slug))
    if tag is None:
        raise NotFound("No such tag.")
    return tag


def get_thread(viewer, thread_id: int) -> Thread:
    """The thread, or NotFound when it does not exist or sits in a forum the viewer can't see."""
    thread = db.session.get(Thread, thread_id, options=[joinedload(Thread.forum)])
    if not visibility.may_open(viewer, thread):
        raise NotFound("No such thread.")
    return thread


def get_post(viewer, post_id: int) -> Post:
    """The post, or NotFound when the viewer may not see its thread (or it is someone's pending post)."""
    post = db.session.get(Post, post_id)
    if not visibility.may_open_post(viewer, post):
        raise NotFound("No such post.")
    return post


def _listed_posts(viewer, thread: Thread) -> Select:
    # Removed and hidden posts stay listed, as placeholders, so the thread keeps its shape.
    return select(Post).where(Post.thread_id == thread.id, visibility.listed_posts(viewer))


def thread_posts(viewer, thread: Thread, page: int = 1,
                 per_page: int = POSTS_PER_PAGE) -> Page[Post]:
    """A page of the thread's posts in order.

    Pages are ranges of post numbers (page 2 holds numbers 21–40), so a page of a long
    thread is an index range read, never a count or an OFFSET. Removed posts keep their
    number and their place; someone else's post awaiting review leaves its page one short.
    """
    total = thread.last_post_number
    result = Page([], page, per_page, total)
    if page > result.pages:
        raise NotFound("There is no such page.")
    first = (page - 1) * per_page
    result.items = list(db.session.scalars(
        _listed_posts(viewer, thread).where(Post.number > first, Post.number <= first + per_page)
        .options(joinedload(Post.author)).order_by(Post.number)))
    for post in result.items:
        set_committed_value(post, "thread", thread)
    return result


def posts_after(viewer, thread: Thread, number: int, limit: int = 50) -> list[Post]:
    """The thread's posts numbered after `number`, oldest first."""
    posts = list(db.session.scalars(
        _listed_posts(viewer, thread).where(Post.number > number)
        .options(joinedload(Post.author)).order_by(Post.number).limit(limit)))
    for post in posts:
        set_committed_value(post, "thread", thread)
    return posts


def page_of_post(viewer, post: Post, per_page: int = POSTS_PER_PAGE) -> int:
    """Which page of its thread the post is on (see thread_posts)."""
    return (post.number - 1) // per_page + 1


def follow_level(viewer, thread: Thread) -> str | None:
    """How the viewer follows the thread (watching, tracking, muted), or None."""
    if not viewer.is_authenticated:
        return None
    follow = db.session.get(ThreadFollow, (viewer.id, thread.id))
    return follow.level if follow else None


def last_page(viewer, thread: Thread, per_page: int = POSTS_PER_PAGE) -> int:
    """The number of the thread's last page."""
    return max(1, -(-thread.last_post_number // per_page))


def revisions(post: Post) -> list[PostRevision]:
    """The post's earlier bodies, newest first."""
    return list(db.session.scalars(
        select(PostRevision).where(PostRevision.post_id == post.id)
        .options(joinedload(PostRevision.editor)).order_by(PostRevision.id.desc())))


def user_activity(viewer, user: User, limit: int = 20) -> list[Post]:
    """The member's latest published posts in forums the viewer may see."""
    return list(db.session.scalars(
        select(Post).join(Thread).where(
            Post.author_id == user.id, Post.state == PostState.PUBLISHED,
            visibility.published_threads(viewer))
        .options(joinedload(Post.thread).joinedload(Thread.forum))
        .order_by(Post.created_at.desc(), Post.id.desc()).limit(limit)))
