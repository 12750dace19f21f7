"""A member's new email address awaiting confirmation, and the client address each login
session was started from.

Revision ID: 0016
Revises: 0015
"""

from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('user', sa.Column('pending_email', sa.String(length=254), nullable=True))
    op.add_column('login_session', sa.Column('address', sa.String(length=45), server_default='',
                                             nullable=False))


def downgrade() -> None:
    op.drop_column('login_session', 'address')
    op.drop_column('user', 'pending_email')
