"""PostgreSQL: each post's and thread's search vector stored beside its body or title, so a
search for a common word filters and ranks a bounded set of candidates without parsing any
text again (docs/benchmarks.md, "Forum pages at scale"). SQLite's FTS5 table already
stores what it needs.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE post ADD COLUMN search_vector tsvector "
               "GENERATED ALWAYS AS (to_tsvector('english', body)) STORED")
    op.execute("CREATE INDEX ix_post_vector_search ON post USING gin (search_vector)")
    op.execute("DROP INDEX IF EXISTS ix_post_body_search")
    op.execute("ALTER TABLE thread ADD COLUMN search_vector tsvector "
               "GENERATED ALWAYS AS (to_tsvector('english', title)) STORED")
    op.execute("CREATE INDEX ix_thread_vector_search ON thread USING gin (search_vector)")
    op.execute("DROP INDEX IF EXISTS ix_thread_title_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_thread_title_search ON thread "
               "USING gin (to_tsvector('english', title))")
    op.execute("DROP INDEX IF EXISTS ix_thread_vector_search")
    op.execute("ALTER TABLE thread DROP COLUMN search_vector")
    op.execute("CREATE INDEX ix_post_body_search ON post "
               "USING gin (to_tsvector('english', body))")
    op.execute("DROP INDEX IF EXISTS ix_post_vector_search")
    op.execute("ALTER TABLE post DROP COLUMN search_vector")
