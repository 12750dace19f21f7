"""A member's own data: download all of it, or delete the account."""

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from .. import permissions
from ..errors import InputError
from ..queries.admin import account_export
from ..services import data_rights

bp = Blueprint("data_rights", __name__)


@bp.route("/settings/data")
@login_required
def export():
    return render_template("account/export.html")


@bp.route("/settings/data/export.json")
@login_required
def download():
    permissions.require(current_user, "export_account", current_user)
    body = json.dumps(account_export(current_user), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="community-data-{current_user.username}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/settings/data/delete", methods=["GET", "POST"])
@login_required
def delete():
    errors, mode, status = {}, request.form.get("mode", ""), 200
    if request.method == "POST":
        try:
            data_rights.delete_account(current_user, current_user, mode,
                                       request.form.get("password", ""))
        except InputError as exc:
            errors, status = exc.fields or {"form": exc.message}, exc.status
            flash(exc.message, "error")
        else:
            logout_user()
            flash("Your account is deleted. Thank you for being part of the community.", "info")
            return redirect(url_for("home.index"))
    return render_template("account/delete.html", errors=errors, mode=mode), status
