"""Notifications: who hears about what, in the app, live, and by email.

The reactions below (community.events runs them) decide who should hear about an event and add that to the unit of
work's batch; the batch is delivered once, just before the unit of work commits, so what
it writes commits or rolls back with the change itself. Delivering:

- one notification per member per post: the most specific kind wins (a status change
  beats a mention, which beats a quote, which beats a reply);
- never to the actor, to members who cannot see the content, or to members who muted the
  thread or its forum (a thread's own level wins over its forum's), nor of a kind the
  member turned off (NotificationPreference);
- an unread notification with the same group key is bumped ("3 new replies in …")
  rather than joined by another;
- each new or bumped notification is pushed to `user:<id>` after commit, and a new one
  of a kind emailed at once is queued in the outbox when the member is not online.
"""

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from .. import permissions, serializers, text, urls, visibility
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import (ForumFollow, IdeaStatus, Mention, Notification, NotificationPreference,
                      Post, Thread, ThreadFollow, ThreadVote, User, utcnow)
from ..domain_events import (BadgeAwarded, IdeaStatusChanged, MembersMentioned,
                             ModerationAction, PostPublished, RankReached, SolutionChanged,
                             ThreadStarted)
from ..realtime import publisher, rooms
from ..recognition import award_reason
from . import mail
from .unit import use_case


@dataclass(frozen=True)
class Kind:
    label: str  # as the preferences page names it
    # "now": emailed at once when the member is not online; "digest": in the email digest;
    # None: in the app only.
    email: str | None
    # When one post concerns a member in several ways, the highest rank is what they hear.
    rank: int


KINDS: dict[str, Kind] = {
    "mention": Kind("Someone mentions you (@name)", "now", 50),
    "reply": Kind("New posts in threads you watch", "now", 10),
    "quote": Kind("Someone quotes your post", "now", 40),
    "new_thread": Kind("New threads in forums you watch", None, 5),
    "question_solved": Kind("Your question gets an accepted answer", "now", 60),
    "answer_accepted": Kind("Your reply is accepted as the solution", "now", 70),
    "idea_status": Kind("An idea you voted for or follow changes status", "digest", 80),
    "badge": Kind("You earn a badge", None, 0),
    "rank": Kind("You reach a new rank", None, 0),
    "moderation": Kind("A moderator acts on your content (with the reason)", "now", 90),
}
DIGESTS = ("off", "daily", "weekly")
# services.moderation's actions, as "A moderator <verb> your post / your account".
MODERATION_VERBS = {
    "approve": "approved", "reject": "rejected", "hide": "hid", "restore": "restored",
    "delete": "removed", "edit": "edited", "move": "moved", "lock": "locked",
    "unlock": "unlocked", "suspend": "suspended", "unsuspend": "lifted the suspension of",
    "silence": "silenced", "unsilence": "lifted the silence on",
    "set_trust_level": "changed the trust level of",
    "reset_trust_level": "reset the trust level of",
}

_BATCH = "notification_batch"
_serial = itertools.count()


# --- the batch --------------------------------------------------------------------------

@dataclass
class Intent:
    """That a member should hear of something, before it is checked and delivered."""

    user_id: int
    kind: str
    actor_id: int | None
    message: str
    thread: Thread | None = None
    post: Post | None = None
    # Consolidation: an unread notification with this key is bumped instead; `many` is its
    # message then ("{count}" filled in), and `keep_first` keeps its link on the first post.
    group_key: str = ""
    many: str = ""
    keep_first: bool = False
    # Moderator actions concern the member's own content, seen or not, muted or not.
    about_own_content: bool = False
    key: tuple = field(default=())

    def __post_init__(self) -> None:
        if not self.key:
            self.key = (self.user_id, "post", self.post.id) if self.post is not None \
                else (self.user_id, self.kind, next(_serial))


def notify(intent: Intent) -> None:
    """Add `intent` to the current unit of work's batch (the most specific per post wins)."""
    batch = db.session().info.setdefault(_BATCH, {})
    current = batch.get(intent.key)
    if current is None or KINDS[intent.kind].rank > KINDS[current.kind].rank:
        batch[intent.key] = intent


def forget_pending(user_id: int) -> None:
    """Drop what the current unit of work would still tell `user_id`, or tell others of
    them (their account is being deleted: services.data_rights)."""
    batch = db.session().info.get(_BATCH) or {}
    for key in [k for k, i in batch.items() if user_id in (i.user_id, i.actor_id)]:
        del batch[key]


