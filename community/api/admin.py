"""Admin over JSON (forums, site settings, webhooks) and a member's own data rights."""

from datetime import datetime
from typing import Literal

from flask import jsonify, request
from flask_login import current_user
from pydantic import BaseModel, StrictBool, StrictStr

from .. import permissions, serializers
from ..queries import admin as q
from ..queries.paging import page_number, per_page_number
from ..queries.site import site_settings
from ..services import data_rights, forums, site, webhooks
from . import bp
from .io import documented, parse
from .schemas import Body, ForumOut


class ForumPatch(Body):
    slug: StrictStr | None = None
    name: StrictStr | None = None
    description: StrictStr | None = None
    kind: Literal["discussion", "support", "ideas"] | None = None
    private: StrictBool | None = None
    premoderated: StrictBool | None = None


class AdminForumOut(ForumOut):
    premoderated: bool


class ForumOrderIn(Body):
    slugs: list[StrictStr]


class AdminForumListOut(BaseModel):
    forums: list[AdminForumOut]


class SettingsPatch(Body):
    name: StrictStr | None = None
    tagline: StrictStr | None = None
    logo_url: StrictStr | None = None
    primary_color: StrictStr | None = None
    accent_color: StrictStr | None = None
    banner: StrictStr | None = None
    footer_links: StrictStr | None = None


class SettingsOut(BaseModel):
    name: str
    tagline: str
    logo_url: str
    primary_color: str
    accent_color: str
    banner: str
    footer_links: str


class WebhookIn(Body):
    url: StrictStr
    events: list[StrictStr]
    description: StrictStr = ""
    include_private: StrictBool = False
    active: StrictBool = True


class WebhookPatch(Body):
    url: StrictStr | None = None
    events: list[StrictStr] | None = None
    description: StrictStr | None = None
    include_private: StrictBool | None = None
    active: StrictBool | None = None


class WebhookOut(BaseModel):
    id: int
    url: str
    description: str
    events: list[str]
    active: bool
    include_private: bool
    secret: str
    created_at: datetime


class WebhookListOut(BaseModel):
    webhooks: list[WebhookOut]


class DeliveryOut(BaseModel):
    id: int
    uuid: str
    event: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    response_code: int | None
    error: str
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    payload: str


class DeliveryListOut(BaseModel):
    deliveries: list[DeliveryOut]
    page: int
    pages: int
    total: int


class AccountDeleteIn(Body):
    mode: Literal["anonymise", "remove"]
    password: StrictStr


def _given(model: BaseModel) -> dict:
    return model.model_dump(exclude_unset=True)


# --- forums ------------------------------------------------------------------------------

@bp.patch("/forums/<slug>")
@documented("Change a forum (slug, name, description, kind while empty, private, premoderated)",
            auth="admin", body=ForumPatch, responses={200: AdminForumOut})
def admin_update_forum(slug: str):
    permissions.require(current_user, "manage_forums")
    data = parse(ForumPatch)
    forum = forums.update_forum(current_user, q.get_forum(slug), **_given(data))
    return jsonify(serializers.forum_settings(forum))


@bp.put("/forums/order")
@documented("Put every forum in this order", auth="admin", body=ForumOrderIn,
            responses={200: AdminForumListOut})
def admin_order_forums():
    data = parse(ForumOrderIn)
    return jsonify(forums=[serializers.forum_settings(f)
                           for f in forums.reorder_forums(current_user, data.slugs)])


# --- site settings -----------------------------------------------------------------------

@bp.get("/site/settings")
@documented("The community's name, tagline and brand theme", responses={200: SettingsOut})
def site_settings_show():
    return jsonify(site_settings())


@bp.patch("/site/settings")
@documented("Change site settings; colours are checked for contrast", auth="admin",
            body=SettingsPatch, responses={200: SettingsOut})
def site_settings_update():
    data = parse(SettingsPatch)
    site.update_settings(current_user, **_given(data))
    return jsonify(site_settings())


# --- webhooks ----------------------------------------------------------------------------

