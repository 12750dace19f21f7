"""Forums, threads and posts: starting, replying, editing, removing, curating.

A new post passes services.screening first; what then happens to it and to its thread
(published or held, removed, moved) and to the counters is services.lifecycle's. What
follows for moderation (the review queue, the audit log) comes from the events recorded
here (community.events).
"""

import re
from collections.abc import Iterable

from sqlalchemy import func, select

from .. import permissions, serializers, text, visibility
from ..domain_events import (AccessNarrowed, MembersMentioned, PostDeleted, PostEdited, PostHeld,
                             ThreadCurated, record)
from ..errors import Conflict, Forbidden, ValidationError
from ..extensions import db
from ..models import (Forum, ForumKind, IdeaStatus, Mention, Post, PostRevision, PostState, Role,
                      Tag, Thread, ThreadState, User, utcnow)
from ..realtime import publisher, rooms
from . import lifecycle, screening
from .follows import auto_follow
from .unit import use_case
from .writing import check_body, clean_title, render

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$")


# --- forums and tags -------------------------------------------------------------------

@use_case
def create_forum(actor, slug: str, name: str, description: str = "",
                 kind: str = ForumKind.DISCUSSION, private: bool = False,
                 position: int | None = None) -> Forum:
    """Admins: open a new forum of the given kind."""
    permissions.require(actor, "manage_forums")
    slug, name = slug.strip().lower(), name.strip()
    errors = {}
    if not SLUG_RE.match(slug):
        errors["slug"] = "2–60 lowercase letters, digits or '-'."
    if not 1 <= len(name) <= 100:
        errors["name"] = "1–100 characters."
    if kind not in set(ForumKind):
        errors["kind"] = f"One of {', '.join(ForumKind)}."
    if len(description) > 2000:
        errors["description"] = "At most 2000 characters."
    if errors:
        raise ValidationError("Please correct the highlighted fields.", errors)
    if db.session.scalar(select(Forum.id).where(Forum.slug == slug)):
        raise Conflict("A forum with this slug exists.", {"slug": "Already in use."})
    if position is None:
        position = (db.session.scalar(select(func.max(Forum.position))) or 0) + 1
    forum = Forum(slug=slug, name=name, description=description.strip(), kind=kind,
                  private=private, position=position)
    db.session.add(forum)
    db.session.flush()
    return forum


@use_case
def create_tag(actor, slug: str, name: str, description: str = "") -> Tag:
    """Staff: add a tag (a product area) to the list members choose from."""
    permissions.require(actor, "manage_tags")
    slug, name = slug.strip().lower(), name.strip()
    if not SLUG_RE.match(slug) or len(slug) > 40:
        raise ValidationError("Invalid tag.", {"slug": "2–40 lowercase letters, digits or '-'."})
    if not 1 <= len(name) <= 60:
        raise ValidationError("Invalid tag.", {"name": "1–60 characters."})
    if db.session.scalar(select(Tag.id).where(Tag.slug == slug)):
        raise Conflict("This tag exists.", {"slug": "Already in use."})
    tag = Tag(slug=slug, name=name, description=description.strip())
    db.session.add(tag)
    db.session.flush()
    return tag


def _tags(slugs: Iterable[str]) -> list[Tag]:
    wanted = sorted({s.strip().lower() for s in slugs if s.strip()})
    if not wanted:
        return []
    if len(wanted) > 5:
        raise ValidationError("Too many tags.", {"tags": "At most 5 tags."})
    found = db.session.scalars(select(Tag).where(Tag.slug.in_(wanted))).all()
    unknown = set(wanted) - {t.slug for t in found}
    if unknown:
        raise ValidationError("Unknown tags.", {"tags": f"Unknown: {', '.join(sorted(unknown))}."})
    return list(found)


# --- writing ---------------------------------------------------------------------------

def _record_mentions(post: Post, rendered: text.Rendered) -> list[int]:
    """Record the members the post newly mentions; their ids."""
    if not rendered.mentions:
        return []
    ids = db.session.scalars(select(User.id).where(User.username.in_(rendered.mentions))).all()
    known = set(db.session.scalars(select(Mention.user_id).where(Mention.post_id == post.id)))
    added = [i for i in ids if i not in known and i != post.author_id]
    db.session.add_all(Mention(post_id=post.id, user_id=i) for i in added)
    return added


