"""create_app() builds a configured Flask application."""

import os
from pathlib import Path

from flask import Flask, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from . import config
from .models.base import MAX_ID

ROOT = Path(__file__).resolve().parent.parent


class _SessionInterface(SecureCookieSessionInterface):
    """Cookies are marked Secure whenever the request itself came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        forced = super().get_cookie_secure(app)
        return forced or (has_request_context() and request.is_secure)


class _IdConverter(IntegerConverter):
    """<int:…> in routes: a number beyond MAX_ID is a 404, not a database error."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            # Not ValidationError (a `max`): after a refused match Werkzeug answers 405
            # for every method but GET.
            raise NotFound()
        return number


def create_app(overrides: dict | None = None, instance_path: str | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=instance_path or os.environ.get("COMMUNITY_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config.load(app, overrides)
    if app.config["TRUST_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.session_interface = _SessionInterface()

    configure_extensions(app)
    configure_blueprints(app)
    configure_responses(app)
    return app


def _async_mode() -> str:
    """gevent under `community serve` (community/launch.py patched the standard library);
    threads everywhere else: the CLI, the tests' in-process clients, a threaded WSGI server."""
    from gevent import monkey

    return "gevent" if monkey.is_module_patched("socket") else "threading"


def configure_extensions(app: Flask) -> None:
    from .extensions import csrf, db, limiter, login_manager, socketio
    from .realtime import handlers  # noqa: F401  (registers the socket event handlers)

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    from .realtime.queue import make_queue

    socketio.init_app(
        app,
        async_mode=_async_mode(),
        # Always a manager of this app's own: init_app keeps options between apps.
        client_manager=make_queue(app.config["REDIS_URL"], app.config["SOCKETIO_CHANNEL"]),
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS") or None,
    )
    from .realtime import revocation

    revocation.init_app(app)  # live sockets lose what their owners' rights no longer allow
    from . import events

    events.init_app(app)  # every domain event's reactions, in order
    from .jobs import tasks

    tasks.init_app(app)  # the job queue: email, webhooks, digests, month end (docs/jobs.md)
    from . import auth
    from .realtime.presence import make_presence

    auth.configure(login_manager)
    from . import oidc

    oidc.init_app(app)  # the OpenID Connect providers of OIDC_PROVIDERS, as Authlib clients
    app.extensions["presence"] = make_presence(app.config["REDIS_URL"],
                                                app.config["SOCKETIO_CHANNEL"])


def configure_blueprints(app: Flask) -> None:
    from . import api, web
    from .errors import register_error_handlers
    from .inputs import register_input_checks

    register_input_checks(app)
    # Before any route is added: rules take their converters when they are added.
    app.url_map.converters["int"] = _IdConverter
    web.register(app)
    api.register(app)
    register_error_handlers(app)

    from .cli import register_commands

    register_commands(app)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def configure_responses(app: Flask) -> None:
    from .queries.site import site_settings

    @app.context_processor
    def brand():
        if "site" not in g:
            g.site = site_settings()
        return {"site": g.site}

    @app.before_request
    def count_visit():
        from flask_login import current_user

        from .services.accounts import note_visit

        # Visits are people in browsers, not integrations using a token.
        if request.endpoint not in (None, "static", "health.healthz") \
                and current_user.is_authenticated and g.get("api_token") is None \
                and not current_user.is_suspended():
            note_visit(current_user)

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
