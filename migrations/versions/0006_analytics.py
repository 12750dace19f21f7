"""Engagement analytics: member activity per day, and created_at indexes for per-day counts.

The activity of existing communities is filled in from what the tables already show:
posts, votes and each member's last visit (earlier visits were never recorded per day).

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('member_activity',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_member_activity_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'day', name=op.f('pk_member_activity'))
    )
    op.create_index('ix_member_activity_day', 'member_activity', ['day', 'user_id'], unique=False)
    op.create_index('ix_post_created_state', 'post', ['created_at', 'state', 'thread_id'], unique=False)
    op.create_index('ix_thread_created', 'thread', ['created_at'], unique=False)
    op.create_index('ix_thread_vote_created', 'thread_vote', ['created_at', 'thread_id'], unique=False)
    op.create_index('ix_post_vote_created', 'post_vote', ['created_at', 'post_id'], unique=False)
    op.create_index('ix_user_created', 'user', ['created_at'], unique=False)
    _backfill_activity()


def _backfill_activity() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        def day(column: str) -> str:
            return f"CAST(({column} AT TIME ZONE 'UTC') AS DATE)"
    else:
        def day(column: str) -> str:
            return f"date({column})"
    # UNION (not UNION ALL) leaves one row per member and day.
    op.execute(
        "INSERT INTO member_activity (user_id, day) "
        f"SELECT author_id, {day('created_at')} FROM post WHERE state <> 'pending' "
        f"UNION SELECT user_id, {day('created_at')} FROM thread_vote "
        f"UNION SELECT user_id, {day('created_at')} FROM post_vote "
        'UNION SELECT id, last_visit_on FROM "user" WHERE last_visit_on IS NOT NULL'
    )


def downgrade() -> None:
    op.drop_index('ix_user_created', table_name='user')
    op.drop_index('ix_post_vote_created', table_name='post_vote')
    op.drop_index('ix_thread_vote_created', table_name='thread_vote')
    op.drop_index('ix_thread_created', table_name='thread')
    op.drop_index('ix_post_created_state', table_name='post')
    op.drop_index('ix_member_activity_day', table_name='member_activity')
    op.drop_table('member_activity')
