"""Notifications: the full page, the bell's panel, preferences, following forums, unsubscribing."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import InputError
from ..extensions import csrf
from ..queries import forums as qf
from ..queries import notifications as q
from ..queries.paging import page_number
from ..services import follows, notifications
from ..services.notifications import DIGESTS, KINDS
from .navigation import local_path

bp = Blueprint("notifications", __name__)


@bp.app_template_global()
def unread_notifications() -> int:
    """The signed-in member's unread count, for the bell in the header."""
    return q.unread_count(current_user)


@bp.app_template_global()
def forum_following(forum) -> str | None:
    """How the signed-in member follows `forum` (for notifications/_forum_follow.html)."""
    return q.forum_follow_level(current_user, forum)


def _back(default: str):
    return redirect(local_path(request.form.get("next")) or default)


@bp.route("/notifications")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    page = q.notifications(current_user, unread_only=unread_only,
                           page=page_number(request.args.get("page")))
    return render_template("notifications/index.html", page=page, unread_only=unread_only,
                           unread=q.unread_count(current_user))


@bp.route("/notifications/panel")
@login_required
def panel():
    """The bell's dropdown: the latest notifications (a fragment for bell.js)."""
    return render_template("notifications/panel.html", items=q.latest(current_user),
                           unread=q.unread_count(current_user))


@bp.route("/notifications/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    """Follow a notification to what it is about, marking it read on the way."""
    return redirect(notifications.open_notification(current_user, notification_id))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    if request.form.get("all"):
        notifications.mark_read(current_user, everything=True)
        flash("All notifications are marked read.", "info")
    else:
        ids = [int(i) for i in request.form.getlist("id") if i.isdigit()]
        notifications.mark_read(current_user, ids)
    return _back(url_for(".index"))


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    errors = {}
    if request.method == "POST":
        kinds = {kind: {"in_app": f"{kind}.in_app" in request.form,
                        "email": f"{kind}.email" in request.form and spec.email is not None}
                 for kind, spec in KINDS.items()}
        try:
            notifications.set_preferences(
                current_user, current_user, kinds=kinds, digest=request.form.get("digest", ""),
                auto_follow="auto_follow" in request.form)
        except InputError as exc:
            errors = exc.fields
        else:
            flash("Your notification preferences are saved.", "success")
            return redirect(url_for(".preferences"))
    return render_template("notifications/preferences.html", kinds=KINDS, digests=DIGESTS,
                           chosen=notifications.preferences_of(current_user),
                           forums=q.forum_follows(current_user), errors=errors), \
        400 if errors else 200


@bp.route("/f/<slug>/follow", methods=["POST"])
@login_required
def follow_forum(slug: str):
    forum = qf.get_forum(current_user, slug)
    level = request.form.get("level", "watching")
    if level == "none":
        follows.unfollow_forum(current_user, forum)
        flash(f"You no longer follow {forum.name}.", "info")
    else:
        follows.follow_forum(current_user, forum, level)
        flash(f"You are {level} {forum.name}.", "info")
    return _back(url_for("forums.forum", slug=forum.slug))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the authority; mail clients POST here (RFC 8058 one-click)
def unsubscribe(token: str):
    user, kind = notifications.unsubscribe(token)
    if request.method == "POST" and "List-Unsubscribe" in request.form:
        return "", 204
    return render_template("notifications/unsubscribed.html", token=token, kind=kind,
                           label=_email_label(kind), user=user, subscribed=False)


@bp.route("/unsubscribe/<token>/undo", methods=["POST"])
def resubscribe(token: str):
    user, kind = notifications.unsubscribe(token, subscribe=True)
    return render_template("notifications/unsubscribed.html", token=token, kind=kind,
                           label=_email_label(kind), user=user, subscribed=True)


def _email_label(kind: str) -> str:
    if kind == "digest":
        return "the email digest of popular threads and idea updates"
    return f"emails when: {KINDS[kind].label[0].lower()}{KINDS[kind].label[1:]}"