@event.listens_for(Session, "before_commit")
def _deliver_before_commit(session: Session) -> None:
    batch = session.info.pop(_BATCH, None)
    if batch:
        _deliver(list(batch.values()))


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous) -> None:
    if previous.parent is None:
        session.info.pop(_BATCH, None)


def _deliver(intents: list[Intent]) -> None:
    intents = [i for i in intents if i.user_id != i.actor_id]
    if not intents:
        return
    user_ids = {i.user_id for i in intents}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    prefs = _preferences(user_ids)
    muted = _muted(intents)
    groups = _unread_groups(intents)
    stored: list[Notification] = []
    emails: list[tuple[User, Intent, Notification | None]] = []
    online = online_members({intent.user_id for intent in intents})
    for intent in sorted(intents, key=lambda i: (i.user_id, -KINDS[i.kind].rank)):
        user = users.get(intent.user_id)
        if user is None or not _may_hear(user, intent, muted):
            continue
        in_app, email = prefs.get((user.id, intent.kind), _default_preference(intent.kind))
        notification, new = _store(intent, groups) if in_app else (None, True)
        if notification is not None:
            stored.append(notification)
        # An address the member has not confirmed gets no notification emails.
        if email and new and KINDS[intent.kind].email == "now" \
                and user.email_verified_at is not None and user.id not in online:
            emails.append((user, intent, notification))
    if stored:
        # One flush for the whole batch (the emails' keys need the new notifications' ids).
        db.session.flush()
    for user, intent, notification in emails:
        _email(user, intent, notification)
    # Live only to members with a socket open: the others see the bell on their next page.
    shown = [n for n in stored if n.user_id in online]
    if shown:
        unread = unread_counts({n.user_id for n in shown})
        for n in shown:
            publisher.publish("notification", {"notification": serializers.notification(n),
                                                "unread": unread.get(n.user_id, 0)},
                              rooms.user(n.user_id))


def _may_hear(user: User, intent: Intent, muted: set[tuple[int, int]]) -> bool:
    if intent.about_own_content:
        return True
    if intent.thread is not None and (user.id, intent.thread.id) in muted:
        return False
    if intent.post is not None:
        return permissions.can(user, "view_post", intent.post)
    if intent.thread is not None:
        return permissions.can(user, "view_forum", intent.thread.forum)
    return True


def _muted(intents: list[Intent]) -> set[tuple[int, int]]:
    """(member, thread) pairs among the intents where the member muted the thread or its forum."""
    threads = {i.thread.id: i.thread for i in intents if i.thread is not None}
    if not threads:
        return set()
    users = {i.user_id for i in intents}
    levels = {(u, t): level for u, t, level in db.session.execute(
        select(ThreadFollow.user_id, ThreadFollow.thread_id, ThreadFollow.level).where(
            ThreadFollow.user_id.in_(users), ThreadFollow.thread_id.in_(threads)))}
    forum_levels = {(u, f): level for u, f, level in db.session.execute(
        select(ForumFollow.user_id, ForumFollow.forum_id, ForumFollow.level).where(
            ForumFollow.user_id.in_(users),
            ForumFollow.forum_id.in_({t.forum_id for t in threads.values()})))}
    muted = set()
    for user_id in users:
        for thread in threads.values():
            level = levels.get((user_id, thread.id)) or forum_levels.get((user_id, thread.forum_id))
            if level == "muted":
                muted.add((user_id, thread.id))
    return muted


def _unread_groups(intents: list[Intent]) -> dict[tuple[int, str], Notification]:
    """The latest unread notification of each (member, group key) among the intents, locked
    for the bump: one query for the batch, however many members hear of it."""
    keys = {(i.user_id, i.group_key) for i in intents if i.group_key}
    if not keys:
        return {}
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id.in_({u for u, _ in keys}),
                                   Notification.group_key.in_({g for _, g in keys}),
                                   Notification.read_at.is_(None))
        .order_by(Notification.id).with_for_update())
    # In id order, so the latest of each group is the one kept.
    return {(n.user_id, n.group_key): n for n in rows if (n.user_id, n.group_key) in keys}


