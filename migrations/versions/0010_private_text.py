"""No private text in public stores: badge awards refer to their thread instead of quoting it.

The rules that award "Problem solver" and "Idea shipped" used to write the thread's title
into the reason ("Solved “…”.", "“…” shipped."), which profile pages, the leaderboard's
live room, webhooks and notifications then showed to anyone, private forum or not. The
reason is now neutral and the thread is a reference (badge_award.thread_id), its title
added only for those who may read it. This rewrites the stored rows:

- badge_award: rule awards with a title in the reason get the neutral reason and the thread;
- notification: "You earned the “…” badge: <titled reason>" gets the neutral reason;
- webhook_delivery: pending badge.awarded deliveries to webhooks without private content
  get the neutral reason (delivered ones are history, seen by admins only).

Revision ID: 0010
Revises: 0009
"""

import json

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# services.advocacy: the neutral reasons, and the titled ones they replace.
SOLVED = "Gave a first accepted solution."
SHIPPED = "Suggested an idea the brand shipped."
RULES = {  # badge slug: (prefix, suffix, neutral)
    'first-solution': ('Solved \u201c', '\u201d.', SOLVED),
    'idea-shipped': ('\u201c', '\u201d shipped.', SHIPPED),
}


def _neutral(reason: str) -> str | None:
    """The neutral reason for a titled rule reason, or None if `reason` is not one."""
    for prefix, suffix, neutral in RULES.values():
        if reason.startswith(prefix) and reason.endswith(suffix):
            return neutral
    return None


def upgrade() -> None:
    with op.batch_alter_table('badge_award', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thread_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_badge_award_thread_id_thread'), 'thread',
                                    ['thread_id'], ['id'], ondelete='SET NULL')
    clean(op.get_bind())


def clean(conn) -> None:
    """Rewrite the stored rows (on its own, so tests can run it on rows written the old way)."""
    awards = conn.execute(sa.text(
        'SELECT badge_award.id, badge_award.user_id, badge_award.occasion, badge_award.reason, '
        'badge.slug FROM badge_award JOIN badge ON badge.id = badge_award.badge_id '
        'WHERE badge.builtin AND badge_award.awarded_by_id IS NULL '
        "AND badge.slug IN ('first-solution', 'idea-shipped')")).all()
    for award_id, user_id, occasion, reason, slug in awards:
        prefix, suffix, neutral = RULES[slug]
        if not (reason.startswith(prefix) and reason.endswith(suffix)):
            continue
        title = reason[len(prefix):-len(suffix)]
        thread_id = None
        if slug == 'idea-shipped' and occasion.startswith('thread:') \
                and occasion[len('thread:'):].isdigit():
            thread_id = int(occasion[len('thread:'):])
        elif slug == 'first-solution':
            thread_id = conn.execute(sa.text(
                'SELECT thread.id FROM thread JOIN post ON post.thread_id = thread.id '
                'WHERE post.author_id = :user AND post.is_solution AND thread.title = :title '
                'ORDER BY thread.id LIMIT 1'), {'user': user_id, 'title': title}).scalar()
        if thread_id is not None and conn.execute(
                sa.text('SELECT 1 FROM thread WHERE id = :id'), {'id': thread_id}).first() is None:
            thread_id = None
        conn.execute(sa.text('UPDATE badge_award SET reason = :reason, thread_id = :thread '
                             'WHERE id = :id'),
                     {'reason': neutral, 'thread': thread_id, 'id': award_id})

    # "You earned the “<badge>” badge: <reason>" (services.notifications).
    notes = conn.execute(sa.text(
        "SELECT id, message FROM notification WHERE kind = 'badge'")).all()
    for note_id, message in notes:
        head, sep, reason = message.partition(' badge: ')
        neutral = _neutral(reason) if sep else None
        if neutral is not None:
            conn.execute(sa.text('UPDATE notification SET message = :m WHERE id = :id'),
                         {'m': f'{head}{sep}{neutral}', 'id': note_id})

    pending = conn.execute(sa.text(
        'SELECT webhook_delivery.id, webhook_delivery.payload FROM webhook_delivery '
        'JOIN webhook ON webhook.id = webhook_delivery.webhook_id '
        "WHERE webhook_delivery.event = 'badge.awarded' "
        "AND webhook_delivery.status = 'pending' AND NOT webhook.include_private")).all()
    for delivery_id, payload in pending:
        try:
            body = json.loads(payload)
            reason = body['data']['reason']
        except (ValueError, KeyError, TypeError):
            continue
        neutral = _neutral(reason) if isinstance(reason, str) else None
        if neutral is not None:
            body['data']['reason'] = neutral
            conn.execute(sa.text('UPDATE webhook_delivery SET payload = :p WHERE id = :id'),
                         {'p': json.dumps(body, ensure_ascii=False, separators=(',', ':')),
                          'id': delivery_id})


def downgrade() -> None:
    # The neutral reasons stay: the titles are not put back into public stores.
    with op.batch_alter_table('badge_award', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_badge_award_thread_id_thread'), type_='foreignkey')
        batch_op.drop_column('thread_id')
