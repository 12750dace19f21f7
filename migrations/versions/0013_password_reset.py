"""Password reset links (the hash of each emailed token, its expiry and its use), and
when each member confirmed their email address.

Revision ID: 0013
Revises: 0012
"""

from alembic import op
import sqlalchemy as sa

import community.models.base

user = sa.table('user', sa.column('created_at', community.models.base.UTCDateTime(timezone=True)),
                sa.column('email_verified_at', community.models.base.UTCDateTime(timezone=True)))

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('password_reset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', community.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', community.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', community.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_password_reset_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_reset_token_hash'))
    )
    op.create_index(op.f('ix_password_reset_user_id'), 'password_reset', ['user_id'], unique=False)
    op.add_column('user', sa.Column('email_verified_at',
                                    community.models.base.UTCDateTime(timezone=True), nullable=True))
    # Members who joined before confirmation existed keep their notification emails.
    op.execute(user.update().values(email_verified_at=user.c.created_at))


def downgrade() -> None:
    op.drop_column('user', 'email_verified_at')
    op.drop_index(op.f('ix_password_reset_user_id'), table_name='password_reset')
    op.drop_table('password_reset')
