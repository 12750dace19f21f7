"""The admin console (/admin): forums, members, site and brand, webhooks; and the theme CSS."""

from flask import (Blueprint, Response, current_app, flash, g, redirect, render_template,
                   request, send_file, url_for)
from flask_login import current_user

from .. import permissions
from ..errors import InputError, NotFound, ValidationError
from ..models import ForumKind, Role
from ..queries import admin as q
from ..queries.paging import page_number
from ..queries.site import footer_links, site_settings, theme_version
from ..services import accounts, forums, site, webhooks
from ..services import admin as console

bp = Blueprint("admin", __name__)

PUBLIC_ENDPOINTS = {"admin.theme_css", "admin.logo"}


@bp.before_request
def admins_only():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    permissions.require(current_user, "administer")
    return None


@bp.app_template_global("footer_links")
def _footer_links(settings: dict) -> list[tuple[str, str]]:
    return footer_links(settings)


@bp.app_template_global("theme_version")
def _theme_version(settings: dict) -> str:
    return theme_version(settings)


def _flag(name: str) -> bool:
    return request.form.get(name) in ("on", "1", "true", "yes")


# --- theme and logo (public) ---------------------------------------------------------------

@bp.route("/theme.css")
def theme_css():
    settings = g.site if "site" in g else site_settings()
    css = render_template("admin/theme.css", colours=console.theme_colours(settings))
    response = Response(css, mimetype="text/css")
    if request.args.get("v") == theme_version(settings):
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/brand/logo")
def logo():
    stored = console.stored_logo()
    if stored is None:
        raise NotFound("There is no uploaded logo.")
    path, mimetype = stored
    max_age = 31536000 if request.args.get("v") else 300
    response = send_file(path, mimetype=mimetype, max_age=max_age)
    response.headers["Content-Disposition"] = "inline"
    return response


# --- overview ----------------------------------------------------------------------------

@bp.route("/admin")
def index():
    return render_template("admin/index.html", counts=q.console_counts())


# --- forums ------------------------------------------------------------------------------

def _forum_values() -> dict:
    form = request.form
    return {"slug": form.get("slug", ""), "name": form.get("name", ""),
            "description": form.get("description", ""), "kind": form.get("kind", ""),
            "private": _flag("private"), "premoderated": _flag("premoderated")}


@bp.route("/admin/forums", methods=["GET", "POST"])
def forum_list():
    errors, values, status = {}, {"kind": ForumKind.DISCUSSION}, 200
    if request.method == "POST":
        values = _forum_values()
        try:
            forum = console.open_forum(current_user, **values)
            flash(f"Forum “{forum.name}” created.", "success")
            return redirect(url_for(".forum_list"))
        except InputError as exc:
            errors, status = exc.fields or {"form": exc.message}, exc.status
            flash(exc.message, "error")
    return render_template("admin/forums.html", forums=q.all_forums(), kinds=list(ForumKind),
                           errors=errors, values=values), status


@bp.route("/admin/forums/<slug>", methods=["GET", "POST"])
def forum_edit(slug: str):
    forum = q.get_forum(slug)
    errors, status = {}, 200
    values = {"slug": forum.slug, "name": forum.name, "description": forum.description,
              "kind": forum.kind, "private": forum.private, "premoderated": forum.premoderated}
    if request.method == "POST":
        values = _forum_values()
        try:
            forums.update_forum(current_user, forum, **values)
            flash(f"Forum “{forum.name}” saved.", "success")
            return redirect(url_for(".forum_list"))
        except InputError as exc:
            errors, status = exc.fields or {"form": exc.message}, exc.status
            flash(exc.message, "error")
    return render_template("admin/forum_edit.html", forum=forum, kinds=list(ForumKind),
                           errors=errors, values=values), status


@bp.route("/admin/forums/<slug>/move", methods=["POST"])
def forum_move(slug: str):
    order = [f.slug for f in q.all_forums()]
    if slug not in order:
        raise NotFound("No such forum.")
    i = order.index(slug)
    j = i - 1 if request.form.get("direction") == "up" else i + 1
    if 0 <= j < len(order):
        order[i], order[j] = order[j], order[i]
        forums.reorder_forums(current_user, order)
    return redirect(url_for(".forum_list", _anchor=f"forum-{slug}"))


# --- members -----------------------------------------------------------------------------

def _member_args() -> dict:
    args = {k: request.values.get(k, "").strip() for k in ("q", "role")}
    return {k: v for k, v in args.items() if v}


@bp.route("/admin/members")
def members():
    permissions.require(current_user, "manage_members")
    args = _member_args()
    page = q.find_members(args.get("q", ""), args.get("role", ""),
                          page_number(request.args.get("page")))
    return render_template("admin/members.html", page=page, args=args, roles=list(Role),
                           error=None)


@bp.route("/admin/members/<username>/role", methods=["POST"])
def member_role(username: str):
    user = accounts.get_user(username)
    args = _member_args()
    page_arg = request.form.get("page")
    try:
        accounts.set_role(current_user, user, request.form.get("new_role", ""))
    except InputError as exc:
        flash(f"{user.username}: {exc.message} Nothing was changed.", "error")
        page = q.find_members(args.get("q", ""), args.get("role", ""), page_number(page_arg))
        return render_template("admin/members.html", page=page, args=args, roles=list(Role),
                               error=(user.username, exc.message)), exc.status
    flash(f"{user.username} is now {user.role}.", "success")
    return redirect(url_for(".members", page=page_arg or None, **args))


