"""Who is making this request: the session cookie (Flask-Login) or a Bearer API token.

The rule, kept here and nowhere else: a Bearer token authenticates the JSON API (and
Socket.IO, see realtime.handlers) only. Pages ignore it, so a token of any scope can never
obtain a session cookie, a CSRF token or a page's powers. On the API a Bearer header is the
whole credential: the cookie of the same request is not consulted.

A session cookie counts only while its login session (services.sessions) is live, so
logout, a password change, a suspension or "sign out everywhere" end it on the server.
"""

from flask import g, request, session
from flask_login import LoginManager, login_user, logout_user

from .models import User
from .permissions import Anonymous


def configure(login_manager: LoginManager) -> None:
    login_manager.anonymous_user = Anonymous
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        if token_request(request):
            return None  # the token decides (load_user_from_token), not the cookie
        if not user_id.isdigit():
            return None
        from .services import sessions

        live = sessions.find(int(user_id), session.get(SESSION_KEY))
        if live is None:
            return None
        sessions.note_seen(live)
        return live.user

    @login_manager.request_loader
    def load_user_from_token(request) -> User | None:
        if not token_request(request):
            return None
        secret = bearer_token(request)
        from .services.accounts import find_token, note_token_used

        token = find_token(secret)
        if token is None or not token.user.is_active:
            return None
        g.api_token = token
        note_token_used(token)
        return token.user


SESSION_KEY = "login_session"  # in the signed cookie: the key of its login session


def sign_in(user: User) -> None:
    """Start a login session for `user` in this browser, with a fresh CSRF token."""
    from .services import sessions

    session.pop("csrf_token", None)  # Flask-WTF makes a new one: none survives the login
    session[SESSION_KEY] = sessions.start(user, request.user_agent.string,
                                         request.remote_addr)
    login_user(user)


def sign_out() -> None:
    """End this browser's login session, on the server as well as in the cookie."""
    from .services import sessions

    sessions.end(session.pop(SESSION_KEY, None))
    session.pop("csrf_token", None)
    logout_user()


def token_request(request) -> bool:
    """Whether this request is one a Bearer token may authenticate: an API call carrying one."""
    return request.blueprint == "api" and bearer_token(request) is not None


def bearer_token(request) -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() or None if scheme.lower() == "bearer" else None
