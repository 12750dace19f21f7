"""Votes on ideas and posts, idea statuses with their public notes, and merging duplicates."""

from sqlalchemy import func, select, update

from .. import permissions, serializers
from ..domain_events import IdeaStatusChanged, PostVoted, ThreadVoted, record
from ..errors import Conflict, Forbidden, ValidationError
from ..extensions import db
from ..models import (IdeaStatus, Post, PostVote, StatusChange, Thread, ThreadFollow, ThreadState,
                      ThreadVote)
from ..realtime import publisher, rooms
from . import forums, ranking
from .rows import delete_if_present, insert_if_absent
from .unit import use_case

NOTE_MAX = 5000


def _check_value(value) -> int:
    if value not in (0, 1) or isinstance(value, bool):
        raise ValidationError("A vote is 1 (vote) or 0 (take it back).", {"value": "0 or 1."})
    return value


def _refuse_own_or_locked(actor, author_id: int, thread: Thread) -> None:
    # Clear reasons for the common refusals; the permission check below stays the rule.
    if actor.is_authenticated and author_id == actor.id:
        raise Forbidden("You cannot vote on your own content.")
    if thread.locked:
        raise Forbidden("This thread is locked: votes are closed.")


def _set_vote(model, value: int, **keys) -> int:
    """Make the member's vote match `value`; the change to the score (-1, 0 or +1)."""
    if value == 1:
        return 1 if insert_if_absent(model, **keys) else 0
    return -1 if delete_if_present(model, **keys) else 0


@use_case
def vote_thread(actor, thread: Thread, value: int) -> int:
    """Members, not on their own thread: vote for it (1) or take the vote back (0); the new score."""
    _check_value(value)
    _refuse_own_or_locked(actor, thread.author_id, thread)
    permissions.require(actor, "vote_thread", thread)
    change = _set_vote(ThreadVote, value, user_id=actor.id, thread_id=thread.id)
    if change:
        # Counted in SQL, so concurrent voters never overwrite each other's increments.
        db.session.execute(update(Thread).where(Thread.id == thread.id)
                           .values(score=Thread.score + change))
    db.session.refresh(thread, ["score"])
    if change:
        ranking.refresh(thread)
        record(ThreadVoted(thread, actor, change))
        publisher.publish("vote.changed", {"target": "thread", "id": thread.id, "score": thread.score},
                          rooms.thread(thread.id), rooms.forum(thread.forum.slug))
    return thread.score


@use_case
def vote_post(actor, post: Post, value: int) -> int:
    """Members, not on their own post: mark it helpful (1) or take that back (0); the new score."""
    _check_value(value)
    _refuse_own_or_locked(actor, post.author_id, post.thread)
    permissions.require(actor, "vote_post", post)
    change = _set_vote(PostVote, value, user_id=actor.id, post_id=post.id)
    if change:
        db.session.execute(update(Post).where(Post.id == post.id).values(score=Post.score + change))
    db.session.refresh(post, ["score"])
    if change:
        record(PostVoted(post, actor, change))
        publisher.publish("vote.changed", {"target": "post", "id": post.id, "score": post.score},
                          rooms.thread(post.thread_id))
    return post.score


@use_case
def set_idea_status(actor, thread: Thread, status: str, note: str = "") -> StatusChange:
    """Staff: move an idea to another status, with a public note posted as an official update."""
    permissions.require(actor, "set_idea_status", thread)
    if status not in set(IdeaStatus) or status == IdeaStatus.DUPLICATE:
        choices = ", ".join(s for s in IdeaStatus if s != IdeaStatus.DUPLICATE)
        raise ValidationError("Unknown status.", {"status": f"One of {choices} (merge for duplicates)."})
    if thread.merged_into_id is not None:
        # Its votes and followers moved to the idea it duplicates: news goes there.
        raise Conflict("This idea was merged into another one: set the status there.")
    if status == thread.status:
        raise ValidationError("Nothing to change.", {"status": f"The idea is already {status}."})
    if len(note) > NOTE_MAX:
        raise ValidationError("The note is too long.", {"note": f"At most {NOTE_MAX} characters."})
    label = IdeaStatus(status).label
    body = f"**Status: {label}**" + (f"\n\n{note.strip()}" if note.strip() else "")
    return _change_status(actor, thread, status, body)


def _change_status(actor, thread: Thread, status: str, body: str) -> StatusChange:
    post = forums.reply(actor, thread, body)
    old = thread.status or "open"
    change = StatusChange(thread_id=thread.id, actor=actor, from_status=old, to_status=status,
                          post_id=post.id)
    thread.status = status
    db.session.add(change)
    # Voters and followers hear of it through the receiver in services/notifications.py.
    record(IdeaStatusChanged(thread, actor, old, status, post))
    if thread.state == ThreadState.PUBLISHED:  # a held or hidden idea is no news for public rooms
        publisher.publish("thread.updated", {"thread": serializers.thread(thread)},
                          rooms.thread(thread.id), rooms.forum(thread.forum.slug))
    return change


@use_case
def merge_idea(actor, duplicate: Thread, into: Thread) -> Thread:
    """Staff: merge a duplicate idea into another; its voters and followers move over, once each."""
    permissions.require(actor, "merge_ideas", duplicate)
    permissions.require(actor, "merge_ideas", into)
    if duplicate.id == into.id:
        raise ValidationError("An idea cannot be merged into itself.", {"into": "Pick another idea."})
    if duplicate.forum_id != into.forum_id:
        raise ValidationError("Ideas can only be merged within one forum.", {"into": "Same forum only."})
    if into.merged_into_id is not None:
        raise ValidationError("That idea was itself merged.", {"into": "Merge into the surviving idea."})
    if duplicate.merged_into_id is not None:
        raise Conflict("This idea is already merged.")

    _copy_members(ThreadVote, duplicate, into, exclude=into.author_id)
    _copy_members(ThreadFollow, duplicate, into)
    into.score = db.session.scalar(select(func.count()).where(ThreadVote.thread_id == into.id))
    ranking.refresh(into)
    duplicate.merged_into_id = into.id
    _change_status(actor, duplicate, IdeaStatus.DUPLICATE,
                   f"**Merged** into [{_escape_link_text(into.title)}](/t/{into.id}). "
                   "Votes and followers moved there.")
    duplicate.locked = True
    publisher.publish("thread.updated", {"thread": serializers.thread(into)},
                      rooms.thread(into.id), rooms.forum(into.forum.slug))
    publisher.publish("vote.changed", {"target": "thread", "id": into.id, "score": into.score},
                      rooms.thread(into.id), rooms.forum(into.forum.slug))
    return into


def _copy_members(model, source: Thread, target: Thread, exclude: int | None = None) -> None:
    rows = db.session.scalars(select(model).where(model.thread_id == source.id)).all()
    for row in rows:
        if row.user_id != exclude:
            values = {"user_id": row.user_id, "thread_id": target.id}
            if model is ThreadFollow:
                values["level"] = row.level
            insert_if_absent(model, **values)


def _escape_link_text(title: str) -> str:
    return "".join("\\" + c if c in "[]\\*_`<>" else c for c in title)
