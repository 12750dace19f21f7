"""Data rights: closing an account, keeping its content anonymised or removing it.

docs/data-rights.md is the contract (what each mode promises, table by table); in short:

- both modes: the profile is scrubbed (username becomes deleted-<id>, email, name and
  bio go, the password can no longer be used); every row that is the member's own (any
  table with a `user_id` to them: tokens, login sessions, notifications, follows,
  preferences, queued emails, points, badges, mentions…) is deleted, except votes, poll
  ballots, flags and activity days, which stay counted without a name; their name,
  username and email are swept out of what the community wrote about them (others'
  notifications and emails, webhook deliveries, the audit log, review reasons, flag
  notes, badge reasons, suspension reasons); other members' @mentions and quotes of them
  are re-pointed at the new name (as Discourse does on a rename). Live sockets are cut.
- "anonymise": posts, threads and polls stay, shown as by "Deleted user" (their own
  name is swept out of them too); free-text comments on satisfaction surveys are blanked.
- "remove": every post is deleted as if the member had deleted it (counters, points and
  live updates follow) and its text is erased with its edit history, from webhook logs,
  audit details, emails and from other members' quotes of it; the titles of the threads
  they started and their polls are replaced (other members' replies and votes stay; a
  thread left with no visible post is hidden); satisfaction answers are deleted, flag
  notes blanked, and others' notifications about their posts deleted.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from markupsafe import escape
from sqlalchemy import delete, func, or_, select, update

from .. import permissions, text
from ..domain_events import AccessNarrowed, record
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..models import (AuditEntry, Base, BadgeAward, CsatRating, Flag, Notification,
                      NpsResponse, OutboxEmail, Poll, Post, PostRevision, PostState,
                      ReviewItem, Role, Setting, Thread, User, utcnow)
from ..models.integrations import WebhookDelivery
from ..security import verify_password
from . import forums, lifecycle, notifications
from .writing import render
from .unit import use_case

MODES = ("anonymise", "remove")
DELETED_NAME = "Deleted user"
REMOVED_TITLE = "Removed by its author"
REMOVED_POLL = "Poll removed by its author"
REMOVED_QUOTE = "*(removed by its author)*"
# A closed account counts as suspended for good, so nothing lets it act again.
CLOSED_UNTIL = datetime(9999, 1, 1, tzinfo=UTC)
CLOSED_REASON = "This account was deleted."
# Not a hash any password can match: verification fails before comparing anything.
UNUSABLE_PASSWORD = "!closed"

# Tables with a `user_id` whose rows stay (without a name) when an account is deleted:
# votes and ballots keep counting, flags keep their weight in the review queue, activity
# days keep the engagement figures; satisfaction answers are handled by the mode. Every
# other table with a `user_id` to the member is the member's own and is deleted, so a
# table added later is forgotten with the account unless it is listed here.
KEPT_WITHOUT_NAME = frozenset({"thread_vote", "post_vote", "poll_ballot", "flag",
                               "member_activity", "csat_rating", "nps_response"})

# What the community wrote about people (model, text columns): the member's name,
# username and email are swept out of these, whoever the row belongs to.
RECORDS_ABOUT_PEOPLE = (
    (Notification, ("message",)),
    (OutboxEmail, ("subject", "body_text", "body_html")),
    (WebhookDelivery, ("payload", "response_body", "error")),
    (AuditEntry, ("reason", "details")),
    (ReviewItem, ("reason",)),
    (Flag, ("note",)),
    (BadgeAward, ("reason",)),
    (User, ("suspended_reason",)),
    (Setting, ("value",)),
)


def is_closed(user: User) -> bool:
    return user.suspended_until == CLOSED_UNTIL and user.suspended_reason == CLOSED_REASON


@dataclass
class _Removed:
    """What "remove" erased: ids, and the texts that other records may still quote."""

    post_ids: set[int] = field(default_factory=set)
    thread_ids: set[int] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)


@use_case
def delete_account(actor, user: User, mode: str, password: str) -> User:
    """The member themself (or an admin), confirming with their password: close the account.

    `mode` is "anonymise" (content stays, credited to "Deleted user") or "remove" (content
    is deleted too). The last admin cannot go.
    """
    permissions.require(actor, "delete_account", user)
    if mode not in MODES:
        raise ValidationError("Choose what happens to your posts.",
                              {"mode": "anonymise or remove."})
    if not verify_password(actor.password_hash, password or ""):
        raise ValidationError("Your password is not correct.", {"password": "Not correct."})
    if is_closed(user):
        raise Conflict("This account is already deleted.")
    if user.role == Role.ADMIN:
        admins = db.session.scalar(select(func.count()).where(User.role == Role.ADMIN))
        if admins <= 1:
            raise Conflict("The community needs at least one admin: make someone else admin first.")

    old_username, old_display_name, old_email = user.username, user.display_name, user.email
    removed = _remove_content(user) if mode == "remove" else None
    _forget_personal_data(user, mode)
    _close(user)
    sweep = _Sweep(old_username, old_display_name, old_email, user.username, user.email,
                   removed)
    _repoint_references(old_username, user.username, removed)
    if removed is None:
        _anonymise_own_content(user, sweep)
    _sweep_records(sweep, removed, old_username)
    notifications.forget_pending(user.id)
    db.session.add(AuditEntry(actor_id=actor.id if actor.id != user.id else None,
                              action="delete_account", target_type="user", target_id=user.id,
                              details=json.dumps({"mode": mode})))
    # Their open sockets (signed in by cookie or token) are dropped.
    record(AccessNarrowed(user_id=user.id))
    return user


# --- "remove": the member's content --------------------------------------------------------

def _remove_content(user: User) -> _Removed:
    if user.is_suspended():
        # Closing the account supersedes a suspension (it is closed for good just after),
        # and a suspended member may not otherwise delete posts.
        user.suspended_until = None
    removed = _Removed()
    posts = db.session.scalars(select(Post).where(Post.author_id == user.id)
                               .order_by(Post.id)).all()
    for post in posts:
        # As if the member deleted it themself: no moderator notice, points undone.
        if post.state in (PostState.PUBLISHED, PostState.PENDING):
            forums.delete_post(user, post)
        post.state = PostState.DELETED
        post.body, post.html = "", ""
        removed.post_ids.add(post.id)
    if removed.post_ids:
        db.session.execute(delete(PostRevision).where(PostRevision.post_id.in_(removed.post_ids)))
    for thread in db.session.scalars(select(Thread).where(Thread.author_id == user.id)):
        removed.thread_ids.add(thread.id)
        removed.titles.add(thread.title)
        thread.title = REMOVED_TITLE
        lifecycle.hide_if_empty(thread)
    for poll in db.session.scalars(select(Poll).where(Poll.thread_id.in_(removed.thread_ids))):
        poll.question = REMOVED_POLL
        poll.closes_at = poll.closes_at if poll.closes_at and poll.closes_at < utcnow() \
            else utcnow()
        for option in poll.options:
            option.label = f"Option {option.position + 1}"
    # Notifications of other members about the removed posts go (as Discourse does); the
    # emails they caused with them, since those quote the text.
    about = select(Notification.id).where(Notification.post_id.in_(removed.post_ids))
    keys = [f"notification:{i}" for i in db.session.scalars(about)]
    if keys:
        db.session.execute(delete(OutboxEmail).where(OutboxEmail.dedupe_key.in_(keys)))
    for post_id in removed.post_ids:  # emails kept out of the app: "<kind>:<user>:post:<id>"
        db.session.execute(delete(OutboxEmail).where(
            OutboxEmail.dedupe_key.like(f"%:post:{post_id}")))
    db.session.execute(delete(Notification).where(Notification.post_id.in_(removed.post_ids)),
                       execution_options={"synchronize_session": False})
    db.session.execute(update(Flag).where(Flag.user_id == user.id).values(note=""))
    db.session.execute(delete(CsatRating).where(CsatRating.user_id == user.id))
    db.session.execute(delete(NpsResponse).where(NpsResponse.user_id == user.id))
    return removed


# --- both modes: the member's own rows and profile -----------------------------------------

def _forget_personal_data(user: User, mode: str) -> None:
    db.session.flush()
    for table in reversed(Base.metadata.sorted_tables):
        column = table.c.get("user_id")
        if column is None or table.name in KEPT_WITHOUT_NAME or not any(
                fk.column.table.name == "user" for fk in column.foreign_keys):
            continue
        mapped = _mapped_class(table)
        stmt = delete(mapped) if mapped is not None else table.delete()
        db.session.execute(stmt.where(column == user.id),
                           execution_options={"synchronize_session": False})
    db.session.execute(update(User).where(User.id == user.id)
                       .values(silenced_until=None, silenced_reason=""))
    if mode == "anonymise":
        db.session.execute(update(CsatRating).where(CsatRating.user_id == user.id)
                           .values(comment=""))
        db.session.execute(update(NpsResponse).where(NpsResponse.user_id == user.id)
                           .values(comment=""))
    db.session.expire_all()


def _mapped_class(table):
    for mapper in Base.registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    return None


def _close(user: User) -> None:
    name = f"deleted-{user.id}"
    taken = db.session.scalar(select(User.id).where(func.lower(User.username) == name,
                                                    User.id != user.id))
    user.username = name if taken is None else f"deleted-{user.id}-{taken}"
    user.email = f"{user.username}@deleted.invalid"
    user.display_name, user.bio = DELETED_NAME, ""
    user.password_hash = UNUSABLE_PASSWORD
    user.role = Role.MEMBER
    user.trust_level, user.trust_locked = 0, False
    user.points, user.visit_streak, user.days_visited = 0, 0, 0
    user.last_seen_at, user.last_visit_on = None, None
    user.digest, user.auto_follow = "off", False
    user.suspended_until, user.suspended_reason = CLOSED_UNTIL, CLOSED_REASON
    db.session.flush()


# --- both modes: the name, wherever the community wrote it -----------------------------------

class _Sweep:
    """Replaces the member's email, username and display name (whole words, any case) in a
    text, in its raw, HTML-escaped (emails) and JSON-escaped (audit details, webhook
    payloads) forms; in "remove", also the titles of the threads it retitled (whole, as
    written), which notifications, emails, badge reasons and logs quote."""

    def __init__(self, username: str, display_name: str, email: str, new_username: str,
                 new_email: str, removed: _Removed | None) -> None:
        names = [(email, new_email), (username, new_username)]
        if display_name.strip() and display_name.strip().lower() != username.lower():
            names.append((display_name.strip(), DELETED_NAME))
        titles = [(t, REMOVED_TITLE) for t in (removed.titles if removed else ()) if t.strip()]
        self.names, self.name_needles = self._compile(names, re.IGNORECASE)
        self.titles, self.title_needles = self._compile(titles, 0)

    @staticmethod
    def _compile(pairs, flags) -> tuple[list[tuple[re.Pattern, str]], set[str]]:
        patterns, needles = [], set()
        # Longest first: the email goes before the username inside it.
        for old, new in sorted(pairs, key=lambda pair: -len(pair[0])):
            for form in (lambda v: v, lambda v: str(escape(v)), lambda v: json.dumps(v)[1:-1]):
                needle = form(old)
                if needle not in needles:
                    needles.add(needle)
                    patterns.append((re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", flags),
                                     form(new)))
        return patterns, needles

    def __call__(self, value: str | None) -> str | None:
        if not value:
            return value
        for pattern, new in self.names + self.titles:
            value = pattern.sub(lambda _: new, value)
        return value

    def matches(self, column):
        """SQL: the rows whose `column` may hold something to sweep (checked again in Python)."""
        return or_(*(func.lower(column).contains(n.lower(), autoescape=True)
                     for n in sorted(self.name_needles | self.title_needles)))


def _sweep_records(sweep: _Sweep, removed: _Removed | None, old_username: str) -> None:
    db.session.flush()
    for model, names in RECORDS_ABOUT_PEOPLE:
        table = model.__table__
        columns = [table.c[name] for name in names]
        key = list(table.primary_key.columns)
        extra = [table.c.target_type, table.c.target_id] if model is AuditEntry else []
        # Whatever quotes their posts or threads also names them (an author or a "user"
        # field, a title), so the name is what finds the rows to look at.
        stmt = select(*key, *extra, *columns).where(or_(*(sweep.matches(c) for c in columns)))
        for row in db.session.execute(stmt).all():
            ids = row[:len(key)]
            target = tuple(row[len(key):len(key) + len(extra)])
            changed = {}
            for name, value in zip(names, row[len(key) + len(extra):], strict=True):
                new = sweep(_redact_json(model, name, value, target, removed, old_username,
                                         sweep))
                if new != value:
                    changed[name] = new
            if changed:
                # A Core update: the audit log refuses ORM updates of anything but its actor
                # link; erasure is the one other change it takes (docs/data-rights.md).
                db.session.execute(update(table).where(
                    *(c == i for c, i in zip(key, ids, strict=True))).values(**changed))
    db.session.expire_all()


def _redact_json(model, name: str, value, target: tuple, removed: _Removed | None,
                 old_username: str, sweep: "_Sweep"):
    """In "remove": the member's post bodies and titles quoted in webhook payloads and
    audit details (a moderator's edit of their post logs its text before and after), and
    what other members' posts there quoted of them."""
    if removed is None or not value or (model, name) not in (
            (WebhookDelivery, "payload"), (AuditEntry, "details")):
        return value
    try:
        data = json.loads(value)
    except ValueError:
        return value
    their_post = target[:1] == ("post",) and target[1] in removed.post_ids
    their_thread = target[:1] == ("thread",) and target[1] in removed.thread_ids

    def walk(node):
        if isinstance(node, dict):
            if node.get("id") in removed.post_ids and "thread_id" in node:
                for k in ("body", "html"):
                    if k in node:
                        node[k] = None
            elif "thread_id" in node and isinstance(node.get("body"), str):
                body = sweep(node["body"])
                dropped = _drop_quoted(body, removed.post_ids)
                if dropped != body:
                    node["body"] = dropped
                    if "html" in node:
                        node["html"] = render(dropped).html
            if node.get("id") in removed.thread_ids and "title" in node:
                node["title"] = REMOVED_TITLE
            actor = node.get("actor")
            if "note" in node and isinstance(actor, dict) and actor.get("username") == old_username:
                node["note"] = ""  # an idea status note they wrote
            for k, child in node.items():
                if their_post and k in ("body", "html") and isinstance(child, str):
                    node[k] = ""
                elif their_thread and k == "title" and isinstance(child, str):
                    node[k] = REMOVED_TITLE
                else:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(data)
    if model is AuditEntry:
        return json.dumps(data, default=str, sort_keys=True)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


# --- both modes: other members' mentions and quotes of them ------------------------------------

def _repoint_references(old: str, new: str, removed: _Removed | None) -> None:
    """@old and [quote=old post=…] in anyone's posts and revisions become the new name (as
    Discourse rewrites them on a rename); in "remove", quoted text of theirs goes too."""
    # As text.MENTION_RE reads a mention: "@old." is old, "@old.x" is someone else.
    mention = re.compile(r"(?<![\w.+\-@/])@" + re.escape(old)
                         + r"(?![A-Za-z0-9_]|[.-]+[A-Za-z0-9_])", re.IGNORECASE)
    quote = re.compile(r"(?m)^( {0,3}\[quote=)" + re.escape(old) + r"( post=(\d{1,18})\])",
                       re.IGNORECASE)

    def rewrite(body: str) -> str:
        body = mention.sub("@" + new, body)
        body = quote.sub(lambda m: m.group(1) + new + m.group(2), body)
        if removed is not None and removed.post_ids:
            body = _drop_quoted(body, removed.post_ids)
        return body

    like = [func.lower(Post.body).contains(f"@{old.lower()}", autoescape=True),
            func.lower(Post.body).contains(f"[quote={old.lower()} ", autoescape=True)]
    for post in db.session.scalars(select(Post).where(or_(*like))):
        body = rewrite(post.body)
        if body != post.body:
            post.body, post.html = body, render(body).html
            post.revision += 1  # an editor open on the old text must not save over this
    like = [func.lower(PostRevision.body).contains(f"@{old.lower()}", autoescape=True),
            func.lower(PostRevision.body).contains(f"[quote={old.lower()} ", autoescape=True)]
    for revision in db.session.scalars(select(PostRevision).where(or_(*like))):
        revision.body = rewrite(revision.body)
    db.session.flush()


def _drop_quoted(body: str, post_ids: set[int]) -> str:
    """The body with the content of its quotes of `post_ids` replaced by a placeholder."""
    out, depth = [], 0
    for line in body.split("\n"):
        opener = text.QUOTE_OPEN_RE.fullmatch(line)
        closer = text.QUOTE_CLOSE_RE.fullmatch(line)
        if depth:
            if opener:
                depth += 1
            elif closer:
                depth -= 1
                if not depth:
                    out.extend([REMOVED_QUOTE, line])
            continue
        out.append(line)
        if opener and int(opener.group(2)) in post_ids:
            depth = 1
    if depth:  # an unclosed quote runs to the end
        out.append(REMOVED_QUOTE)
    return "\n".join(out)


# --- "anonymise": the member's own content keeps its text, not their name ---------------------

def _anonymise_own_content(user: User, sweep: _Sweep) -> None:
    for post in db.session.scalars(select(Post).where(Post.author_id == user.id)):
        body = sweep(post.body)
        if body != post.body:
            post.body, post.html = body, render(body).html
            post.revision += 1
    revisions = select(PostRevision).join(Post, Post.id == PostRevision.post_id).where(
        Post.author_id == user.id)
    for revision in db.session.scalars(revisions):
        revision.body = sweep(revision.body)
    threads = db.session.scalars(select(Thread).where(Thread.author_id == user.id)).all()
    for thread in threads:
        thread.title = sweep(thread.title)
    polls = select(Poll).where(Poll.thread_id.in_([t.id for t in threads]))
    for poll in db.session.scalars(polls):
        poll.question = sweep(poll.question)
        for option in poll.options:
            option.label = sweep(option.label)
    db.session.flush()
