"""The sync server's schema (PostgreSQL): what every machine has sent, each row with its place in one sequence.

Revision ID: s0001
Revises: (the root of the `server` branch)

A separate branch of the migrations tree (its own version location, `migrations/server`), so a collection's
revisions and the server's never mix. `seq` orders every write the server took: a machine pulls the rows whose
`seq` is beyond the last one it saw (syncs take one lock, so `seq` order is commit order).
"""

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = ("server",)
depends_on = None

_SEQ = sa.text("nextval('sync_seq')")


def upgrade() -> None:
    op.execute("CREATE SEQUENCE sync_seq")
    op.create_table(
        "server_info",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.execute(
        "INSERT INTO server_info (key, value) VALUES ('id', md5(random()::text || clock_timestamp()::text))"
    )
    op.create_table(
        "card",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("deck", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("front", sa.Text(), nullable=False),
        sa.Column("back", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.Column("retired_at", sa.Text(), nullable=True),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("buried_until", sa.Text(), nullable=True),
        sa.Column("leech", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("clock", sa.BigInteger(), nullable=False),
        sa.Column("device", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False, server_default=_SEQ),
    )
    op.create_index("ix_card_seq", "card", ["seq"])
    op.create_table(
        "setting",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("clock", sa.BigInteger(), nullable=False),
        sa.Column("device", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False, server_default=_SEQ),
    )
    op.create_index("ix_setting_seq", "setting", ["seq"])
    op.create_table(
        "review",
        sa.Column("uid", sa.Text(), primary_key=True),
        sa.Column("device", sa.Text(), nullable=False),
        sa.Column("deck", sa.Text(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False, server_default=_SEQ),
        sa.Column("card_id", sa.Text(), nullable=True),
        sa.Column("reviewed_at", sa.Text(), nullable=True),
        sa.Column("day", sa.Text(), nullable=True),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        *(
            sa.Column(f"{name}_{when}", sa.Integer(), nullable=True)
            for when in ("before", "after")
            for name in ("reps", "ease", "interval", "drill", "lapses")
        ),
        sa.Column("due_before", sa.Text(), nullable=True),
        sa.Column("due_after", sa.Text(), nullable=True),
        sa.Column("leech_before", sa.Integer(), nullable=True),
        sa.Column("suspended_before", sa.Integer(), nullable=True),
        *(
            sa.Column(f"{name}_{when}", sa.Float(), nullable=True)
            for when in ("before", "after")
            for name in ("stability", "difficulty")
        ),
    )
    op.create_index("ix_review_seq", "review", ["seq"])


def downgrade() -> None:
    for table in ("review", "setting", "card", "server_info"):
        op.drop_table(table)
    op.execute("DROP SEQUENCE sync_seq")
