import os
import stat

from sqlalchemy import text

from community import create_app
from community.extensions import db, make_engine

from .conftest import TEST_SETTINGS, log_in


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "not configured"}


def test_healthz_reports_redis_when_configured(app_factory):
    app = app_factory(REDIS_URL="redis://127.0.0.1:6379/0")
    assert app.test_client().get("/healthz").get_json()["redis"] == "ok"


def test_healthz_is_degraded_not_down_when_redis_is_unreachable(app_factory):
    # Port 9 (discard) has no Redis: the check must fail, quickly and cleanly, and the
    # process stays in service (pages and the API work without Redis).
    app = app_factory(REDIS_URL="redis://127.0.0.1:9/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "degraded", "database": "ok", "redis": "error"}


def test_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_templates_have_no_inline_scripts(app):
    from pathlib import Path

    for template in Path(app.template_folder).rglob("*.html"):
        html = template.read_text()
        assert "<script>" not in html and " on" + "click=" not in html, template


def test_session_cookie_flags(client, member):
    from .conftest import csrf_token
    from .factories import PASSWORD

    response = client.post("/login", data={"login": "mia", "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_over_https(app, member):
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost")
    assert "Secure" in page.headers["Set-Cookie"]


def test_html_error_pages_use_the_site_layout(client, app):
    response = client.get("/no/such/page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in html and 'class="site-header"' in html

    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post("/register", data={"username": "x" * 500})
    assert response.status_code == 413 and "Too large" in response.get_data(as_text=True)


def test_unexpected_errors_are_a_500_page_not_a_traceback(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "kaboom" not in html


def test_secret_key_is_generated_once_into_instance(tmp_path, migrated_url, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("COMMUNITY_SECRET_KEY", raising=False)
    settings = {k: v for k, v in TEST_SETTINGS.items() if k != "SECRET_KEY"}
    first = create_app(settings | {"DATABASE_URL": migrated_url}, instance_path=str(tmp_path))
    second = create_app(settings | {"DATABASE_URL": migrated_url}, instance_path=str(tmp_path))
    key_file = tmp_path / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert len(first.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    db.engine.dispose()


def test_environment_configures_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("COMMUNITY_MAX_CONTENT_LENGTH", "2048")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["DATABASE_URL"].endswith("env.db")
    assert app.config["MAX_CONTENT_LENGTH"] == 2048
    db.engine.dispose()


def test_engine_settings_suit_the_database(app):
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    else:
        assert db.engine.dialect.name == "postgresql"
        assert db.engine.dialect.driver == "psycopg"
        assert db.engine.pool._pre_ping


def test_suspended_member_can_read_but_not_write(app, member):
    from datetime import timedelta

    from community.models import utcnow

    from .conftest import csrf_token

    client = app.test_client()
    log_in(client, member)
    member.suspended_until = utcnow() + timedelta(hours=1)
    db.session.commit()
    assert client.get("/u/mia").status_code == 200
    response = client.post("/settings", data={"display_name": "Changed", "bio": "",
                                              "csrf_token": csrf_token(client, "/settings")})
    assert response.status_code == 403
    assert "suspended" in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.display_name == ""


def test_a_database_outage_is_a_clean_503_and_the_app_recovers(app, client, member):
    # Port 9 has no PostgreSQL: every connection is refused, as while a database restarts.
    reachable = db.engine
    unreachable = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/community")
    db.session.remove()
    db.session.configure(bind=unreachable)
    try:
        api = client.get("/api/v1/forums")
        page = client.get("/")
    finally:
        db.session.remove()
        db.session.configure(bind=reachable)
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "unavailable"
    assert api.headers["Retry-After"] == "5"
    assert page.status_code == 503
    assert "Temporarily unavailable" in page.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_an_error_page_whose_layout_fails_falls_back_to_a_plain_one(app, client):
    def broken_layout():
        raise RuntimeError("the layout's query failed")

    app.template_context_processors[None].append(broken_layout)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
