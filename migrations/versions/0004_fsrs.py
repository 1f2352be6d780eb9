"""FSRS memory: each card's stability and difficulty, and each answer's values before and after it.

The card's memory columns stay NULL until a non-cram answer has been given; an existing collection's cards get
theirs here, from their review log replayed with FSRS's default parameters (every review is kept as it was).

Revision ID: 0004
Revises: 0003
"""

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("card") as batch:
        batch.add_column(sa.Column("stability", sa.Float(), nullable=True))
        batch.add_column(sa.Column("difficulty", sa.Float(), nullable=True))
        batch.add_column(sa.Column("memory_day", sa.Date(), nullable=True))
    with op.batch_alter_table("review") as batch:
        for column in ("stability_before", "difficulty_before", "stability_after", "difficulty_after"):
            batch.add_column(sa.Column(column, sa.Float(), nullable=True))
    # `stats`' predicted recall reads every active answered card's section and memory from this index alone.
    op.create_index(
        "ix_card_memory",
        "card",
        ["deck_id", "context", "stability", "memory_day"],
        sqlite_where=sa.text("stability IS NOT NULL AND retired_at IS NULL AND suspended = 0"),
    )
    _replay_memories()


def _replay_memories() -> None:
    # The memory model is a pure function of the log: the same fold `config set scheduler` runs.
    from dva_cards import fsrs

    connection = op.get_bind()
    histories: dict[str, list[fsrs.Review]] = defaultdict(list)
    rows = connection.exec_driver_sql(
        "SELECT card_id, day, quality FROM review WHERE kind != 'cram' ORDER BY card_id, id"
    )
    for card_id, day, quality in rows:
        histories[card_id].append(fsrs.Review(date.fromisoformat(str(day)), int(quality)))
    updates = []
    for card_id, history in histories.items():
        memory = fsrs.replay(history)
        if memory is not None:
            updates.append(
                (memory.state.stability, memory.state.difficulty, memory.last_review.isoformat(), card_id)
            )
    if updates:
        connection.exec_driver_sql(
            "UPDATE card SET stability = ?, difficulty = ?, memory_day = ? WHERE id = ?", updates
        )


def downgrade() -> None:
    op.drop_index("ix_card_memory", table_name="card")
    with op.batch_alter_table("review") as batch:
        for column in ("difficulty_after", "stability_after", "difficulty_before", "stability_before"):
            batch.drop_column(column)
    with op.batch_alter_table("card") as batch:
        batch.drop_column("memory_day")
        batch.drop_column("difficulty")
        batch.drop_column("stability")
