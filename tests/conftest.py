"""Fixtures: one migrated database per run, emptied after every test; clients per role."""

import contextvars
import os
import re
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from community import create_app
from community.cli import upgrade_database
from community.extensions import db
from community.models import Base, Role

from .factories import make_user

TEST_SETTINGS = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "PASSWORD_TIME_COST": 1,
    "PASSWORD_MEMORY_COST": 1024,
    "RATELIMIT_ENABLED": False,
    "REDIS_URL": None,
    # The automatic moderation rules (new members' first posts, pace, duplicates…) would
    # hold most test posts; their own tests turn them on with app_factory.
    "AUTO_MODERATION": False,
    "POINTS_MIN_VOTER_AGE_HOURS": 0,
    "LEADERBOARD_BROADCAST_SECONDS": 0.05,
    # Jobs wait in the app's own memory until a test runs them (tests/jobs/).
    "JOBS_BACKEND": "memory",
    # Staff fixtures reach staff pages without enrolling; tests/security/test_two_factor.py
    # turns it on.
    "REQUIRE_2FA_FOR_STAFF": False,
}


# --- the database ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database of this run's own: SQLite by default, PostgreSQL when configured."""
    server_url = os.environ.get("COMMUNITY_TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    name = f"community_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_url(database_url, tmp_path_factory):
    """The run's database, brought to the newest schema by the migrations themselves."""
    app = create_app(TEST_SETTINGS | {"DATABASE_URL": database_url},
                     instance_path=str(tmp_path_factory.mktemp("migrate")))
    upgrade_database(app)
    db.engine.dispose()
    return database_url


def _empty_tables(attempts: int = 5) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    try:
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                quoted = ", ".join(f'"{t}"' for t in tables)
                conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(text(f'DELETE FROM "{table}"'))
    except OperationalError as exc:
        # A background reader of the test's app (the throttled leaderboard broadcast, an
        # after-commit task) may still be reading when TRUNCATE takes its locks one table
        # at a time; PostgreSQL then cancels one of the two as a deadlock. Try again.
        if attempts <= 1 or "deadlock" not in str(exc):
            raise
        _empty_tables(attempts - 1)


class Client(FlaskClient):
    """Each request runs in its own app context, as in production, not in the test's one.

    The test's session is committed first, so its setup is visible to the request and its
    next read sees what the request wrote.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app_factory(migrated_url, tmp_path):
    """Make the test's app, with settings of its own (use once per test)."""
    contexts = []

    def make(**overrides):
        app = create_app(TEST_SETTINGS | {"DATABASE_URL": migrated_url} | overrides,
                         instance_path=str(tmp_path))
        app.test_client_class = Client
        contexts.append(app.app_context())
        contexts[-1].push()
        return app

    yield make
    if contexts:
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
        for ctx in reversed(contexts):
            ctx.pop()


@pytest.fixture
def app(app_factory):
    return app_factory()


# --- clients ---------------------------------------------------------------------------

def csrf_token(client, path="/login") -> str:
    """The CSRF token a page hands this client's session."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def log_in(client, user) -> None:
    """Sign `user` in as the login page does: a live login session behind the cookie."""
    from community.auth import SESSION_KEY
    from community.services import sessions

    key = sessions.start(user, "test client")
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
        session[SESSION_KEY] = key


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def member(app):
    return make_user("mia", role=Role.MEMBER)


@pytest.fixture
def moderator(app):
    return make_user("moe", role=Role.MODERATOR)


@pytest.fixture
def staff(app):
    return make_user("stella", role=Role.STAFF)


@pytest.fixture
def admin(app):
    return make_user("ada", role=Role.ADMIN)


@pytest.fixture
def client_as(app):
    """A browser-like client logged in as the given user."""

    def make(user):
        c = app.test_client()
        log_in(c, user)
        return c

    return make


@pytest.fixture
def api_as(app):
    """An API client that sends a Bearer token of the given user."""
    from community.services.accounts import issue_token, scopes_open_to

    def make(user, scopes=None):  # by default every power the role has
        _, secret = issue_token(user, "tests", scopes or " ".join(scopes_open_to(user)))
        c = app.test_client()
        c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        return c

    return make


# --- CI: a skipped test is a failed run ----------------------------------------------

_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI") and _skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if os.environ.get("CI") and _skipped:
        terminalreporter.write_line(f"CI: {len(_skipped)} skipped test(s) count as failures:", red=True)
        for nodeid in _skipped:
            terminalreporter.write_line(f"  {nodeid}", red=True)
