from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
import pytest
from sqlalchemy.exc import IntegrityError

from community.extensions import db
from community.models import Base, User
from community.queries.search import alembic_include_name


def test_migrations_match_the_models(app):
    """The run's database was built by the migrations; the models must not differ from it."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                       "include_name": alembic_include_name})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_usernames_are_unique_whatever_their_case_in_the_database(app):
    # Autogenerate cannot compare expression indexes, so prove this one exists by using it.
    db.session.add_all([User(username=n, email=f"{n}@example.com", password_hash="x")
                        for n in ("Sam", "sAM")])
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_silences_move_from_settings_to_columns_and_back(tmp_path):
    """0012 carries each stored silence over (and back on downgrade), on a database of its own."""
    from datetime import timedelta

    from sqlalchemy import text

    from community import create_app
    from community.cli import alembic_config, upgrade_database
    from community.models import utcnow

    from .conftest import TEST_SETTINGS

    app = create_app(TEST_SETTINGS | {"DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}"},
                     instance_path=str(tmp_path))
    until = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    with app.app_context():
        upgrade_database(app, "0011")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO \"user\" (id, username, email, password_hash, "
                              "display_name, bio, role, trust_level, suspended_reason, points, "
                              "visit_streak, days_visited, post_count, trust_locked, digest, "
                              "auto_follow, created_at) VALUES (7, 'zed', 'zed@example.com', "
                              "'x', '', '', 'member', 0, '', 0, 0, 0, 0, 0, 'weekly', 1, "
                              ":now)"), {"now": utcnow().replace(tzinfo=None)})
            conn.execute(text("INSERT INTO setting (key, value) VALUES ('silenced:7', :v), "
                              "('silenced:8', 'not json')"),
                         {"v": f'{{"until": "{until.isoformat()}", "reason": "Cool off"}}'})
        upgrade_database(app, "head")
        zed = db.session.get(User, 7)
        assert zed.silenced_until == until and zed.silenced_reason == "Cool off"
        assert zed.is_silenced()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM setting WHERE key LIKE 'silenced:%'")
                                ).scalar() == 0
        db.session.remove()
        from alembic import command

        command.downgrade(alembic_config(app), "0011")
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT value FROM setting WHERE key = 'silenced:7'")
                                  ).scalar()
        assert "Cool off" in stored
        db.engine.dispose()
