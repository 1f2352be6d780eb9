"""An index for the day's drills.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Cards drilling after a grade of 3 are due in the future, so the due index does not find them.
    op.create_index("ix_card_drill", "card", ["id"], sqlite_where=sa.text("drill = 1 AND retired_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_card_drill", table_name="card")
