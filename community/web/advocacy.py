"""The leaderboard, badges, and the admin pages for scoring and badges."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import exports, permissions
from ..errors import InputError
from ..queries import advocacy as qa
from ..queries import forums as qf
from ..services import accounts, advocacy

bp = Blueprint("advocacy", __name__)


def _board():
    forum_slug = request.args.get("forum") or None
    forum = qf.get_forum(current_user, forum_slug) if forum_slug else None
    return qa.leaderboard(request.args.get("period", "week"), forum=forum,
                          start=request.args.get("from"), end=request.args.get("to"),
                          limit=qa.check_limit(request.args.get("limit"), 50))


@bp.route("/leaderboard")
def leaderboard():
    return render_template("advocacy/leaderboard.html", board=_board(),
                           forums=qf.visible_forums(current_user))


@bp.route("/leaderboard/fragment")
def leaderboard_fragment():
    return render_template("advocacy/_board.html", board=_board())


@bp.route("/leaderboard.csv")
@login_required
def leaderboard_csv():
    permissions.require(current_user, "export_leaderboard")
    return exports.leaderboard_csv(_board())


@bp.route("/badges")
def badges():
    return render_template("advocacy/badges.html", badges=qa.all_badges())


@bp.route("/admin/badges", methods=["GET", "POST"])
@login_required
def admin_badges():
    permissions.require(current_user, "grant_badges")
    errors, status = {}, 200
    if request.method == "POST":
        form = request.form
        try:
            if form.get("action") == "create":
                badge = advocacy.create_badge(current_user, form.get("slug", ""), form.get("name", ""),
                                              form.get("description", ""), form.get("icon", "★") or "★",
                                              form.get("tier", "bronze"), form.get("repeatable") == "on")
                flash(f"Badge “{badge.name}” created.", "success")
            elif form.get("action") == "grant":
                badge = advocacy.get_badge(form.get("badge", ""))
                user = accounts.get_user(form.get("username", "").strip())
                advocacy.grant_badge(current_user, badge, user, form.get("reason", ""))
                flash(f"“{badge.name}” awarded to {user.username}.", "success")
            elif form.get("action") == "revoke":
                badge = advocacy.get_badge(form.get("badge", ""))
                user = accounts.get_user(form.get("username", ""))
                advocacy.revoke_badge(current_user, qa.get_award(badge, user))
                flash(f"“{badge.name}” revoked from {user.username}.", "info")
            else:
                return render_template("errors/error.html", status=400, title="Bad request",
                                       message="Unknown action."), 400
            return redirect(url_for(".admin_badges"))
        except InputError as exc:
            errors, status = exc.fields or {"form": exc.message}, exc.status
            flash(exc.message, "error")
    return render_template("advocacy/admin_badges.html", badges=qa.all_badges(), errors=errors,
                           tiers=advocacy.BADGE_TIERS), status


@bp.route("/admin/scoring", methods=["GET", "POST"])
@login_required
def admin_scoring():
    permissions.require(current_user, "manage_advocacy")
    errors, status = {}, 200
    if request.method == "POST":
        changes = {}
        for action in advocacy.DEFAULT_POINTS:
            raw = request.form.get(action, "").strip()
            try:
                changes[action] = int(raw)
            except ValueError:
                changes[action] = raw  # the service explains what is wrong with it
        try:
            advocacy.set_scoring(current_user, changes)
            flash("The scoring table is saved.", "success")
            return redirect(url_for(".admin_scoring"))
        except InputError as exc:
            errors, status = exc.fields, exc.status
    return render_template("advocacy/admin_scoring.html", table=advocacy.scoring_table(),
                           defaults=advocacy.DEFAULT_POINTS, errors=errors), status
