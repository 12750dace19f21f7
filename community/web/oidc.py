"""Sign in with OpenID Connect, and the linked identities in settings."""

import requests
from authlib.common.errors import AuthlibBaseError
from flask import (Blueprint, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user, login_required
from joserfc.errors import ClaimError, JoseError

from .. import oidc
from ..auth import sign_out
from ..errors import InputError, NotFound, error_response
from ..services import identities
from .navigation import local_path
from .two_factor import continue_sign_in

bp = Blueprint("oidc", __name__)

FLOW_KEY = "oidc_flow"  # in the signed cookie: which provider, to sign in or to link, and next


@bp.app_context_processor
def sign_in_providers() -> dict:
    # The login page's "Sign in with …" buttons.
    # OIDC_ONLY: no password form, no sign-up (web/auth.py refuses them too).
    return {"oidc_providers": oidc.providers(),
            "oidc_only": bool(current_app.config.get("OIDC_ONLY"))}


class SignInFailed(Exception):
    """The provider's answer cannot be trusted; the message says why, to the member."""


def _provider(name: str) -> oidc.Provider:
    provider = oidc.provider(name)
    if provider is None:
        raise NotFound("No such sign-in provider.")
    return provider


def _redirect_to(provider: oidc.Provider, link_user_id: int | None, next_path: str | None):
    session[FLOW_KEY] = {"provider": provider.name, "link": link_user_id, "next": next_path}
    callback_url = url_for(".callback", provider=provider.name, _external=True)
    try:
        # Authlib keeps state, nonce and the PKCE verifier in the session for the callback.
        return oidc.client(provider).authorize_redirect(callback_url)
    except (requests.RequestException, ValueError) as exc:
        current_app.logger.warning("OIDC discovery for %s failed: %s", provider.name, exc)
        return error_response(503, "oidc_unavailable",
                              f"{provider.title} cannot be reached. Please try again later.")


@bp.get("/login/oidc/<provider>")
def start(provider: str):
    """Send the browser to the provider to sign in (or sign up)."""
    chosen = _provider(provider)
    next_path = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or url_for("home.index"))
    return _redirect_to(chosen, None, next_path)


@bp.get("/settings/identities/<provider>/link")
@login_required
def link(provider: str):
    """Send a signed-in member to the provider to link that account to theirs."""
    return _redirect_to(_provider(provider), current_user.id, None)


@bp.get("/login/oidc/<provider>/callback")
def callback(provider: str):
    """The provider sends the browser back here: check everything, then sign in or link."""
    chosen = _provider(provider)
    flow = session.pop(FLOW_KEY, None)
    try:
        if not flow or flow.get("provider") != chosen.name:
            raise SignInFailed("This sign-in was not started in this browser, or it has "
                               "already been used. Please start again.")
        claims = _verified_claims(chosen)
    except SignInFailed as exc:
        return error_response(400, "oidc_failed", f"Signing in with {chosen.title} failed: {exc}")

    if flow.get("link") is not None:
        if not current_user.is_authenticated or current_user.id != flow["link"]:
            return error_response(400, "oidc_failed", "You were signed out meanwhile. "
                                  "Log in again, then link the identity from Settings.")
        identities.link_identity(current_user, claims)
        flash(f"Your {chosen.title} account is linked.", "success")
        return redirect(url_for(".identities_page"))

    user, new = identities.sign_in_with(
        claims, link_verified_email=current_app.config["OIDC_LINK_VERIFIED_EMAIL"])
    if current_user.is_authenticated:
        sign_out()
    if new:
        flash(f"Welcome, {user.username}! Your account is ready.", "success")
    # As after a password: a member who turned on two-factor gives their code next.
    return continue_sign_in(user, flow.get("next") or url_for("home.index"))


def _verified_claims(provider: oidc.Provider) -> identities.Claims:
    """The claims of the callback's ID token, once Authlib and we have checked all of it."""
    client = oidc.client(provider)
    try:
        metadata = client.load_server_metadata()
        if metadata.get("issuer") != provider.issuer:
            raise SignInFailed("the provider names another issuer than the one configured.")
        token = client.authorize_access_token(
            claims_options=oidc.claims_options(provider),
            leeway=current_app.config["OIDC_LEEWAY_SECONDS"])
    except ClaimError as exc:
        current_app.logger.warning("OIDC %s: ID token refused: %s", provider.name, exc)
        raise SignInFailed(f"its ID token is not valid ({exc.description}).") from exc
    except JoseError as exc:
        current_app.logger.warning("OIDC %s: ID token refused: %s", provider.name, exc)
        raise SignInFailed("its ID token could not be verified.") from exc
    except AuthlibBaseError as exc:
        current_app.logger.warning("OIDC %s: %s", provider.name, exc)
        if exc.error == "mismatching_state":
            raise SignInFailed("the answer does not belong to the sign-in started in this "
                               "browser (state mismatch). Please start again.") from exc
        raise SignInFailed(exc.description or exc.error or "the provider refused.") from exc
    except requests.RequestException as exc:
        current_app.logger.warning("OIDC %s: provider unreachable: %s", provider.name, exc)
        raise SignInFailed("the provider could not be reached.") from exc
    userinfo = token.get("userinfo")
    if not userinfo:
        raise SignInFailed("the provider sent no ID token.")
    role = provider.roles.role_for(userinfo) if provider.roles else None
    return identities.Claims.from_id_token(provider.name, userinfo, role=role)


@bp.get("/settings/identities")
@login_required
def identities_page():
    linked = identities.identities_of(current_user)
    titles = {p.name: p.title for p in oidc.providers()}
    linked_names = {i.provider for i in linked}
    return render_template("account/identities.html", linked=linked, titles=titles,
                           available=[p for p in oidc.providers() if p.name not in linked_names])


@bp.post("/settings/identities/<int:identity_id>/remove")
@login_required
def remove(identity_id: int):
    try:
        identities.unlink_identity(current_user, identity_id)
    except InputError as exc:
        flash(exc.message, "error")
    else:
        flash("The identity is no longer linked to your account.", "info")
    return redirect(url_for(".identities_page"))
