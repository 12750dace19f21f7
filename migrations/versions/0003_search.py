"""full-text search over posts and thread titles

SQLite: one FTS5 table, post_fts(title, body), a row per post keyed by the post's id;
an opening post's row also carries its thread's title, so a search can match words
from the title and the opening post together. Triggers keep it in step with post and
thread. It keeps its own copy of the text (not external-content): it then forgets a row
by id, whatever happened to the thread, and can never drift from what it indexed.

PostgreSQL: GIN expression indexes that community.queries.search matches with the very
same to_tsvector('english', …) expressions.

Beware: a later SQLite batch migration that recreates `post` or `thread` (move and copy)
drops their triggers with the old table, and must create them again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:00:00.000000
"""

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SQLITE_TABLE = (
    # porter over unicode61: "waterproofing" finds "waterproof", "café" finds "cafe".
    "CREATE VIRTUAL TABLE post_fts USING fts5(title, body, "
    "tokenize='porter unicode61 remove_diacritics 2')"
)

SQLITE_OPENING_TITLE = (
    "CASE WHEN {post}.number = 1 THEN (SELECT title FROM thread WHERE id = {post}.thread_id) "
    "ELSE '' END"
)

SQLITE_TRIGGERS = {
    "post_fts_insert": f"""
        CREATE TRIGGER post_fts_insert AFTER INSERT ON post BEGIN
          INSERT INTO post_fts(rowid, title, body)
          VALUES (new.id, {SQLITE_OPENING_TITLE.format(post='new')}, new.body);
        END""",
    "post_fts_delete": """
        CREATE TRIGGER post_fts_delete AFTER DELETE ON post BEGIN
          DELETE FROM post_fts WHERE rowid = old.id;
        END""",
    "post_fts_update": """
        CREATE TRIGGER post_fts_update AFTER UPDATE OF body ON post BEGIN
          UPDATE post_fts SET body = new.body WHERE rowid = new.id;
        END""",
    "post_fts_retitle": """
        CREATE TRIGGER post_fts_retitle AFTER UPDATE OF title ON thread BEGIN
          UPDATE post_fts SET title = new.title
          WHERE rowid IN (SELECT id FROM post WHERE thread_id = new.id AND number = 1);
        END""",
}

POSTGRESQL_INDEXES = {
    "ix_post_body_search": "CREATE INDEX ix_post_body_search ON post "
                           "USING gin (to_tsvector('english', body))",
    "ix_thread_title_search": "CREATE INDEX ix_thread_title_search ON thread "
                              "USING gin (to_tsvector('english', title))",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_TABLE)
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
        # Index the posts written before this migration.
        op.execute("INSERT INTO post_fts(rowid, title, body) "
                   f"SELECT id, {SQLITE_OPENING_TITLE.format(post='post')}, body FROM post")
    elif dialect == "postgresql":
        for statement in POSTGRESQL_INDEXES.values():
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS post_fts")
    elif dialect == "postgresql":
        for name in POSTGRESQL_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
