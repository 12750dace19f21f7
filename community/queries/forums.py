"""Reading forums, threads and posts as a given viewer sees them.

Listings are a fixed number of queries whatever the table sizes: counters are stored on
forums and threads, authors and tags are loaded in one go per page.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from functools import cache
from datetime import datetime

from sqlalchemy import ColumnElement, Select, bindparam, case, func, literal, select, tuple_
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
# The same orders as sort keys, for keyset pages: each listing is ordered by
# (pinned, *key) descending, and a cursor holds those values of a page's first or last row.
KEYS = {
    "latest": (Thread.last_activity_at, Thread.id),
    "top": (Thread.score, Thread.last_activity_at, Thread.id),
    "trending": (Thread.hot, Thread.id),
}
_KEY_TYPES = {"pinned": bool, "last_activity_at": datetime, "score": int, "hot": float,
              "id": int}
POSTS_PER_PAGE = 20
THREADS_PER_PAGE = 25
# Forum pages reached by number (?page=N, OFFSET) up to this one; deeper ones by cursor.
NUMBERED_PAGES = 10


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


@dataclass
class ThreadPage(Page[Thread]):
    """A page of a forum's threads with keyset cursors: `newer` reaches the page before
    (`?before=`), `older` the page after (`?after=`). `page` is 0 on a page reached by
    cursor, whose number is not known."""

    newer: str | None = None
    older: str | None = None
    keyset: bool = True

    @property
    def has_prev(self) -> bool:
        return self.newer is not None

    @property
    def has_next(self) -> bool:
        return self.older is not None


def _sort_key(sort: str) -> tuple:
    if sort not in SORTS:
        raise ValidationError("Unknown sort.", {"sort": f"One of {', '.join(SORTS)}."})
    return (Thread.pinned, *KEYS[sort])


def _encode_cursor(sort: str, values) -> str:
    raw = json.dumps([sort, *(v.isoformat() if isinstance(v, datetime) else v for v in values)],
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor(sort: str, thread: Thread) -> str:
    return _encode_cursor(sort, [getattr(thread, c.key) for c in _sort_key(sort)])


def _past(sort: str, values: list, older: bool) -> ColumnElement[bool]:
    """Rows after (`older`) or before the row whose sort key is `values`, with the same
    `pinned`: an equality on it, then a row comparison of the rest, is what PostgreSQL
    turns into an index range (a comparison of the whole row, pinned first, it does not)."""
    keys = _sort_key(sort)
    rest = tuple_(*keys[1:])
    bound = tuple_(*(literal(v, c.type) for c, v in zip(keys[1:], values[1:], strict=True)))
    return (Thread.pinned == bool(values[0])) & (rest < bound if older else rest > bound)


def _keyset(stmt: Select, sort: str, values: list, older: bool, limit: int) -> list[Thread]:
    """Up to `limit` threads past the cursor, in the listing's order (`older`) or reversed.

    Pinned threads come first, so past the last pinned one (older) the unpinned ones
    follow from their top, and before the first unpinned one the pinned ones end."""
    keys = _sort_key(sort)
    if not older:
        stmt = stmt.order_by(None).order_by(*(c.asc() for c in keys))
    rows = list(db.session.scalars(stmt.where(_past(sort, values, older)).limit(limit)))
    if len(rows) < limit and values[0] is older:  # crossing from pinned to unpinned or back
        rows += db.session.scalars(stmt.where(Thread.pinned == (not older))
                                   .limit(limit - len(rows)))
    return rows


def _decode_cursor(sort: str, cursor: str, field: str) -> list:
    """The sort-key values in `cursor`; a cursor of another sort or a bad one is a 400."""
    columns = _sort_key(sort)
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or raw[0] != sort or len(raw) != len(columns) + 1:
            raise ValueError(cursor)
        values = []
        for column, value in zip(columns, raw[1:], strict=True):
            kind = _KEY_TYPES[column.key]
            if kind is datetime:
                value = datetime.fromisoformat(value)
            elif kind is float and isinstance(value, int | float) and not isinstance(value, bool):
                value = float(value)
            elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ValueError(cursor)
            values.append(value)
    except (ValueError, TypeError, IndexError, binascii.Error, UnicodeDecodeError):
        raise ValidationError("Invalid page link.", {field: "Not a link from this forum's pages."})
    return values


def _thread_listing(sort: str) -> Select:
    if sort not in SORTS:
        raise ValidationError("Unknown sort.", {"sort": f"One of {', '.join(SORTS)}."})
    return (select(Thread).options(joinedload(Thread.author), selectinload(Thread.tags))
            .order_by(Thread.pinned.desc(), *SORTS[sort]))


def _forum_listing(viewer, forum: Forum, sort: str, tag: str | None, status: str | None,
                   solved: bool | None) -> tuple[list, int | None]:
    """The conditions of the forum's listing with its filters, and its size when the
    counters tell it."""
    where = [Thread.forum_id == forum.id, visibility.listed_threads(viewer)]
    # The forum counts its published threads; a member also sees their own held ones.
    total = forum.thread_count + _held_threads_shown(viewer, forum)
    if tag:
        where.append(Thread.id.in_(select(ThreadTag.thread_id).join(Tag).where(Tag.slug == tag)))
        total = None
    if status:
        if status not in set(IdeaStatus):
            raise ValidationError("Unknown status.", {"status": f"One of {', '.join(IdeaStatus)}."})
        where.append(Thread.status == status)
        total = None
    if solved is not None:
        where.append(Thread.solved.is_(solved))
        total = None
    return where, total


def forum_threads(viewer, forum: Forum, *, sort: str = "latest", tag: str | None = None,
                  status: str | None = None, solved: bool | None = None,
                  page: int = 1, per_page: int = THREADS_PER_PAGE,
                  after: str | None = None, before: str | None = None) -> ThreadPage:
    """A page of the forum's threads, pinned first, then in the chosen order.

    Filters: a tag, an idea status, solved or unsolved (support questions). A page is
    reached by number (OFFSET; only the ids are read past the offset) or by a cursor from
    another page: `after` (the threads that follow that page's last one) or `before` (the
    ones that precede its first). A cursor page reads one index range however deep it is,
    and stays put when new threads arrive. Each page carries both cursors.
    """
    where, total = _forum_listing(viewer, forum, sort, tag, status, solved)
    stmt = _thread_listing(sort).where(*where)
    if total is None:  # a filtered listing: no counter tells its size
        total = db.session.scalar(select(func.count()).select_from(Thread).where(*where))
    if after and before:
        raise ValidationError("Give after or before, not both.", {"before": "Not with after."})
    if after or before:
        values = _decode_cursor(sort, after or before, "after" if after else "before")
        rows = _keyset(stmt, sort, values, bool(after), per_page + 1)
        if after:
            items, more_before, more_after = rows[:per_page], True, len(rows) > per_page
        else:
            items, more_before, more_after = rows[:per_page][::-1], len(rows) > per_page, True
        page = 0
    else:
        if page == 1:
            rows = list(db.session.scalars(stmt.limit(per_page + 1)))
        else:
            # A deferred join: the OFFSET walks the sort index for ids alone, then one
            # page of threads is loaded with their authors and tags.
            ids = list(db.session.scalars(
                select(Thread.id).where(*where).order_by(Thread.pinned.desc(), *SORTS[sort])
                .limit(per_page + 1).offset((page - 1) * per_page)))
            found = {t.id: t for t in db.session.scalars(
                _thread_listing(sort).where(Thread.id.in_(ids)))}
            rows = [found[i] for i in ids if i in found]
            if not rows:
                raise NotFound("There is no such page.")
        items, more_before, more_after = rows[:per_page], page > 1, len(rows) > per_page
    result = ThreadPage(items, page, per_page, total)
    if items:
        result.newer = _cursor(sort, items[0]) if more_before else None
        result.older = _cursor(sort, items[-1]) if more_after else None
    for thread in items:
        set_committed_value(thread, "forum", forum)
    return result


def page_cursor(viewer, forum: Forum, *, sort: str = "latest", tag: str | None = None,
                status: str | None = None, solved: bool | None = None, page: int,
                per_page: int = THREADS_PER_PAGE) -> str:
    """The `after` cursor that reaches numbered page `page` (> 1): an old ?page=N link.

    Reads the sort index up to the row before the page; NotFound past the last page.
    """
    where, _ = _forum_listing(viewer, forum, sort, tag, status, solved)
    rows = db.session.execute(  # the row before the page, and the page's first one
        select(*_sort_key(sort)).where(*where).order_by(Thread.pinned.desc(), *SORTS[sort])
        .limit(2).offset((page - 1) * per_page - 1)).all()
    if len(rows) < 2:
        raise NotFound("There is no such page.")
    return _encode_cursor(sort, rows[0])


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


@cache
def _version_statements():
    """The two statements of thread_page_version, built once (building them took a third of a
    cached page's time)."""
    state_code = case((Post.state == "published", 1), (Post.state == "pending", 2),
                      (Post.state == "hidden", 3), else_=4)
    thread_id = bindparam("thread_id")
    posts = (select(func.count(), func.max(Post.id), func.sum(Post.id * state_code),
                    func.sum(Post.score), func.sum(Post.score * Post.id),
                    func.sum(Post.revision), func.max(Post.edited_at),
                    func.sum(case((Post.is_solution, Post.id), else_=0)),
                    func.sum(case((Post.official, Post.id), else_=0)))
             .where(Post.thread_id == thread_id,  # the page's range on uq_post_thread_id
                    Post.number > bindparam("after"), Post.number <= bindparam("upto")))
    solution = (select(Post.id, Post.state, Post.revision, Post.edited_at)
                .where(Post.thread_id == thread_id, Post.is_solution))
    return posts, solution


def thread_page_version(thread, page: int) -> tuple:
    """What the anonymous thread page shows from the database, in two cheap reads: the
    thread's row and its forum, an aggregate of the page's posts (ids, states, scores,
    revisions, edits, flags) over the page's range of numbers, and the accepted answer the
    solution banner quotes (community/page_cache.py says what is left to its TTL)."""
    posts_stmt, solution_stmt = _version_statements()
    posts = db.session.execute(posts_stmt, {"thread_id": thread.id,
                                            "after": (page - 1) * POSTS_PER_PAGE,
                                            "upto": page * POSTS_PER_PAGE}).one()
    solution = (db.session.execute(solution_stmt, {"thread_id": thread.id}).all()
                if thread.solved else ())
    forum = thread.forum
    return (thread.id, thread.title, thread.state, thread.pinned, thread.locked, thread.solved,
            thread.status, thread.score, thread.reply_count, thread.last_post_number,
            thread.merged_into_id, thread.last_activity_at, forum.id, forum.slug, forum.name,
            forum.kind, forum.private, page, tuple(posts), tuple(map(tuple, solution)))


# --- versions for community/page_cache.py: what a cached page shows of its rows ---------------

def listing_version(threads: ThreadPage, forum: Forum, tags: list[Tag]) -> tuple:
    """What a forum page shows from the database: the forum, the tag filter, the page's
    place, and every value a listing row (_partials/thread_row.html) shows of each thread."""
    rows = tuple((t.id, t.title, t.state, t.score, t.status, t.solved, t.pinned, t.locked,
                  t.reply_count, t.last_activity_at, t.forum_id, t.author.username,
                  t.author.name, tuple((tag.slug, tag.name) for tag in t.tags))
                 for t in threads.items)
    return ((forum.id, forum.slug, forum.name, forum.description, forum.kind, forum.private),
            tuple((tag.slug, tag.name) for tag in tags),
            (threads.page, threads.total, threads.newer, threads.older), rows)


def index_version(entries: list[ForumSummary]) -> tuple:
    """What the forum index shows from the database: each forum's card and latest thread."""
    return tuple((f.id, f.slug, f.name, f.description, f.kind, f.private, f.thread_count,
                  f.post_count, latest and (latest.id, latest.title, latest.last_activity_at))
                 for f, latest in ((e.forum, e.latest) for e in entries))
