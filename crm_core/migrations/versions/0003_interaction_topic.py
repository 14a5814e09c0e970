"""interaction topic

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00.000000

What an interaction is about (general, billing, collection, support), so the permission filter shows a
collection letter only to the profiles that may see collection. Rows recorded before the column existed are
classified once here from their kind and summary; new rows get their topic from whoever writes them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sa.String(length=20), nullable=False, server_default='general'))
    # One-time classification of the rows already there; collection wins over billing (deny rather than leak).
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE interactions SET topic = 'support' WHERE kind IN ('support', 'after_sales')"))
    conn.execute(sa.text("UPDATE interactions SET topic = 'billing' WHERE topic = 'general' AND "
                         + _mentions("facture", "paiement")))
    conn.execute(sa.text("UPDATE interactions SET topic = 'collection' WHERE topic <> 'support' AND "
                         + _mentions("relance", "recouvrement", "impay", "mise en demeure", "contentieux")))


def _mentions(*words: str) -> str:
    return "(" + " OR ".join(f"lower(summary) LIKE '%{w}%'" for w in words) + ")"


def downgrade() -> None:
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_column('topic')
