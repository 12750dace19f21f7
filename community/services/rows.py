"""Row helpers that must behave the same on SQLite and PostgreSQL under concurrency."""

from sqlalchemy import delete, inspect, literal_column
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


def add_to(row, **deltas: int) -> None:
    """Add to a row's counters in SQL (`SET n = n + d`), flushed at once.

    A counter read and written back in Python loses concurrent updates on PostgreSQL; the
    UPDATE instead locks the row until commit, so concurrent writers apply in turn. The
    attributes are expired by the flush and read back fresh when next used.
    """
    # current_user reaches services as a proxy; the ORM needs the object behind it.
    row = getattr(row, "_get_current_object", lambda: row)()
    if not inspect(row).persistent:  # a row not yet written: no one else can see it
        for name, delta in deltas.items():
            setattr(row, name, getattr(row, name) + delta)
        return
    model = type(row)
    for name, delta in deltas.items():
        setattr(row, name, getattr(model, name) + delta)
    db.session.flush()
