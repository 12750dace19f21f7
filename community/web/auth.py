"""Register, log in, log out, reset a forgotten password."""

from flask import (Blueprint, current_app, flash, make_response, redirect, render_template,
                   request, url_for)
from flask_login import current_user, login_required

from ..auth import sign_in, sign_out
from ..errors import InputError, error_response
from ..ratelimits import confirm_limits, login_limits, rate_limited, reset_limits
from ..services import accounts, email_verification, password_resets
from .forms import ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm, show_errors
from .navigation import local_path
from .two_factor import continue_sign_in

bp = Blueprint("auth", __name__)

ONLY_SSO = "This community signs members in through its identity provider only"


def only_sso() -> bool:
    """OIDC_ONLY: passwords do not sign anyone in, and accounts come from the providers."""
    return bool(current_app.config.get("OIDC_ONLY"))


def _safe_next(target: str | None) -> str:
    return local_path(target) or url_for("home.index")


@bp.route("/register", methods=["GET", "POST"])
@rate_limited("register")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    if only_sso():
        return error_response(403, "registration_closed", f"{ONLY_SSO}: sign in with it on "
                              "the login page, and your account is created then.")
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
    if only_sso() and request.method == "POST":
        return error_response(403, "password_sign_in_off",
                              f"{ONLY_SSO}: passwords are not accepted. Use the "
                              "“Sign in with …” button on the login page.")
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.login.data, form.password.data)
        if user is not None and not user.is_active:
            flash("This account is suspended.", "error")
            return render_template("auth/login.html", form=form), 403
        if user is not None:
            return continue_sign_in(user, _safe_next(request.args.get("next")))
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


@bp.route("/password-reset", methods=["GET", "POST"])
@reset_limits
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # The same page whether or not an account uses the address.
        password_resets.request_password_reset(form.email.data)
        return render_template("auth/forgot_password.html", form=form, sent=True)
    return render_template("auth/forgot_password.html", form=form, sent=False), \
        400 if form.errors else 200


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = ResetPasswordForm()
    if password_resets.find_reset(token) is None:
        return _link_page(form, invalid=True), 400
    if form.validate_on_submit():
        try:
            password_resets.reset_password(token, form.password.data)
        except InputError as exc:
            if "token" in exc.fields:  # used by a request that came first
                return _link_page(form, invalid=True), 400
            show_errors(form, exc.fields)
            return _link_page(form, invalid=False), exc.status
        flash("Your password is changed, and every session is signed out. Log in with the "
              "new password.", "success")
        return redirect(url_for("auth.login"))
    return _link_page(form, invalid=False), 400 if form.errors else 200


def _link_page(form: ResetPasswordForm, *, invalid: bool):
    response = make_response(render_template("auth/reset_password.html", form=form,
                                             invalid=invalid))
    # The token is in this page's URL: no link followed from it may carry it away.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/confirm-email/<token>")
def confirm_email(token: str):
    try:
        user, newly = email_verification.confirm_email(token)
    except InputError as exc:
        return render_template("auth/confirm_email.html", confirmed=False,
                               taken=exc.status == 409), exc.status
    return render_template("auth/confirm_email.html", confirmed=True, newly=newly, user=user)


@bp.route("/confirm-email", methods=["POST"])
@login_required
@confirm_limits
def resend_confirmation():
    try:
        email_verification.resend_confirmation(current_user)
    except InputError as exc:
        flash(exc.message, "info")
    else:
        flash(f"We sent a new confirmation link to {current_user.email}.", "success")
    return redirect(url_for("home.index"))
