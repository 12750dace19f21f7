"""Register, log in, log out."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import InputError
from ..extensions import limiter
from ..services import accounts
from .forms import LoginForm, RegisterForm, show_errors

bp = Blueprint("auth", __name__)


def _login_key() -> str:
    return "login:" + (request.form.get("login") or "").strip().lower()


def _failed(response) -> bool:
    return response.status_code != 302


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    # Only same-site paths, so the login page cannot become an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("home.index")


@bp.route("/register", methods=["GET", "POST"])
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
        login_user(user)
        flash(f"Welcome, {user.username}! Your account is ready.", "success")
        return redirect(url_for("home.index"))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_key, deduct_when=_failed)
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
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        # One message whatever was wrong, so nobody can probe which accounts exist.
        form.password.errors = ["Wrong username/email or password."]
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("home.index"))
