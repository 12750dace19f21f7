"""Thread tools: split replies off into a new thread, merge one thread into another.

Moderators decide here (who may, which posts, which forum); services.lifecycle moves the
posts and keeps the counters. Ideas merge with their votes in services.feedback instead.
"""

from sqlalchemy import select

from ... import permissions
from ...errors import Conflict, ValidationError
from ...extensions import db
from ...models import Forum, Post, PostState, Thread, ThreadFollow, ThreadState, User
from .. import lifecycle
from ..follows import auto_follow
from ..rows import insert_if_absent
from ..unit import use_case
from ..writing import clean_title
from .audit import audit, check_reason


@use_case
def split_thread(actor: User, thread: Thread, post_ids, title: str, forum: Forum | None = None,
                 reason: str = "") -> Thread:
    """Moderators: move replies of a thread into a new thread, which the earliest of them
    opens (posts are renumbered there; counters follow)."""
    permissions.require(actor, "split_thread", thread)
    reason = check_reason(reason, required=False)
    title = clean_title(title)
    ids = {i for i in post_ids if isinstance(i, int) and not isinstance(i, bool)}
    if not ids or len(ids) != len(list(post_ids)):
        raise ValidationError("Choose the replies to move.", {"post_ids": "Post ids, each once."})
    target = forum or thread.forum
    if not permissions.can(actor, "view_forum", target):
        raise ValidationError("Unknown forum.", {"forum": "No such forum."})
    lifecycle.lock_thread(thread)
    if thread.state != ThreadState.PUBLISHED:
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
    new = lifecycle.split_thread(thread, posts, title, target)
    for author in {p.author for p in posts}:
        auto_follow(author, new)
    audit(actor, "split_thread", "thread", thread.id, reason=reason,
          after={"new_thread": new.id, "posts": sorted(ids), "forum": target.slug},
          title=thread.title)
    return new


@use_case
def merge_threads(actor: User, source: Thread, target: Thread, reason: str = "") -> Thread:
    """Moderators: move every post of `source` to the end of `target` (discussion and
    support threads; ideas merge with their votes in services.feedback). The emptied
    thread is hidden and points at the one it joined; its followers follow `target`."""
    permissions.require(actor, "merge_threads", source)
    permissions.require(actor, "merge_threads", target)
    reason = check_reason(reason, required=False)
    if source.id == target.id:
        raise ValidationError("A thread cannot be merged into itself.",
                              {"into": "Choose another thread."})
    for t in sorted((source, target), key=lambda t: t.id):
        lifecycle.lock_thread(t)
    if source.state != ThreadState.PUBLISHED or target.state != ThreadState.PUBLISHED \
            or source.merged_into_id:
        raise Conflict("Both threads must be published, and the first not merged already.")
    posts = lifecycle.merge_threads(source, target)
    followers = db.session.execute(select(ThreadFollow.user_id, ThreadFollow.level)
                                   .where(ThreadFollow.thread_id == source.id)).all()
    for follower_id, level in followers:
        insert_if_absent(ThreadFollow, user_id=follower_id, thread_id=target.id, level=level)
    audit(actor, "merge_threads", "thread", source.id, reason=reason,
          after={"into": target.id, "posts": len(posts)}, title=source.title)
    return target
