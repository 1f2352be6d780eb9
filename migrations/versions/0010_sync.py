"""Sync between machines: every answer gets a global id, every shared write a logical clock.

Revision ID: 0010
Revises: 0009

- `review.uid`: a global id, the same on every machine the answer is synced to (the local integer id is not):
  this collection's logical clock when the answer was written (12 hex digits, so one machine's answers sort in
  the order it gave them) and 80 random bits; `review.device`: the machine that gave the answer (NULL: this one); `review.clock`: when it was
  written, on this collection's logical clock (what a sync has not yet sent).
- `card.clock` / `card.clock_device`: the logical time of the last write to the card's shared content (front,
  back, context, deck, retirement, suspension, burial, leech flag) and the machine that made it (NULL: this
  one); two machines' writes are ordered by (clock, device): the last writer wins. A clock of NULL marks a card
  written here since the last sync (a new card too): the next sync stamps it with the next tick.
- `setting.clock` / `setting.clock_device`: the same for settings (the `sync-*` keys stay on the machine).
- `card_tombstone`, `setting_tombstone`, `review_tombstone`: deletions (prunes, unset settings, undone answers),
  so that a sync carries them too.
- `sync_clock`: the one counter (a Lamport clock): each local write takes the next value; a sync raises it past
  every clock it receives.

The database marks and stamps the writes itself (triggers), whoever writes the row, so no write path can
forget them. A
write that arrives by sync sets the clock itself, and the triggers leave it alone. Sources (file paths, lines)
are not shared and carry no clock.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The next value of the logical clock, as a trigger's first statement. Only an UPDATE: the one row is made with
# the table (an INSERT OR IGNORE in a trigger takes the conflict policy of the statement that fired it).
_TICK = "UPDATE sync_clock SET counter = counter + 1 WHERE id = 1; "
_NOW = "(SELECT counter FROM sync_clock WHERE id = 1)"
# The columns of a card that every machine shares (its source and line stay on the machine).
SHARED_CARD_COLUMNS = (
    "deck_id",
    "context",
    "front",
    "back",
    "retired_at",
    "suspended",
    "buried_until",
    "leech",
)
_LOCAL_SETTING = "'sync-%'"

TRIGGERS = (
    "CREATE TRIGGER review_sync AFTER INSERT ON review WHEN NEW.uid IS NULL BEGIN "
    + _TICK
    + f"UPDATE review SET uid = printf('%012x', {_NOW}) || lower(hex(randomblob(10))), clock = {_NOW} "
    "WHERE id = NEW.id; END",
    "CREATE TRIGGER review_sync_delete AFTER DELETE ON review WHEN OLD.uid IS NOT NULL BEGIN "
    + _TICK
    + f"INSERT OR IGNORE INTO review_tombstone (uid, clock, device) VALUES (OLD.uid, {_NOW}, NULL); END",
    # A changed card is only marked (clock NULL): a sync stamps every marked card at once before it sends them,
    # so an import of 100,000 cards pays nothing here, and a new card is born marked.
    f"CREATE TRIGGER card_sync_update AFTER UPDATE OF {', '.join(SHARED_CARD_COLUMNS)} ON card "
    "WHEN NEW.clock IS NOT NULL AND NEW.clock IS OLD.clock AND NEW.clock_device IS OLD.clock_device AND ("
    + " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in SHARED_CARD_COLUMNS)
    + ") BEGIN UPDATE card SET clock = NULL, clock_device = NULL WHERE id = NEW.id; END",
    "CREATE TRIGGER card_sync_delete AFTER DELETE ON card BEGIN "
    + _TICK
    + f"INSERT OR REPLACE INTO card_tombstone (card_id, clock, device) VALUES (OLD.id, {_NOW}, NULL); END",
    f"CREATE TRIGGER setting_sync_insert AFTER INSERT ON setting WHEN NEW.clock IS NULL "
    f"AND NEW.key NOT LIKE {_LOCAL_SETTING} BEGIN "
    + _TICK
    + f'UPDATE setting SET clock = {_NOW}, clock_device = NULL WHERE "key" = NEW."key"; '
    'DELETE FROM setting_tombstone WHERE "key" = NEW."key"; END',
    f"CREATE TRIGGER setting_sync_update AFTER UPDATE OF value ON setting WHEN NEW.clock IS OLD.clock "
    f"AND NEW.clock_device IS OLD.clock_device AND NEW.value IS NOT OLD.value "
    f"AND NEW.key NOT LIKE {_LOCAL_SETTING} BEGIN "
    + _TICK
    + f'UPDATE setting SET clock = {_NOW}, clock_device = NULL WHERE "key" = NEW."key"; END',
    f"CREATE TRIGGER setting_sync_delete AFTER DELETE ON setting WHEN OLD.key NOT LIKE {_LOCAL_SETTING} BEGIN "
    + _TICK
    + f'INSERT OR IGNORE INTO setting_tombstone ("key", clock, device) VALUES (OLD."key", {_NOW}, NULL); END',
)


def upgrade() -> None:
    op.add_column("review", sa.Column("uid", sa.String(), nullable=True))
    op.add_column("review", sa.Column("device", sa.String(), nullable=True))
    op.add_column("review", sa.Column("clock", sa.Integer(), nullable=True))
    # Every answer given before this revision is this machine's, and none has been sent anywhere yet (clock 0).
    op.execute("UPDATE review SET uid = printf('%012x', id) || lower(hex(randomblob(10))), clock = 0")
    op.create_index("ix_review_uid", "review", ["uid"], unique=True)
    op.create_index("ix_review_clock", "review", ["clock"], sqlite_where=sa.text("device IS NULL"))
    op.add_column("card", sa.Column("clock", sa.Integer(), nullable=True))
    op.add_column("card", sa.Column("clock_device", sa.String(), nullable=True))
    # Every card is this machine's and marked as changed (clock NULL): the first sync sends them all.
    op.add_column("setting", sa.Column("clock", sa.Integer(), nullable=True))
    op.add_column("setting", sa.Column("clock_device", sa.String(), nullable=True))
    op.execute(f"UPDATE setting SET clock = 0 WHERE key NOT LIKE {_LOCAL_SETTING}")
    op.create_table(
        "sync_clock",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("counter", sa.Integer(), nullable=False),
    )
    op.create_table(
        "card_tombstone",
        sa.Column("card_id", sa.String(), primary_key=True),
        sa.Column("clock", sa.Integer(), nullable=False),
        sa.Column("device", sa.String(), nullable=True),
    )
    op.create_table(
        "setting_tombstone",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("clock", sa.Integer(), nullable=False),
        sa.Column("device", sa.String(), nullable=True),
    )
    op.create_table(
        "review_tombstone",
        sa.Column("uid", sa.String(), primary_key=True),
        sa.Column("clock", sa.Integer(), nullable=False),
        sa.Column("device", sa.String(), nullable=True),
    )
    # The counter starts past every answer's id, so the ids of later answers sort after the earlier ones'.
    op.execute("INSERT INTO sync_clock (id, counter) SELECT 1, coalesce(max(id), 0) FROM review")
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger.split()[2]}")
    for table in ("review_tombstone", "setting_tombstone", "card_tombstone", "sync_clock"):
        op.drop_table(table)
    op.drop_index("ix_review_clock", table_name="review")
    op.drop_index("ix_review_uid", table_name="review")
    for table, columns in (
        ("setting", ("clock_device", "clock")),
        ("card", ("clock_device", "clock")),
        ("review", ("clock", "device", "uid")),
    ):
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column)
