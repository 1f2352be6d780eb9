"""A covering index for the exam planner: each active card's place in the notes and its memory, in notes order.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every column the planner reads, led by the order of the notes (deck, file, line, id): planning an exam
    # reads this index from end to end instead of the wide card rows, and needs no sort but the decks'.
    # `line IS NOT NULL` holds for every card (the column is NOT NULL) and no other query says it: only the
    # planner's query can use this index, so the session's queue keeps its own (ix_card_due for a deck too).
    op.create_index(
        "ix_card_exam",
        "card",
        ["deck_id", "source", "line", "id", "context", "due", "stability", "difficulty", "memory_day"],
        sqlite_where=sa.text("retired_at IS NULL AND suspended = 0 AND line IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_card_exam", table_name="card")