# --- site and brand ----------------------------------------------------------------------

SITE_FIELDS = ("name", "tagline", "banner", "primary_color", "accent_color", "logo_url",
               "footer_links")


@bp.route("/admin/site", methods=["GET", "POST"])
def site_settings_page():
    errors, status = {}, 200
    values = dict(site_settings())
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in SITE_FIELDS}
        if _flag("remove_logo"):
            values["logo_url"] = ""
        upload = request.files.get("logo_file")
        has_file = upload is not None and bool(upload.filename)
        logo = upload.read(console.MAX_LOGO_BYTES + 1) if has_file else None
        try:
            site.update_site(current_user, values, logo)
            flash("Site settings saved.", "success")
            return redirect(url_for(".site_settings_page"))
        except InputError as exc:
            errors, status = exc.fields or {"form": exc.message}, exc.status
            flash(exc.message, "error")
    saved = site_settings()
    contrast = {
        "primary": console.contrast(saved["primary_color"], console.WHITE),
        "accent": console.contrast(saved["accent_color"], console.WHITE),
    }
    return render_template("admin/site.html", values=values, errors=errors, contrast=contrast,
                           minimum={"primary": console.MIN_PRIMARY_CONTRAST,
                                    "accent": console.MIN_ACCENT_CONTRAST},
                           max_logo_kb=console.MAX_LOGO_BYTES // 1024), status


# --- webhooks ----------------------------------------------------------------------------

def _webhook_values() -> dict:
    form = request.form
    return {"url": form.get("url", ""), "description": form.get("description", ""),
            "events": form.getlist("events"), "include_private": _flag("include_private"),
            "active": _flag("active")}


@bp.route("/admin/webhooks", methods=["GET", "POST"])
def webhook_list():
    errors, status = {}, 200
    values = {"events": [], "active": True, "include_private": False}
    if request.method == "POST":
        values = _webhook_values()
        try:
            hook = webhooks.create_webhook(current_user, **values)
            flash("Webhook added. Copy its secret into the receiver, then send a test.", "success")
            return redirect(url_for(".webhook_detail", webhook_id=hook.id))
        except InputError as exc:
            errors, status = exc.fields or {"form": exc.message}, exc.status
            flash(exc.message, "error")
    return render_template("admin/webhooks.html", rows=q.webhook_rows(), events=webhooks.EVENTS,
                           errors=errors, values=values), status


@bp.route("/admin/webhooks/<int:webhook_id>", methods=["GET", "POST"])
def webhook_detail(webhook_id: int):
    hook = q.get_webhook(webhook_id)
    errors, status = {}, 200
    values = {"url": hook.url, "description": hook.description, "events": hook.event_list,
              "include_private": hook.include_private, "active": hook.active}
    if request.method == "POST":
        values = _webhook_values()
        try:
            webhooks.update_webhook(current_user, hook, **values)
            flash("Webhook saved.", "success")
            return redirect(url_for(".webhook_detail", webhook_id=hook.id))
        except InputError as exc:
            errors, status = exc.fields or {"form": exc.message}, exc.status
            flash(exc.message, "error")
    return render_template("admin/webhook.html", hook=hook, events=webhooks.EVENTS,
                           errors=errors, values=values,
                           recent=q.deliveries(hook, 1, 5).items), status


@bp.route("/admin/webhooks/<int:webhook_id>/test", methods=["POST"])
def webhook_test(webhook_id: int):
    webhooks.send_test_webhook(current_user, q.get_webhook(webhook_id))
    flash("A test delivery is on its way; its result appears in the log below.", "info")
    return redirect(url_for(".webhook_deliveries", webhook_id=webhook_id))


@bp.route("/admin/webhooks/<int:webhook_id>/rotate", methods=["POST"])
def webhook_rotate(webhook_id: int):
    webhooks.rotate_webhook_secret(current_user, q.get_webhook(webhook_id))
    flash("The webhook has a new secret: update the receiver.", "info")
    return redirect(url_for(".webhook_detail", webhook_id=webhook_id))


@bp.route("/admin/webhooks/<int:webhook_id>/delete", methods=["POST"])
def webhook_delete(webhook_id: int):
    hook = q.get_webhook(webhook_id)
    url = hook.url
    webhooks.delete_webhook(current_user, hook)
    flash(f"The webhook to {url} is deleted.", "info")
    return redirect(url_for(".webhook_list"))


@bp.route("/admin/webhooks/<int:webhook_id>/deliveries")
def webhook_deliveries(webhook_id: int):
    hook = q.get_webhook(webhook_id)
    page = q.deliveries(hook, page_number(request.args.get("page")))
    watching = request.args.get("watch") == "1"
    return render_template("admin/deliveries.html", hook=hook, page=page, watching=watching)


@bp.route("/admin/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver",
          methods=["POST"])
def webhook_redeliver(webhook_id: int, delivery_id: int):
    hook = q.get_webhook(webhook_id)
    try:
        webhooks.redeliver(current_user, q.get_delivery(hook, delivery_id))
        flash("The delivery will be sent again.", "info")
    except ValidationError as exc:
        flash(exc.message, "error")
    return redirect(url_for(".webhook_deliveries", webhook_id=webhook_id))
