"""An index for each forum's most recently active thread (the home page).

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_thread_forum_activity', 'thread', ['forum_id', 'last_activity_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_thread_forum_activity', table_name='thread')
