"""A member's notifications, notification preferences and forum follows over JSON."""

from typing import Literal

from flask import jsonify, request
from flask_login import current_user
from pydantic import BaseModel, StrictBool

from .. import serializers
from ..errors import NotAuthenticated
from ..queries import forums as qf
from ..queries import notifications as q
from ..queries.paging import page_number, per_page_number
from ..services import follows, notifications
from . import bp
from .io import Id, documented, parse
from .schemas import AuthorOut, Body


class NotificationOut(BaseModel):
    id: int
    kind: str
    message: str
    count: int
    read: bool
    actor: AuthorOut | None
    thread_id: int | None
    post_id: int | None
    created_at: str
    url: str


class NotificationListOut(BaseModel):
    notifications: list[NotificationOut]
    unread: int
    page: int
    pages: int


class ReadIn(Body):
    ids: list[Id] | None = None
    all: StrictBool = False


class UnreadOut(BaseModel):
    unread: int


class ChannelsIn(Body):
    in_app: StrictBool | None = None
    email: StrictBool | None = None


class ChannelsOut(BaseModel):
    in_app: bool
    email: bool


class PreferencesIn(Body):
    kinds: dict[str, ChannelsIn] | None = None
    digest: Literal["off", "daily", "weekly"] | None = None
    auto_follow: StrictBool | None = None


class PreferencesOut(BaseModel):
    kinds: dict[str, ChannelsOut]
    digest: str
    auto_follow: bool


class ForumFollowIn(Body):
    level: Literal["watching", "tracking", "muted"] = "watching"


class ForumFollowOut(BaseModel):
    level: str | None


def _member():
    if not current_user.is_authenticated:
        raise NotAuthenticated("Please log in first.")
    return current_user


@bp.get("/notifications")
@documented("The caller's notifications, latest first", auth="member",
            query={"unread": "1: unread ones only", "page": "page number",
                   "per_page": "1 to 100 (default 30)"},
            responses={200: NotificationListOut})
def list_notifications():
    user = _member()
    page = q.notifications(user, unread_only=request.args.get("unread") == "1",
                           page=page_number(request.args.get("page")),
                           per_page=per_page_number(request.args.get("per_page"), q.PER_PAGE))
    return jsonify(notifications=[serializers.notification(n) for n in page.items],
                   unread=q.unread_count(user), page=page.page, pages=page.pages)


@bp.post("/notifications/read")
@documented("Mark notifications read: {ids: [...]} or {all: true}; the unread count after",
            auth="member", body=ReadIn, responses={200: UnreadOut})
def mark_read():
    user = _member()
    data = parse(ReadIn)
    if data.all:
        unread = notifications.mark_read(user, everything=True)
    else:
        unread = notifications.mark_read(user, data.ids or [])
    return jsonify(unread=unread)


def _preferences(user) -> dict:
    return serializers.notification_preferences(user, notifications.preferences_of(user))


@bp.get("/notifications/preferences")
@documented("The caller's notification preferences: per kind in the app and by email, the "
            "digest (off, daily, weekly), auto-following", auth="member",
            responses={200: PreferencesOut})
def get_preferences():
    return jsonify(_preferences(_member()))


@bp.put("/notifications/preferences")
@documented("Change notification preferences (only what is given changes)", auth="member",
            body=PreferencesIn, responses={200: PreferencesOut})
def put_preferences():
    user = _member()
    data = parse(PreferencesIn)
    kinds = None
    if data.kinds is not None:
        kinds = {kind: channels.model_dump(exclude_none=True)
                 for kind, channels in data.kinds.items()}
    notifications.set_preferences(user, user, kinds=kinds, digest=data.digest,
                                  auto_follow=data.auto_follow)
    return jsonify(_preferences(user))


@bp.put("/forums/<slug>/follow")
@documented("Follow a forum (watching: new threads and posts; tracking; muted)", auth="member",
            body=ForumFollowIn, responses={200: ForumFollowOut})
def follow_forum(slug: str):
    forum = qf.get_forum(current_user, slug)
    level = parse(ForumFollowIn).level
    return jsonify(level=follows.follow_forum(current_user, forum, level).level)


@bp.delete("/forums/<slug>/follow")
@documented("Stop following a forum", auth="member", responses={200: ForumFollowOut})
def unfollow_forum(slug: str):
    follows.unfollow_forum(current_user, qf.get_forum(current_user, slug))
    return jsonify(level=None)
