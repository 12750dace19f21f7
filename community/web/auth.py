"""Register, log in, log out."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..auth import sign_in, sign_out
from ..errors import InputError
from ..ratelimits import login_limits, rate_limited
from ..services import accounts
from .forms import LoginForm, RegisterForm, show_errors
from .navigation import local_path

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    return local_path(target) or url_for("home.index")


@bp.route("/register", methods=["GET", "POST"])
@rate_limited("register")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_user(form.username.data, form.email.data, form.password.data)
        except InputError as exc:
            show_errors(form, exc.fields)
            return render_template("auth/register.html", form=form), exc.status
        sign_in(user)
        flash(f"Welcome, {user.username}! Your account is ready.", "success")
        return redirect(url_for("home.index"))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.login.data, form.password.data)
        if user is not None and not user.is_active:
            flash("This account is suspended.", "error")
            return render_template("auth/login.html", form=form), 403
        if user is not None:
            sign_in(user)
            return redirect(_safe_next(request.args.get("next")))
        # One message whatever was wrong, so nobody can probe which accounts exist.
        form.password.errors = ["Wrong username/email or password."]
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sign_out()
    flash("You are logged out.", "info")
    return redirect(url_for("home.index"))