def _store(intent: Intent, groups: dict[tuple[int, str], Notification]) -> tuple[Notification, bool]:
    """The member's notification for `intent`: an unread one of its group bumped, or a new one."""
    now = utcnow()
    existing = groups.get((intent.user_id, intent.group_key)) if intent.group_key else None
    if existing is not None:
        existing.count += 1
        template = intent.many or intent.message
        existing.message = template.replace("{count}", str(existing.count))
        existing.actor_id = intent.actor_id
        existing.created_at = now
        if not intent.keep_first:
            existing.post_id = intent.post.id if intent.post is not None else None
        return existing, False
    notification = Notification(
        user_id=intent.user_id, kind=intent.kind, actor_id=intent.actor_id,
        thread_id=intent.thread.id if intent.thread is not None else None,
        post_id=intent.post.id if intent.post is not None else None,
        message=intent.message, group_key=intent.group_key, count=1, created_at=now)
    db.session.add(notification)
    if intent.group_key:
        groups[intent.user_id, intent.group_key] = notification  # later intents bump it
    return notification, True


def _email(user: User, intent: Intent, notification: Notification | None) -> None:
    if notification is not None:
        key, path = f"notification:{notification.id}", serializers.notification_target(notification)
    else:  # kept out of the app: one email per post, or per event
        about = f"post:{intent.post.id}" if intent.post is not None else utcnow().isoformat()
        key = f"{intent.kind}:{user.id}:{about}"
        path = urls.post_url(intent.post.id) if intent.post is not None else \
            urls.thread_url(intent.thread.id) if intent.thread is not None else \
            urls.notifications_url()
    post = intent.post
    excerpt = text.plain_text(post.body, 400) if post is not None and post.body else ""
    # About one's own post, the quote needs no "… wrote:".
    author = post.author if post is not None and not intent.about_own_content else None
    mail.queue_email(user, intent.kind, key, intent.message, "notification",
                     message=intent.message, excerpt=excerpt, reason=KINDS[intent.kind].label,
                     author=author, link=urls.absolute(path))


def is_online(user_id: int) -> bool:
    """Whether the member has a live socket open (then they see the bell, not an email)."""
    return user_id in online_members({user_id})


def online_members(user_ids: set[int]) -> set[int]:
    """Those of `user_ids` with a live socket open, in any process."""
    try:
        return current_app.extensions["presence"].online(user_ids)
    except Exception as exc:  # presence unreachable: better an email too many than none
        current_app.logger.warning("online status unknown: %s", exc)
        return set()


# --- who hears of what: reactions (community.events) -------------------------------------

def _quote(title: str) -> str:
    return f"“{title}”"


def notify_new_thread(event: ThreadStarted) -> None:
    """Mentioned and quoted members, and those watching the forum, hear of a new thread."""
    thread, post = event.thread, event.post
    _about_post(post)
    forum = thread.forum
    watchers = db.session.scalars(select(ForumFollow.user_id).where(
        ForumFollow.forum_id == forum.id, ForumFollow.level == "watching"))
    for user_id in watchers:
        notify(Intent(user_id, "new_thread", post.author_id,
                      f"{post.author.name} started {_quote(thread.title)} in {forum.name}.",
                      thread=thread, post=post, group_key=f"new_thread:{forum.id}",
                      many="{count} new threads in " + forum.name + ".", keep_first=True))


def notify_new_post(event: PostPublished) -> None:
    """Mentioned and quoted members, and those watching the thread, hear of a new post."""
    post = event.post
    _about_post(post)
    thread = post.thread
    for user_id in _watchers(thread):
        notify(Intent(user_id, "reply", post.author_id,
                      f"{post.author.name} replied in {_quote(thread.title)}.",
                      thread=thread, post=post, group_key=f"reply:{thread.id}",
                      many="{count} new posts in " + _quote(thread.title) + ".", keep_first=True))


def _watchers(thread: Thread) -> set[int]:
    """Members watching the thread, or its forum without a level of their own for the thread."""
    own = dict(db.session.execute(select(ThreadFollow.user_id, ThreadFollow.level)
                                  .where(ThreadFollow.thread_id == thread.id)).all())
    forum = set(db.session.scalars(select(ForumFollow.user_id).where(
        ForumFollow.forum_id == thread.forum_id, ForumFollow.level == "watching")))
    return {u for u, level in own.items() if level == "watching"} | (forum - own.keys())


def notify_mentioned(event: MembersMentioned) -> None:
    """Members an edit mentions anew hear of it."""
    _notify_mentioned(event.post, event.user_ids)


def _notify_mentioned(post: Post, user_ids) -> None:
    thread, actor = post.thread, post.author
    for user_id in user_ids:
        notify(Intent(user_id, "mention", actor.id,
                      f"{actor.name} mentioned you in {_quote(thread.title)}.",
                      thread=thread, post=post))


