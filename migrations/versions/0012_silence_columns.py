"""Silence as columns of user, like suspension, instead of JSON in the settings table.

Revision ID: 0012
Revises: 0011
"""

import json
from datetime import datetime

from alembic import op
import sqlalchemy as sa

import community.models.base

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

setting = sa.table('setting', sa.column('key', sa.String), sa.column('value', sa.Text))
user = sa.table('user', sa.column('id', sa.Integer),
                sa.column('silenced_until', community.models.base.UTCDateTime(timezone=True)),
                sa.column('silenced_reason', sa.Text))


def upgrade() -> None:
    # Plain ADD COLUMN, not batch mode: recreating user on SQLite is not needed for this.
    op.add_column('user', sa.Column('silenced_until',
                                    community.models.base.UTCDateTime(timezone=True), nullable=True))
    op.add_column('user', sa.Column('silenced_reason', sa.Text(), server_default='',
                                    nullable=False))
    bind = op.get_bind()
    rows = bind.execute(sa.select(setting.c.key, setting.c.value)
                        .where(setting.c.key.like('silenced:%'))).all()
    for key, value in rows:
        user_id = key.split(':', 1)[1]
        try:
            data = json.loads(value)
            until = datetime.fromisoformat(data['until'])
        except (ValueError, KeyError, TypeError):
            continue  # unreadable: dropped below, as it silenced nobody
        if user_id.isdigit():
            bind.execute(user.update().where(user.c.id == int(user_id)).values(
                silenced_until=until, silenced_reason=str(data.get('reason', ''))))
    bind.execute(setting.delete().where(setting.c.key.like('silenced:%')))


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(user.c.id, user.c.silenced_until, user.c.silenced_reason)
                        .where(user.c.silenced_until.is_not(None))).all()
    for user_id, until, reason in rows:
        bind.execute(setting.insert().values(
            key=f'silenced:{user_id}',
            value=json.dumps({'until': until.isoformat(), 'reason': reason})))
    op.drop_column('user', 'silenced_reason')
    op.drop_column('user', 'silenced_until')
