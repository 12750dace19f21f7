"""Indexes found by the benchmarks: the home page's newest threads, leaderboards, the ledger.

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
    op.drop_index('ix_point_total_board', table_name='point_total')
    op.create_index('ix_point_total_board', 'point_total',
                    ['period', 'period_start', 'forum_id', 'points', 'user_id'])
    op.create_index('ix_point_total_range', 'point_total',
                    ['period', 'forum_id', 'period_start', 'user_id', 'points'])
    op.drop_index('ix_point_entry_key', table_name='point_entry')
    op.create_index('ix_point_entry_key', 'point_entry', ['user_id', 'subject_key', 'action'])


def downgrade() -> None:
    op.drop_index('ix_point_entry_key', table_name='point_entry')
    op.create_index('ix_point_entry_key', 'point_entry', ['user_id', 'action', 'subject_key'])
    op.drop_index('ix_point_total_range', table_name='point_total')
    op.drop_index('ix_point_total_board', table_name='point_total')
    op.create_index('ix_point_total_board', 'point_total',
                    ['period', 'period_start', 'forum_id', 'points'])
    op.drop_index('ix_thread_forum_activity', table_name='thread')
