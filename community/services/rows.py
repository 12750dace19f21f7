"""Row helpers that must behave the same on SQLite and PostgreSQL under concurrency."""

from sqlalchemy import delete, literal_column
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db


def insert_if_absent(model, **values) -> bool:
    """Insert the row unless its key exists; True if this call inserted it.

    ON CONFLICT DO NOTHING makes simultaneous identical requests safe: one inserts, the
    others wait for it and then do nothing, so no one has to catch an IntegrityError.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: psycopg reports no row count for this statement.
    stmt = insert(model).values(**values).on_conflict_do_nothing().returning(literal_column("1"))
    return db.session.execute(stmt).first() is not None


def delete_if_present(model, **keys) -> bool:
    """Delete the row with these key values; True if this call deleted it."""
    conditions = [getattr(model, k) == v for k, v in keys.items()]
    stmt = delete(model).where(*conditions).returning(literal_column("1"))
    return db.session.execute(stmt).first() is not None
