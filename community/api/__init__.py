"""The JSON API under /api/v1: cookie sessions with CSRF, or Bearer tokens."""

from flask import Blueprint, Flask, current_app, request
from flask_login import current_user

from ..auth import bearer_token
from ..errors import NotAuthenticated
from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# CSRF is checked below, only for calls that ride on the session cookie.
csrf.exempt(bp)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@bp.before_request
def authenticate():
    if bearer_token(request) is not None:
        if not current_user.is_authenticated:
            raise NotAuthenticated("The API token is invalid or revoked.")
        return
    has_session = current_app.config["SESSION_COOKIE_NAME"] in request.cookies
    if request.method not in SAFE_METHODS and has_session:
        csrf.protect()


def register(app: Flask) -> None:
    # Importing the route modules registers their routes on bp.
    from . import (advocacy, feedback, forums, openapi, polls, search, support,  # noqa: F401
                   tokens, users)

    app.register_blueprint(bp)
