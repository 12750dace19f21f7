"""Forums, threads and posts: starting, replying, editing, removing, curating."""

import re
from collections.abc import Iterable

from sqlalchemy import func, select

from .. import permissions, serializers, text, visibility
from ..errors import Conflict, Forbidden, ValidationError
from ..extensions import db
from ..models import (Forum, ForumKind, IdeaStatus, Mention, Post, PostRevision, PostState, Role, Tag, Thread,
                      User, utcnow)
from ..realtime import publisher, rooms
from . import moderation, ranking, signals, support
from .follows import auto_follow
from .rows import add_to
from .unit import use_case

TITLE_MIN, TITLE_MAX = 3, 200
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

def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise ValidationError("Please correct the title.",
                              {"title": f"{TITLE_MIN}–{TITLE_MAX} characters."})
    return title


def check_body(body: str) -> str:
    """The body if it is acceptable as a post; ValidationError otherwise."""
    if not body.strip():
        raise ValidationError("Please write something.", {"body": "Write a message."})
    if len(body) > text.MAX_BODY:
        raise ValidationError("The message is too long.",
                              {"body": f"At most {text.MAX_BODY:,} characters."})
    return body


def _resolve_mentions(names: Iterable[str]) -> dict[str, str]:
    names = list(names)
    lowered = {n.lower() for n in names}
    if not lowered:
        return {}
    found = db.session.scalars(
        select(User.username).where(func.lower(User.username).in_(lowered))).all()
    canonical = {u.lower(): u for u in found}
    return {n: canonical[n.lower()] for n in names if n.lower() in canonical}


def render(body: str) -> text.Rendered:
    """The body rendered the way it will be stored (also used for previews)."""
    return text.render(body, resolve_mentions=_resolve_mentions)


def _record_mentions(post: Post, rendered: text.Rendered) -> list[int]:
    """Record the members the post newly mentions; their ids."""
    if not rendered.mentions:
        return []
    ids = db.session.scalars(select(User.id).where(User.username.in_(rendered.mentions))).all()
    known = set(db.session.scalars(select(Mention.user_id).where(Mention.post_id == post.id)))
    added = [i for i in ids if i not in known and i != post.author_id]
    db.session.add_all(Mention(post_id=post.id, user_id=i) for i in added)
    return added


def _add_post(actor: User, thread: Thread, screening: "moderation.Screening") -> Post:
    rendered = screening.rendered
    # Numbering takes the thread's row lock: simultaneous replies get consecutive numbers.
    add_to(thread, last_post_number=1)
    post = Post(thread=thread, author=actor, number=thread.last_post_number, body=screening.body,
                html=rendered.html, official=actor.has_role(Role.STAFF), created_at=utcnow(),
                state=screening.state, score=0, is_solution=False)
    db.session.add(post)
    db.session.flush()
    _record_mentions(post, rendered)
    auto_follow(actor, thread)
    return post


def publish_post(post: Post, at=None) -> None:
    """Count a post that has just become visible to everyone (written, or approved by a
    moderator), then tell the signal receivers and the live rooms.

    An opening post publishes its thread with it.
    """
    thread, forum = post.thread, post.thread.forum
    at = at or utcnow()
    opening = post.number == 1
    if opening:
        thread.state = "published"
        add_to(forum, thread_count=1)
    else:
        add_to(thread, reply_count=1)
    add_to(forum, post_count=1)
    thread.last_activity_at = max(thread.last_activity_at, at)
    forum.last_activity_at = at
    ranking.refresh(thread)
    if opening:
        signals.send("thread_started", thread=thread, post=post)
        publisher.publish("thread.created",
                          {"forum": forum.slug, "thread": serializers.thread(thread)},
                          rooms.forum(forum.slug))
        return
    signals.send("post_published", post=post)
    publisher.publish("post.created", {"thread_id": thread.id, "post": serializers.post(post)},
                      rooms.thread(thread.id))
    publisher.publish("thread.updated", {"thread": serializers.thread(thread)},
                      rooms.thread(thread.id), rooms.forum(forum.slug))


def _published_posts(thread: Thread) -> int:
    return db.session.scalar(select(func.count()).where(
        Post.thread_id == thread.id, Post.state == PostState.PUBLISHED)) or 0


def unpublish_post(post: Post, actor: User, *, hide_thread: bool = False) -> None:
    """Uncount a published post that was just deleted or hidden, then tell the receivers and
    the thread's room. With `hide_thread`, an opening post takes its thread out of sight."""
    thread, forum = post.thread, post.thread.forum
    support.unmark_removed_solution(post)
    if post.number == 1 and hide_thread and thread.state == "published":
        thread.state = "hidden"
        add_to(forum, thread_count=-1, post_count=-(_published_posts(thread) + 1))
    elif thread.state == "published":
        add_to(forum, post_count=-1)
    if post.number > 1:
        add_to(thread, reply_count=-1)
        ranking.refresh(thread)
    signals.send("post_removed", post=post, actor=actor)
    publisher.publish("post.removed", {"thread_id": thread.id, "post_id": post.id},
                      rooms.thread(thread.id))


