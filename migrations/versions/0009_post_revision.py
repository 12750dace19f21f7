"""Post revision numbers, so an edit made on a stale copy of a post is refused.

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not batch mode: recreating post on SQLite would drop the search
    # triggers of 0003 (which fire on UPDATE OF body only, so the backfill leaves them be).
    op.add_column('post', sa.Column('revision', sa.Integer(), server_default='1', nullable=False))
    # Posts edited before this migration start after their kept revisions.
    op.execute('UPDATE post SET revision = 1 + (SELECT count(*) FROM post_revision '
               'WHERE post_revision.post_id = post.id) '
               'WHERE id IN (SELECT post_id FROM post_revision)')


def downgrade() -> None:
    op.drop_column('post', 'revision')
