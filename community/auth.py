"""Who is making this request: the session cookie (Flask-Login) or a Bearer API token."""

from flask import g
from flask_login import LoginManager

from .extensions import db
from .models import User
from .permissions import Anonymous


def configure(login_manager: LoginManager) -> None:
    login_manager.anonymous_user = Anonymous
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    @login_manager.request_loader
    def load_user_from_token(request) -> User | None:
        secret = bearer_token(request)
        if secret is None:
            return None
        from .services.accounts import find_token, note_token_used

        token = find_token(secret)
        if token is None or not token.user.is_active:
            return None
        g.api_token = token
        note_token_used(token)
        return token.user


def bearer_token(request) -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() or None if scheme.lower() == "bearer" else None
