"""Section results kept as binary records: the results kept as JSON text are let go.

Revision ID: 0011
Revises: 0010

`source_section` is a cache of what each section of a notes file yielded at its last import, so that an edited
file parses only its changed sections. This version keeps those results in a binary form that reads back
several times faster; the JSON results of earlier versions are deleted rather than converted. Nothing is
lost: the next import of a changed file parses it whole once and keeps its sections anew, and an unchanged
file is recognised by its fingerprint (`source_file`) as before. An older dva-cards refuses the collection
from here on (its schema is newer), so it never meets a record it cannot read.
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM source_section WHERE typeof(result) <> 'blob'")


def downgrade() -> None:
    op.execute("DELETE FROM source_section WHERE typeof(result) = 'blob'")
