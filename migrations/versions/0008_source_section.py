"""Incremental re-import: what each section of a notes file yielded, under the hash of its text.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Filled by the next import of each file: until then a changed file is parsed whole, as before.
    op.create_table(
        "source_section",
        sa.Column("deck_id", sa.Integer(), sa.ForeignKey("deck.id"), primary_key=True),
        sa.Column("path", sa.String(), primary_key=True),
        sa.Column("hash", sa.String(), primary_key=True),
        sa.Column("result", sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("source_section")
