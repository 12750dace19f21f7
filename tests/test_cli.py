from sqlalchemy import select

from community.extensions import db
from community.models import Setting, User


def test_user_create(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "boss", "--email", "boss@example.com",
                                 "--password", "a long admin passphrase", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert "Created admin boss" in result.output
    assert db.session.scalar(select(User.role).where(User.username == "boss")) == "admin"


def test_user_create_reports_bad_input(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "x", "--email", "bad", "--password", "short"])
    assert result.exit_code != 0
    assert "username" in result.output and "email" in result.output
    assert db.session.scalar(select(User).limit(1)) is None


def test_seed_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "--demo"])
    assert first.exit_code == 0 and "created" in first.output
    users = db.session.query(User).count()
    second = runner.invoke(args=["seed", "--demo"])
    assert second.exit_code == 0 and "already there" in second.output
    assert db.session.query(User).count() == users
    assert db.session.get(Setting, "name").value == "Trailhead Outdoor Community"
    assert "Trailhead Outdoor Community" in app.test_client().get("/").get_data(as_text=True)


def test_db_upgrade_creates_a_fresh_sqlite_database(tmp_path):
    from community import create_app

    from .conftest import TEST_SETTINGS

    app = create_app(TEST_SETTINGS | {"DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"},
                     instance_path=str(tmp_path))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new.db").exists()
    with app.app_context():
        assert db.session.query(User).count() == 0
        db.session.remove()
    db.engine.dispose()


def test_serve_command_is_registered(app):
    result = app.test_cli_runner().invoke(args=["serve", "--help"])
    assert result.exit_code == 0 and "--port" in result.output