def _about_post(post: Post) -> None:
    """Mentions and quotes in a post that has just become visible."""
    thread, actor = post.thread, post.author
    _notify_mentioned(post, db.session.scalars(select(Mention.user_id)
                                               .where(Mention.post_id == post.id)))
    quoted = [i for i in text.quoted_post_ids(post.body) if i != post.id]
    if quoted:
        authors = db.session.scalars(select(Post.author_id).where(Post.id.in_(quoted)).distinct())
        for user_id in authors:
            notify(Intent(user_id, "quote", actor.id,
                          f"{actor.name} quoted your post in {_quote(thread.title)}.",
                          thread=thread, post=post))


def notify_solution(event: SolutionChanged) -> None:
    """The answer's author and the asker hear that an answer was accepted."""
    thread, post, accepted, actor = event.thread, event.post, event.accepted, event.actor
    if not accepted:
        return
    actor_id = actor.id if actor is not None else None
    by = actor.name if actor is not None else "Someone"
    notify(Intent(post.author_id, "answer_accepted", actor_id,
                  f"{by} accepted your reply in {_quote(thread.title)} as the solution.",
                  thread=thread, post=post, group_key=f"answer_accepted:{post.id}"))
    notify(Intent(thread.author_id, "question_solved", actor_id,
                  f"{by} accepted an answer to your question {_quote(thread.title)}.",
                  thread=thread, post=post, group_key=f"question_solved:{thread.id}"))


def notify_idea_status(event: IdeaStatusChanged) -> None:
    """Close the loop: everyone who voted for or follows the idea hears of its new status."""
    thread, actor, new, note_post = event.thread, event.actor, event.new, event.note_post
    voters = select(ThreadVote.user_id).where(ThreadVote.thread_id == thread.id)
    followers = select(ThreadFollow.user_id).where(ThreadFollow.thread_id == thread.id,
                                                   ThreadFollow.level != "muted")
    message = f"{actor.name} marked {_quote(thread.title)} as {IdeaStatus(new).label}."
    for user_id in sorted(set(db.session.scalars(voters.union(followers)))):
        notify(Intent(user_id, "idea_status", actor.id, message, thread=thread, post=note_post,
                      group_key=f"idea_status:{thread.id}", many=message))


def notify_badge(event: BadgeAwarded) -> None:
    """The member hears of their new badge."""
    award = event.award
    badge, member = award.badge, award.user
    # The thread's title only if the member may read it; the notification then refers to
    # the thread, so it is masked when read if the member can no longer read it.
    thread = award.thread if award.thread is not None and visibility.may_read(
        member, award.thread) else None
    reason = award_reason(award, member)
    reason = f": {reason}" if reason else "."
    notify(Intent(award.user_id, "badge", award.awarded_by_id,
                  f"You earned the “{badge.name}” badge{reason}", thread=thread,
                  about_own_content=True))


def notify_rank(event: RankReached) -> None:
    """The member hears of their new rank."""
    notify(Intent(event.user.id, "rank", None,
                  f"You reached the rank of {event.rank}. Thank you for helping!"))


def notify_moderation(event: ModerationAction) -> None:
    """The member a moderator acted on hears what was done to their content, and why."""
    action, actor, target_user, post = event.action, event.actor, event.target_user, event.post
    reason = event.reason
    if target_user is None:
        return
    name = action.removesuffix("_post").removesuffix("_thread").removesuffix("_user")
    verb = MODERATION_VERBS.get(name, name.replace("_", " "))
    # The thread's title only if the member may read it (a move may have taken it away).
    what = "your account" if post is None else \
        f"your post in {_quote(post.thread.title)}" if visibility.may_read(target_user, post.thread) \
        else "your post"
    reason = (reason or "").strip()
    # No actor: the flags of members hid it automatically, not a moderator.
    who = "A moderator" if actor is not None else "Members' flags"
    message = f"{who} {verb} {what}." + (f" Reason: {reason}" if reason else "")
    notify(Intent(target_user.id, "moderation", actor.id if actor is not None else None, message,
                  thread=post.thread if post is not None else None, post=post,
                  about_own_content=True))


# --- reading state and preferences: the member's own use cases ---------------------------

def unread_counts(user_ids: Iterable[int]) -> dict[int, int]:
    """Unread notifications per member (a consolidated one counts once)."""
    ids = list(user_ids)
    if not ids:
        return {}
    return dict(db.session.execute(
        select(Notification.user_id, func.count()).where(
            Notification.user_id.in_(ids), Notification.read_at.is_(None))
        .group_by(Notification.user_id)).all())


