"""The life of a post and its thread, and every counter that life moves.

A post is written published or held for review; a held post is approved, rejected or
hidden; a published one is deleted, hidden and restored; a thread moves to another forum,
is split or merged, or goes out of sight when nothing in it is left to read. Each of those
transitions is one function here, and it is the only code that changes the counters it
affects, so a recount (tests/recount.py) always agrees:

- `Forum.thread_count`: its published threads; `Forum.post_count`: their published posts;
- `Thread.reply_count`: its published replies (not the opening post); `last_post_number`
  numbers the next post; `hot` (services.ranking) follows the replies.

Each function also records the domain event that follows (community.events lists its
reactions) and tells the live rooms. Callers (services.forums, services.moderation,
services.data_rights) check who may do it and what was asked, inside their use case.
"""

from datetime import datetime

from sqlalchemy import func, select, update

from .. import serializers
from ..domain_events import (AccessNarrowed, PostPublished, PostRemoved, PostRestored,
                             ThreadStarted, record)
from ..extensions import db
from ..models import (Forum, ForumKind, IdeaStatus, Post, PostState, Thread, ThreadState, User,
                      utcnow)
from ..realtime import publisher, rooms
from . import ranking, support
from .rows import add_to

PUBLISHED = ThreadState.PUBLISHED


# --- locks --------------------------------------------------------------------------------

def lock_post(post: Post) -> None:
    """Inside a use case: wait for other writers of this post, then reload it."""
    # FOR UPDATE serialises them on PostgreSQL (SQLite's writers queue anyway); the reload
    # matters because objects read earlier in the request may be stale.
    db.session.scalar(select(Post).where(Post.id == post.id).with_for_update()
                      .execution_options(populate_existing=True))


def lock_thread(thread: Thread) -> None:
    """Inside a use case: wait for other writers of this thread, then reload it."""
    db.session.scalar(select(Thread).where(Thread.id == thread.id).with_for_update()
                      .execution_options(populate_existing=True))


def _published_posts(thread: Thread) -> int:
    return db.session.scalar(select(func.count()).where(
        Post.thread_id == thread.id, Post.state == PostState.PUBLISHED)) or 0


# --- a post: written, approved, removed, restored -----------------------------------------

def number_post(thread: Thread) -> int:
    """The number the thread's next post takes (it takes the thread's row lock, so
    simultaneous replies get consecutive numbers)."""
    add_to(thread, last_post_number=1)
    return thread.last_post_number


def publish_post(post: Post, at: datetime | None = None) -> None:
    """Count a post that has just become visible to everyone (written, or approved by a
    moderator), then record it (community.events lists what follows) and tell the live rooms.

    An opening post publishes its thread with it.
    """
    thread, forum = post.thread, post.thread.forum
    at = at or utcnow()
    opening = post.number == 1
    if opening:
        thread.state = PUBLISHED
        add_to(forum, thread_count=1)
    else:
        add_to(thread, reply_count=1)
    add_to(forum, post_count=1)
    thread.last_activity_at = max(thread.last_activity_at, at)
    forum.last_activity_at = at
    ranking.refresh(thread)
    if opening:
        record(ThreadStarted(thread, post))
        publisher.publish("thread.created",
                          {"forum": forum.slug, "thread": serializers.thread(thread)},
                          rooms.forum(forum.slug))
        return
    record(PostPublished(post))
    publisher.publish("post.created", {"thread_id": thread.id, "post": serializers.post(post)},
                      rooms.thread(thread.id))
    publisher.publish("thread.updated", {"thread": serializers.thread(thread)},
                      rooms.thread(thread.id), rooms.forum(forum.slug))


def approve_post(post: Post) -> None:
    """Publish a held post a moderator approved. A reply comes after the replies published
    meanwhile: it takes the next number and the time of its approval, so the thread reads
    in order."""
    thread = post.thread
    post.state = PostState.PUBLISHED
    if post.number > 1 and post.number < thread.last_post_number:
        post.number = number_post(thread)
    post.created_at = utcnow()
    publish_post(post)


def remove_post(post: Post, state: str, actor: User | None, *, hide_thread: bool = False) -> None:
    """Take a post out of sight as `state` (deleted or hidden; actor None: the system),
    uncounting it if it was published, then tell the receivers and the thread's room.

    With `hide_thread` an opening post takes its thread out of sight too (a moderator's
    hide or rejection); an author deleting their opening post leaves the thread standing.
    """
    thread, forum = post.thread, post.thread.forum
    was_published = post.state == PostState.PUBLISHED
    post.state = state
    support.unmark_removed_solution(post)
    opening_hidden = hide_thread and post.number == 1
    if not was_published:  # never counted (held) or uncounted already
        if opening_hidden:
            thread.state = ThreadState.HIDDEN
        return
    if opening_hidden and thread.state == PUBLISHED:
        thread.state = ThreadState.HIDDEN
        add_to(forum, thread_count=-1, post_count=-(_published_posts(thread) + 1))
    elif thread.state == PUBLISHED:
        add_to(forum, post_count=-1)
    if post.number > 1:
        add_to(thread, reply_count=-1)
        ranking.refresh(thread)
    record(PostRemoved(post, actor))
    publisher.publish("post.removed", {"thread_id": thread.id, "post_id": post.id},
                      rooms.thread(thread.id))


