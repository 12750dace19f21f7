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
