"""Covering indexes for `stats`: the card counts and the retention window without reading whole card rows.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every column the card counts group by, hardest first: the stats pass over the cards reads this index
    # instead of the wide rows, and the hardest cards (most lapses, lowest ease) are its last entries.
    op.create_index(
        "ix_card_stats",
        "card",
        ["lapses", "ease", "deck_id", "interval", "reps", "due", "drill", "buried_until", "leech", "suspended",
         "retired_at"],
    )  # fmt: skip
    # A review's card -> its context and deck in one index lookup (retention by section).
    op.create_index("ix_card_context", "card", ["id", "context", "deck_id"])


def downgrade() -> None:
    op.drop_index("ix_card_context", table_name="card")
    op.drop_index("ix_card_stats", table_name="card")