def _add_post(actor: User, thread: Thread, screened: screening.Screening) -> Post:
    rendered = screened.rendered
    post = Post(thread=thread, author=actor, number=lifecycle.number_post(thread),
                body=screened.body, html=rendered.html, official=actor.has_role(Role.STAFF),
                created_at=utcnow(), state=screened.state, score=0, is_solution=False)
    db.session.add(post)
    db.session.flush()
    _record_mentions(post, rendered)
    if post.state == PostState.PUBLISHED:  # a held post follows once approved (moderation)
        auto_follow(actor, thread)
    return post


@use_case
def start_thread(actor: User, forum: Forum, title: str, body: str,
                 tags: Iterable[str] = ()) -> Thread:
    """Members who can see the forum: open a thread with its first post.

    The thread is published at once, or waits in the review queue ("pending") when the
    forum is pre-moderated or services.screening holds the post.
    """
    permissions.require(actor, "start_thread", forum)
    title, body, chosen = clean_title(title), check_body(body), _tags(tags)
    screened = screening.screen(actor, forum, body, title=title)
    title = clean_title(screened.title)
    now = utcnow()
    thread = Thread(forum=forum, author=actor, title=title, tags=chosen, created_at=now,
                    last_activity_at=now, pinned=False, locked=False, reply_count=0, score=0,
                    last_post_number=0, solved=False,
                    state=ThreadState.PENDING if screened.held else ThreadState.PUBLISHED,
                    status=IdeaStatus.OPEN if forum.kind == ForumKind.IDEAS else None)
    db.session.add(thread)
    post = _add_post(actor, thread, screened)
    if screened.held:
        record(PostHeld(post, screened.reasons))
    else:
        lifecycle.publish_post(post, at=now)
    return thread


@use_case
def reply(actor: User, thread: Thread, body: str) -> Post:
    """Members who can see the thread: add a post to it, unless it is locked.

    The post is published at once, or waits in the review queue (see services.screening).
    """
    if thread.locked and permissions.can(actor, "view_forum", thread.forum) \
            and not permissions.can(actor, "reply", thread):
        raise Forbidden("This thread is locked: it takes no new replies.")
    permissions.require(actor, "reply", thread)
    screened = screening.screen(actor, thread.forum, check_body(body), thread=thread)
    post = _add_post(actor, thread, screened)
    if screened.held:
        record(PostHeld(post, screened.reasons))
    else:
        lifecycle.publish_post(post, at=post.created_at)
    return post


class EditConflict(Conflict):
    """A save made on a stale copy of a post; `current` is the post as it is saved now."""

    def __init__(self, current: Post) -> None:
        super().__init__("Someone else saved this post while you were editing it.")
        self.current = current


@use_case
def edit_post(actor: User, post: Post, body: str, *, base_revision: int | None = None) -> Post:
    """The author or a moderator: change a post's body, keeping the old one as a revision.

    `base_revision` is the post's revision the editor started from; if the post has been
    saved since, EditConflict refuses the save. Without it the last save wins.
    """
    # Two saves from the same base must not both pass the check below.
    lifecycle.lock_post(post)
    permissions.require(actor, "edit_post", post)
    body = screening.screen_edit(actor, post, check_body(body))
    if body == post.body:
        return post
    if base_revision is not None and base_revision != post.revision:
        raise EditConflict(post)
    old_body = post.body
    db.session.add(PostRevision(post_id=post.id, editor=actor, body=old_body))
    rendered = render(body)
    post.body, post.html, post.edited_at = body, rendered.html, utcnow()
    post.revision += 1
    mentioned = _record_mentions(post, rendered)
    if post.state == PostState.PUBLISHED and post.thread.state == ThreadState.PUBLISHED:
        if mentioned:  # those already mentioned heard of it when the post was published
            record(MembersMentioned(post, tuple(mentioned)))
        publisher.publish("post.updated", {"thread_id": post.thread_id,
                                           "post": serializers.post(post)},
                          rooms.thread(post.thread_id))
    record(PostEdited(post, actor, old_body))
    return post


@use_case
def delete_post(actor: User, post: Post) -> Post:
    """The author or a moderator: remove a post; it stays in place as "post removed"."""
    permissions.require(actor, "delete_post", post)
    if post.state == PostState.DELETED:
        return post
    lifecycle.remove_post(post, PostState.DELETED, actor)
    record(PostDeleted(post, actor))
    return post