@use_case
def mark_read(actor, ids: Iterable[int] = (), *, everything: bool = False) -> int:
    """A member: mark some of their notifications (or all) read; their unread count after."""
    permissions.require(actor, "manage_notifications", actor)
    stmt = update(Notification).where(Notification.user_id == actor.id,
                                      Notification.read_at.is_(None))
    if not everything:
        ids = list(ids)
        if not ids or len(ids) > 500 or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ValidationError("Say which notifications to mark read.",
                                  {"ids": "1 to 500 notification ids, or all."})
        stmt = stmt.where(Notification.id.in_(ids))
    changed = db.session.execute(stmt.values(read_at=utcnow())).rowcount
    unread = unread_counts([actor.id]).get(actor.id, 0)
    if changed:
        # Every open tab of the member updates its bell.
        publisher.publish("notification", {"notification": None, "unread": unread},
                          rooms.user(actor.id))
    return unread


@use_case
def open_notification(actor, notification_id: int) -> str:
    """A member: follow one of their notifications, marking it read; where it leads."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != actor.id:
        raise NotFound("No such notification.")
    if notification.read_at is None:
        mark_read(actor, [notification.id])
    return serializers.notification_target(notification)


def _default_preference(kind: str) -> tuple[bool, bool]:
    return True, KINDS[kind].email is not None


def _preferences(user_ids: Iterable[int]) -> dict[tuple[int, str], tuple[bool, bool]]:
    ids = list(user_ids)
    rows = db.session.scalars(select(NotificationPreference).where(
        NotificationPreference.user_id.in_(ids))) if ids else []
    return {(p.user_id, p.kind): (p.in_app, p.email) for p in rows}


def preferences_of(user: User) -> dict[str, dict[str, bool]]:
    """{kind: {"in_app": bool, "email": bool}} for every kind, defaults filled in."""
    stored = _preferences([user.id])
    result = {}
    for kind, spec in KINDS.items():
        in_app, email = stored.get((user.id, kind), _default_preference(kind))
        result[kind] = {"in_app": in_app, "email": email and spec.email is not None}
    return result


@use_case
def set_preferences(actor, user: User, *, kinds: dict | None = None, digest: str | None = None,
                    auto_follow: bool | None = None) -> dict[str, dict[str, bool]]:
    """The member themself: per kind, in the app and/or by email; the digest; auto-follow."""
    permissions.require(actor, "manage_notifications", user)
    errors = {}
    for kind, channels in (kinds or {}).items():
        if kind not in KINDS:
            errors[f"kinds.{kind}"] = "Unknown kind of notification."
        elif not isinstance(channels, dict) or not set(channels) <= {"in_app", "email"} or any(
                not isinstance(v, bool) for v in channels.values()):
            errors[f"kinds.{kind}"] = 'An object with "in_app" and/or "email", true or false.'
        elif channels.get("email") and KINDS[kind].email is None:
            errors[f"kinds.{kind}"] = "This kind is shown in the app only."
    if digest is not None and digest not in DIGESTS:
        errors["digest"] = f"One of {', '.join(DIGESTS)}."
    if auto_follow is not None and not isinstance(auto_follow, bool):
        errors["auto_follow"] = "true or false."
    if errors:
        raise ValidationError("Please correct the preferences.", errors)
    current = preferences_of(user)
    for kind, channels in (kinds or {}).items():
        chosen = current[kind] | channels
        db.session.merge(NotificationPreference(user_id=user.id, kind=kind,
                                                in_app=chosen["in_app"], email=chosen["email"]))
    if digest is not None:
        user.digest = digest
    if auto_follow is not None:
        user.auto_follow = auto_follow
    db.session.flush()
    return preferences_of(user)


@use_case
def unsubscribe(token: str, subscribe: bool = False) -> tuple[User, str]:
    """Whoever holds the signed link from an email: stop (or restart) that kind of email.

    "digest" is the email digest; any other kind is the kind of notification emailed.
    """
    found = mail.read_unsubscribe_token(token)
    user = db.session.get(User, found[0]) if found else None
    if user is None or (found[1] != "digest" and found[1] not in KINDS):
        raise NotFound("This unsubscribe link is not valid.")
    kind = found[1]
    if kind == "digest":
        user.digest = "weekly" if subscribe else "off"
    else:
        in_app = preferences_of(user)[kind]["in_app"]
        db.session.merge(NotificationPreference(user_id=user.id, kind=kind, in_app=in_app,
                                                email=subscribe))
    return user, kind