def republish_post(post: Post, actor: User) -> None:
    """Count a hidden post a moderator made visible again (with its thread, for an opening
    post), then tell the receivers and the live rooms."""
    thread, forum = post.thread, post.thread.forum
    post.state = PostState.PUBLISHED
    reopened = post.number == 1 and thread.state == "hidden"
    if reopened:
        thread.state = "published"
        add_to(forum, thread_count=1, post_count=_published_posts(thread))
    elif thread.state == "published":
        add_to(forum, post_count=1)
    if post.number > 1:
        add_to(thread, reply_count=1)
        ranking.refresh(thread)
    signals.send("post_restored", post=post, actor=actor)
    if thread.state != "published":
        return
    publisher.publish("post.updated", {"thread_id": thread.id, "post": serializers.post(post)},
                      rooms.thread(thread.id))
    publisher.publish("thread.updated", {"thread": serializers.thread(thread)},
                      rooms.thread(thread.id), rooms.forum(forum.slug))


@use_case
def start_thread(actor: User, forum: Forum, title: str, body: str,
                 tags: Iterable[str] = ()) -> Thread:
    """Members who can see the forum: open a thread with its first post.

    The thread is published at once, or waits in the review queue ("pending") when the
    forum is pre-moderated or moderation.screen holds the post.
    """
    permissions.require(actor, "start_thread", forum)
    title, body, chosen = _clean_title(title), check_body(body), _tags(tags)
    screening = moderation.screen(actor, forum, body, title=title)
    title = _clean_title(screening.title)
    now = utcnow()
    thread = Thread(forum=forum, author=actor, title=title, tags=chosen, created_at=now,
                    last_activity_at=now, pinned=False, locked=False, reply_count=0, score=0,
                    last_post_number=0, solved=False,
                    state="pending" if screening.held else "published",
                    status=IdeaStatus.OPEN if forum.kind == ForumKind.IDEAS else None)
    db.session.add(thread)
    post = _add_post(actor, thread, screening)
    if screening.held:
        moderation.hold(post, screening.reasons)
    else:
        publish_post(post, at=now)
    return thread


@use_case
def reply(actor: User, thread: Thread, body: str) -> Post:
    """Members who can see the thread: add a post to it, unless it is locked.

    The post is published at once, or waits in the review queue (see moderation.screen).
    """
    if thread.locked and permissions.can(actor, "view_forum", thread.forum) \
            and not permissions.can(actor, "reply", thread):
        raise Forbidden("This thread is locked: it takes no new replies.")
    permissions.require(actor, "reply", thread)
    screening = moderation.screen(actor, thread.forum, check_body(body), thread=thread)
    post = _add_post(actor, thread, screening)
    if screening.held:
        moderation.hold(post, screening.reasons)
    else:
        publish_post(post, at=post.created_at)
    return post


def lock_post(post: Post) -> None:
    """Inside a use case: wait for other writers of this post, then reload it."""
    # FOR UPDATE serialises them on PostgreSQL (SQLite's writers queue anyway); the reload
    # matters because objects read earlier in the request may be stale.
    db.session.scalar(select(Post).where(Post.id == post.id).with_for_update()
                      .execution_options(populate_existing=True))


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
    lock_post(post)
    permissions.require(actor, "edit_post", post)
    body = moderation.screen_edit(actor, post, check_body(body))
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
    if post.state == PostState.PUBLISHED and post.thread.state == "published":
        if mentioned:  # those already mentioned heard of it when the post was published
            signals.send("members_mentioned", post=post, user_ids=mentioned)
        publisher.publish("post.updated", {"thread_id": post.thread_id,
                                           "post": serializers.post(post)},
                          rooms.thread(post.thread_id))
    moderation.note_post_edited(actor, post, old_body)
    return post


@use_case
def delete_post(actor: User, post: Post) -> Post:
    """The author or a moderator: remove a post; it stays in place as "post removed"."""
    permissions.require(actor, "delete_post", post)
    if post.state == PostState.DELETED:
        return post
    was_published = post.state == PostState.PUBLISHED
    post.state = PostState.DELETED
    if was_published:
        unpublish_post(post, actor)
    else:
        support.unmark_removed_solution(post)
    moderation.note_post_deleted(actor, post)
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
        thread.title = _clean_title(title)
    if tags is not None:
        thread.tags = _tags(tags)
    if pinned is not None:
        thread.pinned = pinned
    if locked is not None:
        thread.locked = locked
    if forum is not None and forum.id != old_forum.id:
        _move(thread, old_forum, forum)
    moderation.note_curation(actor, thread, before)
    if thread.state != "published":
        return thread
    payload = {"thread": serializers.thread(thread)}
    audience = {rooms.thread(thread.id), rooms.forum(old_forum.slug), rooms.forum(thread.forum.slug)}
    if visibility.is_public(old_forum) and not visibility.is_public(thread):
        # Moved out of sight: its title goes only to the private forum's room, not to the
        # rooms visitors of the public forum (and of the thread itself) are in.
        audience = {rooms.forum(thread.forum.slug)}
    publisher.publish("thread.updated", payload, *sorted(audience))
    return thread


def _move(thread: Thread, old: Forum, new: Forum) -> None:
    thread.forum = new
    # Whoever follows it live may not see where it goes (a private forum).
    signals.send("access_narrowed", user_id=None, thread_id=thread.id, forum_id=None)
    if thread.state != "published":  # not counted anywhere until it is
        return
    published = _published_posts(thread)
    add_to(old, thread_count=-1, post_count=-published)
    add_to(new, thread_count=1, post_count=published)
    new.last_activity_at = max(filter(None, [new.last_activity_at, thread.last_activity_at]))




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
        signals.send("access_narrowed", user_id=None, thread_id=None, forum_id=forum.id)
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
