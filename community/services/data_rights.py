"""Data rights: closing an account, keeping its content anonymised or removing it.

What happens to what (docs/integrations.md has the member-facing version):

- both choices: the profile is scrubbed (username becomes deleted-<id>, email, name and
  bio go, the password can no longer be used), API tokens, notifications, follows,
  preferences, queued emails, points and badges are deleted, and the account is closed
  (it can never sign in again). Votes stay counted, anonymously.
- "anonymise": posts and threads stay, shown as by "Deleted user"; free-text comments on
  satisfaction surveys are blanked.
- "remove": every post is deleted as if the member had deleted it (counters, points and
  live updates follow) and its text is erased with its edit history; the titles of the
  threads they started are replaced; satisfaction answers are deleted.
"""

import json
from datetime import UTC, datetime

from sqlalchemy import delete, func, select

from .. import permissions
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..models import (ApiToken, AuditEntry, BadgeAward, CsatRating, ForumFollow, Notification,
                      NotificationPreference, NpsResponse, OutboxEmail, PointEntry, PointTotal,
                      Post, PostRevision, PostState, Role, Thread, ThreadFollow, User)
from ..security import verify_password
from . import forums
from .unit import use_case

MODES = ("anonymise", "remove")
DELETED_NAME = "Deleted user"
REMOVED_TITLE = "Removed by its author"
# A closed account counts as suspended for good, so nothing lets it act again.
CLOSED_UNTIL = datetime(9999, 1, 1, tzinfo=UTC)
CLOSED_REASON = "This account was deleted."
# Not a hash any password can match: verification fails before comparing anything.
UNUSABLE_PASSWORD = "!closed"


def is_closed(user: User) -> bool:
    return user.suspended_until == CLOSED_UNTIL and user.suspended_reason == CLOSED_REASON


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

    if mode == "remove":
        _remove_content(actor, user)
    _forget_personal_data(user, mode)
    _close(user)
    db.session.add(AuditEntry(actor_id=actor.id if actor.id != user.id else None,
                              action="delete_account", target_type="user", target_id=user.id,
                              details=json.dumps({"mode": mode})))
    return user


def _remove_content(actor, user: User) -> None:
    if user.is_suspended():
        # Closing the account supersedes a suspension (it is closed for good just after),
        # and a suspended member may not otherwise delete posts.
        user.suspended_until = None
    remover = user if actor.id == user.id else actor
    posts = db.session.scalars(select(Post).where(Post.author_id == user.id)
                               .order_by(Post.id)).all()
    for post in posts:
        if post.state in (PostState.PUBLISHED, PostState.PENDING):
            forums.delete_post(remover, post)
        post.state = PostState.DELETED
        post.body, post.html = "", ""
    post_ids = [p.id for p in posts]
    if post_ids:
        db.session.execute(delete(PostRevision).where(PostRevision.post_id.in_(post_ids)))
    for thread in db.session.scalars(select(Thread).where(Thread.author_id == user.id)):
        thread.title = REMOVED_TITLE
    db.session.execute(delete(CsatRating).where(CsatRating.user_id == user.id))
    db.session.execute(delete(NpsResponse).where(NpsResponse.user_id == user.id))


def _forget_personal_data(user: User, mode: str) -> None:
    for model in (ApiToken, Notification, ThreadFollow, ForumFollow, NotificationPreference,
                  OutboxEmail, PointTotal, PointEntry, BadgeAward):
        db.session.execute(delete(model).where(model.user_id == user.id))
    if mode == "anonymise":
        for rating in db.session.scalars(select(CsatRating).where(CsatRating.user_id == user.id)):
            rating.comment = ""
        for answer in db.session.scalars(select(NpsResponse).where(NpsResponse.user_id == user.id)):
            answer.comment = ""


def _close(user: User) -> None:
    name = f"deleted-{user.id}"
    taken = db.session.scalar(select(User.id).where(func.lower(User.username) == name,
                                                    User.id != user.id))
    user.username = name if taken is None else f"deleted-{user.id}-{taken}"
    user.email = f"{user.username}@deleted.invalid"
    user.display_name, user.bio = DELETED_NAME, ""
    user.password_hash = UNUSABLE_PASSWORD
    user.role = Role.MEMBER
    user.points, user.visit_streak, user.days_visited = 0, 0, 0
    user.last_seen_at, user.last_visit_on = None, None
    user.digest, user.auto_follow = "off", False
    user.suspended_until, user.suspended_reason = CLOSED_UNTIL, CLOSED_REASON
