"""Per-deck stats along an index that starts from the deck: every answer carries its card's deck.

Revision ID: 0007
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

# The database fills in each new answer's deck, whoever writes the row. A card never changes deck (the deck is
# part of its identity), and a pruned card's answers keep theirs, so past work still counts for its deck.
TRIGGER = (
    "CREATE TRIGGER review_deck AFTER INSERT ON review WHEN NEW.deck_id IS NULL BEGIN "
    "UPDATE review SET deck_id = (SELECT deck_id FROM card WHERE id = NEW.card_id) WHERE id = NEW.id; END"
)


def upgrade() -> None:
    op.add_column("review", sa.Column("deck_id", sa.Integer(), nullable=True))
    # Answers of cards pruned before this revision have no card left to say their deck: they stay NULL and
    # count only in the all-deck figures, as before.
    op.execute("UPDATE review SET deck_id = (SELECT deck_id FROM card WHERE card.id = review.card_id)")
    # `stats --deck`: one deck's answers, day by day, in one range of this index (no card lookups).
    op.create_index("ix_review_deck_day", "review", ["deck_id", "day", "kind"])
    op.execute(TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER review_deck")
    op.drop_index("ix_review_deck_day", table_name="review")
    with op.batch_alter_table("review") as batch:
        batch.drop_column("deck_id")