def restore_post(post: Post, actor: User) -> None:
    """Count a hidden post a moderator made visible again (with its thread, for an opening
    post), then tell the receivers and the live rooms."""
    thread, forum = post.thread, post.thread.forum
    post.state = PostState.PUBLISHED
    reopened = post.number == 1 and thread.state == ThreadState.HIDDEN
    if reopened:
        thread.state = PUBLISHED
        add_to(forum, thread_count=1, post_count=_published_posts(thread))
    elif thread.state == PUBLISHED:
        add_to(forum, post_count=1)
    if post.number > 1:
        add_to(thread, reply_count=1)
        ranking.refresh(thread)
    record(PostRestored(post, actor))
    if thread.state != PUBLISHED:
        return
    publisher.publish("post.updated", {"thread_id": thread.id, "post": serializers.post(post)},
                      rooms.thread(thread.id))
    publisher.publish("thread.updated", {"thread": serializers.thread(thread)},
                      rooms.thread(thread.id), rooms.forum(forum.slug))


# --- a thread: moved, emptied, split, merged ------------------------------------------------

def move_thread(thread: Thread, new: Forum) -> None:
    """Put the thread in another forum; its published posts are counted there now."""
    old = thread.forum
    thread.forum = new
    # Whoever follows it live may not see where it goes (a private forum).
    record(AccessNarrowed(thread_id=thread.id))
    if thread.state != PUBLISHED:  # not counted anywhere until it is
        return
    published = _published_posts(thread)
    add_to(old, thread_count=-1, post_count=-published)
    add_to(new, thread_count=1, post_count=published)
    new.last_activity_at = max(filter(None, [new.last_activity_at, thread.last_activity_at]))


def hide_if_empty(thread: Thread) -> None:
    """A published thread left with no visible post goes out of sight (Discourse deletes a
    topic whose author withdrew it before anyone replied); one with replies by others stays."""
    if thread.state != PUBLISHED or _published_posts(thread):
        return
    thread.state = ThreadState.HIDDEN
    add_to(db.session.get(Forum, thread.forum_id), thread_count=-1)


def split_thread(thread: Thread, posts: list[Post], title: str, target: Forum) -> Thread:
    """Move `posts` (replies of a published thread, in order, the first published) into a
    new thread in `target`, which the first of them opens; they are renumbered there."""
    old_forum = thread.forum
    new = Thread(forum=target, author=posts[0].author, title=title, created_at=posts[0].created_at,
                 last_activity_at=max(p.created_at for p in posts), pinned=False, locked=False,
                 reply_count=0, score=0, last_post_number=len(posts), solved=False,
                 state=PUBLISHED,
                 status=IdeaStatus.OPEN if target.kind == ForumKind.IDEAS else None)
    db.session.add(new)
    db.session.flush()
    moved = sum(1 for p in posts if p.state == PostState.PUBLISHED)
    for number, post in enumerate(posts, 1):
        support.unmark_removed_solution(post)
        post.thread, post.number = new, number
    add_to(new, reply_count=moved - 1)  # the first of them opens it
    add_to(thread, reply_count=-moved)
    add_to(target, thread_count=1)
    if target.id != old_forum.id:
        add_to(old_forum, post_count=-moved)
        add_to(target, post_count=moved)
    target.last_activity_at = max(filter(None, [target.last_activity_at, new.last_activity_at]))
    ranking.refresh(thread)
    ranking.refresh(new)
    db.session.flush()
    # Re-setting the title lets the search index give the new opening post its title.
    db.session.execute(update(Thread).where(Thread.id == new.id).values(title=new.title))
    for post in posts:
        publisher.publish("post.removed", {"thread_id": thread.id, "post_id": post.id},
                          rooms.thread(thread.id))
    publisher.publish("thread.updated", {"thread": serializers.thread(thread)},
                      rooms.thread(thread.id), rooms.forum(old_forum.slug))
    publisher.publish("thread.created", {"forum": target.slug, "thread": serializers.thread(new)},
                      rooms.forum(target.slug))
    return new


def merge_threads(source: Thread, target: Thread) -> list[Post]:
    """Move every post of `source` to the end of `target` (both published); the emptied
    source is hidden, locked and points at `target`. The posts moved."""
    posts = list(db.session.scalars(select(Post).where(Post.thread_id == source.id)
                                    .order_by(Post.number)))
    published = sum(1 for p in posts if p.state == PostState.PUBLISHED)
    base = target.last_post_number
    for offset, post in enumerate(posts, 1):
        support.unmark_removed_solution(post)
        post.thread, post.number = target, base + offset
    add_to(target, last_post_number=len(posts), reply_count=published)
    target.last_activity_at = max(target.last_activity_at, source.last_activity_at)
    source.merged_into_id, source.state, source.locked = target.id, ThreadState.HIDDEN, True
    source.reply_count, source.solved = 0, False  # nothing left in it to count
    add_to(source.forum, thread_count=-1)
    if source.forum_id != target.forum_id:
        add_to(source.forum, post_count=-published)
        add_to(target.forum, post_count=published)
    ranking.refresh(target)
    ranking.refresh(source)
    publisher.publish("thread.updated", {"thread": serializers.thread(source)},
                      rooms.thread(source.id))
    for post in posts:
        if post.state == PostState.PUBLISHED:
            publisher.publish("post.created",
                              {"thread_id": target.id, "post": serializers.post(post)},
                              rooms.thread(target.id))
    publisher.publish("thread.updated", {"thread": serializers.thread(target)},
                      rooms.thread(target.id), rooms.forum(target.forum.slug))
    return posts
