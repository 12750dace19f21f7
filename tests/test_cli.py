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


def test_an_operator_lets_a_locked_out_admin_back_in(app):
    from community.models import ApiToken, LoginSession
    from community.services import accounts, sessions

    from .factories import PASSWORD, make_user

    boss = make_user("boss", role="admin")
    sessions.start(boss, "old laptop")
    accounts.issue_token(boss, "old script", "read")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "set-password", "BOSS", "--password-stdin"],
                           input="a fresh operator passphrase\n")
    assert result.exit_code == 0, result.output
    assert accounts.authenticate("boss", "a fresh operator passphrase") is not None
    assert accounts.authenticate("boss", PASSWORD) is None
    assert db.session.query(LoginSession).count() == 0
    assert all(t.revoked_at is not None for t in db.session.query(ApiToken))
    from community.models import AuditEntry

    [entry] = db.session.query(AuditEntry).filter_by(action="set_password").all()
    assert entry.target_id == boss.id and entry.actor_id is None

    prompted = runner.invoke(args=["user", "set-password", "boss"],
                             input="another long passphrase\nanother long passphrase\n")
    assert prompted.exit_code == 0, prompted.output
    assert accounts.authenticate("boss", "another long passphrase") is not None


def test_set_password_refuses_weak_passwords_and_unknown_members(app):
    from community.services import accounts

    from .factories import PASSWORD, make_user

    make_user("mia")
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["user", "set-password", "mia", "--password-stdin"], input="short\n")
    assert weak.exit_code != 0 and "password" in weak.output
    assert accounts.authenticate("mia", PASSWORD) is not None
    unknown = runner.invoke(args=["user", "set-password", "nobody", "--password-stdin"],
                            input="a long enough passphrase\n")
    assert unknown.exit_code != 0 and "No member is called nobody" in unknown.output


def test_set_role_and_list(app):
    from .factories import make_user

    make_user("root", role="admin"), make_user("mia")
    runner = app.test_cli_runner()
    done = runner.invoke(args=["user", "set-role", "mia", "moderator"])
    assert done.exit_code == 0 and "mia is now moderator" in done.output
    assert db.session.scalar(select(User.role).where(User.username == "mia")) == "moderator"
    last_admin = runner.invoke(args=["user", "set-role", "root", "member"])
    assert last_admin.exit_code != 0 and "at least one admin" in last_admin.output
    listed = runner.invoke(args=["user", "list"]).output.splitlines()
    assert [line.split()[:3] for line in listed] == [["root", "admin", "root@example.com"],
                                                     ["mia", "moderator", "mia@example.com"]]
    assert runner.invoke(args=["user", "list", "--role", "admin"]).output.split()[0] == "root"