@use_case
def update_thread(actor: User, thread: Thread, *, title: str | None = None,
                  pinned: bool | None = None, locked: bool | None = None,
                  forum: Forum | None = None, tags: Iterable[str] | None = None) -> Thread:
    """The author (title, tags) or a moderator (also pin, lock, move): change a thread."""
    if title is not None or tags is not None:
        permissions.require(actor, "edit_thread_title", thread)
    if pinned is not None or locked is not None or forum is not None:
        permissions.require(actor, "curate_thread", thread)
    old_forum = thread.forum
    before = {"pinned": thread.pinned, "locked": thread.locked, "forum": old_forum.slug}
    if title is not None:
        thread.title = clean_title(title)
    if tags is not None:
        thread.tags = _tags(tags)
    if pinned is not None:
        thread.pinned = pinned
    if locked is not None:
        thread.locked = locked
    if forum is not None and forum.id != old_forum.id:
        lifecycle.move_thread(thread, forum)
    record(ThreadCurated(thread, actor, before))
    if thread.state != ThreadState.PUBLISHED:
        return thread
    payload = {"thread": serializers.thread(thread)}
    audience = {rooms.thread(thread.id), rooms.forum(old_forum.slug), rooms.forum(thread.forum.slug)}
    if visibility.is_public(old_forum) and not visibility.is_public(thread):
        # Moved out of sight: its title goes only to the private forum's room, not to the
        # rooms visitors of the public forum (and of the thread itself) are in.
        audience = {rooms.forum(thread.forum.slug)}
    publisher.publish("thread.updated", payload, *sorted(audience))
    return thread


# --- the admin console: editing and ordering forums --------------------------------------

@use_case
def update_forum(actor, forum: Forum, **changes) -> Forum:
    """Admins: change a forum's slug, name, description, kind, privacy or pre-moderation.

    The kind changes only while the forum has no threads (their statuses and solutions
    belong to the kind they were written in). Nothing is published: pages read it anew.
    """
    permissions.require(actor, "manage_forums")
    allowed = {"slug", "name", "description", "kind", "private", "premoderated"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError("Unknown forum fields.", {k: "Unknown field." for k in sorted(unknown)})
    errors = {}
    if "slug" in changes:
        changes["slug"] = str(changes["slug"]).strip().lower()
        if not SLUG_RE.match(changes["slug"]):
            errors["slug"] = "2–60 lowercase letters, digits or '-'."
    if "name" in changes:
        changes["name"] = str(changes["name"]).strip()
        if not 1 <= len(changes["name"]) <= 100:
            errors["name"] = "1–100 characters."
    if "description" in changes:
        changes["description"] = str(changes["description"]).strip()
        if len(changes["description"]) > 2000:
            errors["description"] = "At most 2000 characters."
    if "kind" in changes:
        if changes["kind"] not in set(ForumKind):
            errors["kind"] = f"One of {', '.join(ForumKind)}."
        elif changes["kind"] != forum.kind and forum.thread_count > 0:
            errors["kind"] = "The kind can change only while the forum has no threads."
    for flag in ("private", "premoderated"):
        if flag in changes and not isinstance(changes[flag], bool):
            errors[flag] = "True or false."
    if errors:
        raise ValidationError("Please correct the highlighted fields.", errors)
    if changes.get("slug", forum.slug) != forum.slug and db.session.scalar(
            select(Forum.id).where(Forum.slug == changes["slug"], Forum.id != forum.id)):
        raise Conflict("A forum with this slug exists.", {"slug": "Already in use."})
    # Made private: its followers may no longer see it. Renamed: its old room must not
    # carry on to a forum that takes the old slug later.
    narrowed = (changes.get("private") is True and not forum.private) \
        or changes.get("slug", forum.slug) != forum.slug
    for name, value in changes.items():
        setattr(forum, name, value)
    if narrowed:
        record(AccessNarrowed(forum_id=forum.id))
    return forum


@use_case
def reorder_forums(actor, slugs: Iterable[str]) -> list[Forum]:
    """Admins: put every forum in the given order (the list must name each forum once)."""
    permissions.require(actor, "manage_forums")
    slugs = [str(s).strip().lower() for s in slugs]
    every = {f.slug: f for f in db.session.scalars(select(Forum))}
    if len(set(slugs)) != len(slugs) or set(slugs) != set(every):
        missing, unknown = set(every) - set(slugs), set(slugs) - set(every)
        detail = "; ".join(filter(None, [
            f"missing: {', '.join(sorted(missing))}" if missing else "",
            f"unknown: {', '.join(sorted(unknown))}" if unknown else "",
            "a forum is named twice" if len(set(slugs)) != len(slugs) else ""]))
        raise ValidationError("Name every forum exactly once.", {"slugs": detail.capitalize() + "."})
    for position, slug in enumerate(slugs, 1):
        every[slug].position = position
    return [every[s] for s in slugs]
