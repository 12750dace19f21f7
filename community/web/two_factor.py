"""Two-factor authentication pages: the login code step, and Settings → Two-factor."""

import time

import segno
from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from .. import permissions
from ..auth import sign_in
from ..errors import InputError
from ..extensions import db
from ..models import User
from ..services import two_factor
from .forms import TwoFactorCodeForm, TwoFactorDisableForm, show_errors
from .navigation import local_path

bp = Blueprint("two_factor", __name__)

PENDING_KEY = "two_factor_pending"  # in the signed cookie: who passed the password step, and when
PENDING_SECONDS = 300
# Staff pages: a member who must have 2FA (two_factor.required_for) is sent to enrol first.
STAFF_BLUEPRINTS = {"admin", "insights", "moderation"}
OPEN_ENDPOINTS = {"admin.theme_css", "admin.logo"}  # public files served by the admin blueprint


def continue_sign_in(user: User, next_path: str):
    """After the password step: sign in, or ask for the second factor first when it is on."""
    if not two_factor.is_enabled(user):
        sign_in(user)
        return redirect(next_path)
    session[PENDING_KEY] = {"user_id": user.id, "at": int(time.time())}
    return redirect(url_for("two_factor.login_code", next=next_path))


def enrol_staff_first():
    """before_request: staff and admins without 2FA meet the enrolment page, not a staff page,
    and until they enrol act with a member's powers everywhere else (the JSON API with their
    cookie, the tokens they create): permissions.powers_in_force."""
    if not current_user.is_authenticated or g.get("api_token") is not None \
            or not two_factor.required_for(current_user) or two_factor.is_enabled(current_user):
        return None
    g.setdefault(permissions.STAFF_POWERS_WITHHELD, current_user.id)
    if request.blueprint not in STAFF_BLUEPRINTS or request.endpoint in OPEN_ENDPOINTS:
        return None
    flash("Turn on two-factor authentication to reach the staff pages.", "info")
    return redirect(url_for("two_factor.settings"))


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(User, pending.get("user_id"))
    return user if user is not None and user.is_active else None


@bp.route("/login/two-factor", methods=["GET", "POST"])
def login_code():
    next_path = local_path(request.args.get("next")) or url_for("home.index")
    if current_user.is_authenticated:
        return redirect(next_path)
    user = _pending_user()
    if user is None:
        flash("Log in again, please.", "info")
        return redirect(url_for("auth.login", next=next_path))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        refusal = two_factor.check_code(user, form.code.data)
        if refusal is None:
            session.pop(PENDING_KEY, None)
            sign_in(user)
            return redirect(next_path)
        form.code.errors = [refusal]
        return render_template("auth/two_factor.html", form=form), 401
    return render_template("auth/two_factor.html", form=form), 400 if form.errors else 200


@bp.get("/settings/two-factor")
@login_required
def settings():
    return _page()


@bp.post("/settings/two-factor/setup")
@login_required
def setup():
    try:
        two_factor.begin_enrolment(current_user)
    except InputError as exc:
        flash(exc.message, "error")
    return redirect(url_for(".settings"))


@bp.post("/settings/two-factor/confirm")
@login_required
def confirm():
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(current_user, form.code.data)
        except InputError as exc:
            if not exc.fields:
                flash(exc.message, "error")
                return redirect(url_for(".settings"))
            show_errors(form, exc.fields)
        else:
            return render_template("account/two_factor_codes.html", codes=codes)
    return _page(400, form=form)


@bp.post("/settings/two-factor/disable")
@login_required
def disable():
    form = TwoFactorDisableForm()
    if form.validate_on_submit():
        refusals = two_factor.disable_two_factor(current_user, form.password.data, form.code.data)
        if refusals is None:
            flash("Two-factor authentication is off.", "info")
            return redirect(url_for(".settings"))
        show_errors(form, refusals)
    return _page(400, disable_form=form)


def _page(status: int = 200, **forms):
    """Settings → Two-factor: off, waiting for a first code (the QR code), or on."""
    tf = two_factor.of(current_user)
    qr = uri = None
    if tf is not None and not tf.is_enabled:
        uri = two_factor.provisioning_uri(tf)
        # A data: URI, which the CSP allows for images; no script draws it.
        qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    forms.setdefault("form", TwoFactorCodeForm(formdata=None))
    forms.setdefault("disable_form", TwoFactorDisableForm(formdata=None))
    return render_template("account/two_factor.html", tf=tf, qr=qr, uri=uri,
                           codes_left=two_factor.recovery_codes_left(current_user),
                           required=two_factor.required_for(current_user), **forms), status
