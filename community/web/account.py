"""Member profiles, avatars, and the settings pages (profile, email, password, sessions,
tokens)."""

from flask import (Blueprint, Response, flash, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user, login_required

from ..auth import SESSION_KEY, sign_out
from ..avatars import avatar_svg
from ..errors import InputError, NotFound
from ..extensions import db
from ..models import ApiToken
from ..queries import advocacy as qa
from ..queries.forums import user_activity
from ..services.advocacy import rank_for
from ..ratelimits import email_change_limits
from ..services import accounts, email_verification, sessions, two_factor
from .forms import EmailChangeForm, PasswordForm, ProfileForm, TokenForm, show_errors

bp = Blueprint("account", __name__)


@bp.route("/u/<username>")
def profile(username: str):
    user = accounts.get_user(username)
    awards = qa.awards_of(user)
    return render_template("account/profile.html", user=user,
                           activity=user_activity(current_user, user),
                           rank=rank_for(user.points), awards=awards,
                           reasons=qa.award_reasons(awards, current_user),
                           solutions=qa.solutions_given(current_user, user),
                           ideas=qa.ideas_posted(current_user, user))


@bp.route("/u/<username>/avatar.svg")
def avatar(username: str):
    user = accounts.get_user(username)
    response = Response(avatar_svg(user.username, user.name), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            accounts.update_profile(current_user, current_user, form.display_name.data or "",
                                    form.bio.data or "")
        except InputError as exc:
            show_errors(form, exc.fields)
            return render_template("account/settings.html", form=form), exc.status
        flash("Your profile is saved.", "success")
        return redirect(url_for(".settings"))
    return render_template("account/settings.html", form=form)


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data,
                                     form.new_password.data, keep_session=session.get(SESSION_KEY))
        except InputError as exc:
            show_errors(form, exc.fields)
            return render_template("account/password.html", form=form), exc.status
        flash("Your password is changed. Your other browsers are signed out.", "success")
        return redirect(url_for(".settings"))
    return render_template("account/password.html", form=form), 400 if form.errors else 200


@bp.route("/settings/email", methods=["GET", "POST"])
@login_required
@email_change_limits
def email():
    form = EmailChangeForm()
    if form.validate_on_submit():
        try:
            email_verification.request_email_change(current_user, form.email.data,
                                                    form.password.data)
        except InputError as exc:
            show_errors(form, exc.fields)
            return render_template("account/email.html", form=form), exc.status
        flash(f"We sent a confirmation link to {current_user.pending_email}. Your address "
              "changes when you use it.", "success")
        return redirect(url_for(".email"))
    return render_template("account/email.html", form=form), 400 if form.errors else 200


@bp.get("/settings/sessions")
@login_required
def login_sessions():
    return render_template("account/sessions.html", sessions=sessions.of(current_user),
                           current=sessions.find(current_user.id, session.get(SESSION_KEY)))


@bp.post("/settings/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    current = sessions.find(current_user.id, session.get(SESSION_KEY))
    if current is not None and current.id == session_id:
        sign_out()
        flash("You are logged out.", "info")
        return redirect(url_for("home.index"))
    sessions.end_one(current_user, session_id)
    flash("That browser is signed out.", "info")
    return redirect(url_for(".login_sessions"))


@bp.post("/settings/sessions/end-others")
@login_required
def end_other_sessions():
    sessions.end_all(current_user, keep=session.get(SESSION_KEY))
    flash("Every other browser is signed out.", "info")
    return redirect(url_for(".login_sessions"))


SCOPE_LABELS = {
    "read": ("Read", "see what you can see"),
    "write": ("Write", "post, reply, vote and change things as you"),
    "moderate": ("Moderate", "your moderator and staff powers"),
    "admin": ("Admin", "your admin powers"),
}


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form, secret, status = TokenForm(), None, 200
    offered = {s: SCOPE_LABELS[s] for s in accounts.scopes_open_to(current_user)}
    chosen = request.form.getlist("scopes") if request.method == "POST" else ["read", "write"]
    scope_error = None
    needs_code = two_factor.is_enabled(current_user)
    if form.validate_on_submit():
        if "scopes_shown" not in request.form and not chosen:
            chosen = ["read", "write"]  # a client that knows nothing of scopes
        if not chosen:
            scope_error = "Choose at least one of the scopes listed."
            status = 400
        elif needs_code and (refusal := two_factor.check_code(current_user, form.code.data or "")):
            form.code.errors = [refusal]  # a new token needs a fresh second factor
            status = 400
        else:
            try:
                _, secret = accounts.issue_token(current_user, form.name.data, " ".join(chosen))
                chosen = ["read", "write"]
            except InputError as exc:
                show_errors(form, exc.fields)
                scope_error, status = exc.fields.get("scopes"), exc.status
    live = [t for t in current_user.tokens if t.is_live]
    return render_template("account/tokens.html", form=form, secret=secret, tokens=live,
                           offered=offered, chosen=chosen, scope_error=scope_error,
                           needs_code=needs_code), status


@bp.route("/settings/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        raise NotFound("No such token.")
    accounts.revoke_token(current_user, token)
    flash(f"Token “{token.name}” is revoked.", "info")
    return redirect(url_for(".tokens"))
