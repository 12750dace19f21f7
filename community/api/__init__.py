"""The JSON API under /api/v1: cookie sessions with CSRF, or Bearer tokens."""

from flask import Blueprint, Flask, current_app, g, request
from flask_login import current_user

from ..auth import token_request
from ..errors import Forbidden, NotAuthenticated
from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# CSRF is checked below, only for calls that ride on the session cookie.
csrf.exempt(bp)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@bp.before_request
def authenticate():
    if token_request(request):  # the token alone signs the request in (see community.auth)
        if not current_user.is_authenticated:
            raise NotAuthenticated("The API token is invalid or revoked.")
        _require_method_scope(g.api_token)
        return
    has_session = current_app.config["SESSION_COOKIE_NAME"] in request.cookies
    if request.method not in SAFE_METHODS and has_session:
        csrf.protect()


def _require_method_scope(token) -> None:
    """Bearer tokens: reading needs the "read" scope, anything else "write".

    Role powers (moderate, admin) are checked by permissions.can for every rule.
    """
    needed = "read" if request.method in SAFE_METHODS else "write"
    # Any token may revoke itself, whatever it may otherwise do.
    if needed not in token.scopes.split() and request.endpoint != "api.revoke_current":
        raise Forbidden(f"This API token does not have the “{needed}” scope.")


def register(app: Flask) -> None:
    # Importing the route modules registers their routes on bp.
    from . import (admin, advocacy, analytics, feedback, forums, moderation,  # noqa: F401
                   notifications, openapi, password_resets, polls, search, support, tokens,
                   users)

    app.register_blueprint(bp)
