"""API tokens for integrations: issue with a login and password (and a two-factor code when
the member has it on), revoke the current one."""

from flask import current_app, g, jsonify
from flask_login import current_user

from ..errors import Forbidden, NotAuthenticated
from ..ratelimits import login_limits
from ..services import accounts, two_factor
from . import bp
from .io import documented, parse
from .schemas import TokenIn, TokenOut


@bp.post("/tokens")
@login_limits
@documented("Exchange a login and password for an API token", body=TokenIn,
            responses={201: TokenOut})
def create():
    if current_app.config.get("OIDC_ONLY"):
        raise Forbidden("This community signs members in through its identity provider only: "
                        "passwords are not accepted. Create API tokens on the Settings → API "
                        "tokens page once signed in.")
    data = parse(TokenIn)
    user = accounts.authenticate(data.login, data.password)
    if user is None or not user.is_active:
        raise NotAuthenticated("Wrong login or password.")
    if two_factor.is_enabled(user) and (refusal := two_factor.check_code(user, data.code or "")):
        raise NotAuthenticated(f"Two-factor code needed: {refusal}")
    parent = g.get("api_token")
    token, secret = accounts.issue_token(user, data.name, data.scopes,
                                         within=set(parent.scopes.split()) if parent else None)
    return jsonify(token=secret, name=token.name, scopes=token.scopes), 201


@bp.delete("/tokens/current")
@documented("Revoke the token this request is made with", auth="token",
            responses={204: "Revoked"})
def revoke_current():
    token = g.get("api_token")
    if token is None:
        raise NotAuthenticated("Send the token to revoke as a Bearer token.")
    accounts.revoke_token(current_user, token)
    return "", 204