def _hook(webhook_id: int):
    permissions.require(current_user, "manage_webhooks")
    return q.get_webhook(webhook_id)


@bp.get("/webhooks")
@documented("Registered webhooks", auth="admin", responses={200: WebhookListOut})
def webhooks_list():
    permissions.require(current_user, "manage_webhooks")
    return jsonify(webhooks=[serializers.webhook(row.webhook) for row in q.webhook_rows()])


@bp.post("/webhooks")
@documented("Register a webhook for some events", auth="admin", body=WebhookIn,
            responses={201: WebhookOut})
def webhooks_create():
    data = parse(WebhookIn)
    hook = webhooks.create_webhook(current_user, data.url, data.events, data.description,
                                   data.include_private, data.active)
    return jsonify(serializers.webhook(hook)), 201


@bp.get("/webhooks/<int:webhook_id>")
@documented("A webhook", auth="admin", responses={200: WebhookOut})
def webhooks_show(webhook_id: int):
    return jsonify(serializers.webhook(_hook(webhook_id)))


@bp.patch("/webhooks/<int:webhook_id>")
@documented("Change a webhook", auth="admin", body=WebhookPatch, responses={200: WebhookOut})
def webhooks_update(webhook_id: int):
    hook = _hook(webhook_id)
    data = parse(WebhookPatch)
    hook = webhooks.update_webhook(current_user, hook, **_given(data))
    return jsonify(serializers.webhook(hook))


@bp.delete("/webhooks/<int:webhook_id>")
@documented("Delete a webhook and its delivery log", auth="admin", responses={204: "Deleted"})
def webhooks_delete(webhook_id: int):
    webhooks.delete_webhook(current_user, _hook(webhook_id))
    return "", 204


@bp.post("/webhooks/<int:webhook_id>/secret")
@documented("Give a webhook a new signing secret", auth="admin", responses={200: WebhookOut})
def webhooks_rotate_secret(webhook_id: int):
    hook = webhooks.rotate_webhook_secret(current_user, _hook(webhook_id))
    return jsonify(serializers.webhook(hook))


@bp.post("/webhooks/<int:webhook_id>/test")
@documented("Queue a ping delivery", auth="admin", responses={202: DeliveryOut})
def webhooks_test(webhook_id: int):
    delivery = webhooks.send_test_webhook(current_user, _hook(webhook_id))
    return jsonify(serializers.delivery(delivery)), 202


@bp.get("/webhooks/<int:webhook_id>/deliveries")
@documented("A webhook's delivery log, newest first", auth="admin",
            responses={200: DeliveryListOut},
            query={"page": "Page number, from 1", "per_page": "Items per page, at most 100"})
def webhooks_deliveries(webhook_id: int):
    hook = _hook(webhook_id)
    page = q.deliveries(hook, page_number(request.args.get("page")),
                        per_page_number(request.args.get("per_page"), 25))
    return jsonify(deliveries=[serializers.delivery(d) for d in page.items], page=page.page,
                   pages=page.pages, total=page.total)


@bp.post("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver")
@documented("Send a finished delivery again", auth="admin", responses={202: DeliveryOut})
def webhooks_redeliver(webhook_id: int, delivery_id: int):
    hook = _hook(webhook_id)
    delivery = webhooks.redeliver(current_user, q.get_delivery(hook, delivery_id))
    return jsonify(serializers.delivery(delivery)), 202


# --- a member's own data -----------------------------------------------------------------

@bp.get("/me/export")
@documented("Everything stored about the caller (their data export)", auth="member",
            responses={200: "The export: profile, posts, votes, notifications, points…"})
def me_export():
    permissions.require(current_user, "export_account", current_user)
    return jsonify(q.account_export(current_user))


@bp.delete("/me/account")
@documented("Delete the caller's account, anonymising or removing their posts", auth="member",
            body=AccountDeleteIn, responses={204: "Deleted"})
def me_delete():
    permissions.require(current_user, "delete_account", current_user)
    data = parse(AccountDeleteIn)
    data_rights.delete_account(current_user, current_user, data.mode, data.password)
    return "", 204
