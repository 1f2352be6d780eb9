"""Initial schema: decks, cards with their SM-2 state, the review log, imported files, settings.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deck",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False, unique=True),
    )
    op.create_table(
        "card",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("deck_id", sa.Integer(), sa.ForeignKey("deck.id"), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("context", sa.String(), nullable=False),
        sa.Column("front", sa.String(), nullable=False),
        sa.Column("back", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("buried_until", sa.Date(), nullable=True),
        sa.Column("leech", sa.Boolean(), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("ease", sa.Integer(), nullable=False),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("drill", sa.Boolean(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.Column("last_review", sa.DateTime(), nullable=True),
    )
    op.create_index(
        "ix_card_due", "card", ["due"], sqlite_where=sa.text("retired_at IS NULL AND suspended = 0")
    )
    op.create_index(
        "ix_card_new",
        "card",
        ["deck_id", "source", "line"],
        sqlite_where=sa.text("due IS NULL AND retired_at IS NULL"),
    )
    op.create_index("ix_card_deck_source", "card", ["deck_id", "source"])
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("card_id", sa.String(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("reps_before", sa.Integer(), nullable=False),
        sa.Column("ease_before", sa.Integer(), nullable=False),
        sa.Column("interval_before", sa.Integer(), nullable=False),
        sa.Column("due_before", sa.Date(), nullable=True),
        sa.Column("drill_before", sa.Boolean(), nullable=False),
        sa.Column("lapses_before", sa.Integer(), nullable=False),
        sa.Column("leech_before", sa.Boolean(), nullable=False),
        sa.Column("suspended_before", sa.Boolean(), nullable=False),
        sa.Column("reps_after", sa.Integer(), nullable=False),
        sa.Column("ease_after", sa.Integer(), nullable=False),
        sa.Column("interval_after", sa.Integer(), nullable=False),
        sa.Column("due_after", sa.Date(), nullable=True),
        sa.Column("drill_after", sa.Boolean(), nullable=False),
        sa.Column("lapses_after", sa.Integer(), nullable=False),
    )
    op.create_index("ix_review_day", "review", ["day", "kind"])
    op.create_index("ix_review_card", "review", ["card_id", "id"])
    op.create_table(
        "source_file",
        sa.Column("deck_id", sa.Integer(), sa.ForeignKey("deck.id"), primary_key=True),
        sa.Column("path", sa.String(), primary_key=True),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("skipped_json", sa.String(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", sa.String(), nullable=False),
    )


def downgrade() -> None:
    for table in ("setting", "source_file", "review", "card", "deck"):
        op.drop_table(table)
