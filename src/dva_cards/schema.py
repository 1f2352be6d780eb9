"""The schema at the head revision, as SQLite keeps it: what a new collection is created from.

A new collection needs no migration history: these statements (what the migrations in migrations/versions
leave in sqlite_master, verbatim) and the head revision's stamp build it in one transaction, without loading
Alembic or SQLAlchemy. Alembic runs only to bring an older collection up to head. tests/test_schema_current.py
builds a collection both ways and compares them, so a migration added without its statements here fails.
"""

REVISION = "0011"  # the revision these statements are, stamped into alembic_version

STATEMENTS = (
    "CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)",
    "CREATE TABLE deck (\n\tid INTEGER NOT NULL, \n\tname VARCHAR NOT NULL, \n\tPRIMARY KEY (id), \n\tUNIQUE (name)\n)",
    "CREATE TABLE card (\n\tid VARCHAR(16) NOT NULL, \n\tdeck_id INTEGER NOT NULL, \n\tsource VARCHAR NOT NULL, \n\tline INTEGER NOT NULL, \n\tcontext VARCHAR NOT NULL, \n\tfront VARCHAR NOT NULL, \n\tback VARCHAR NOT NULL, \n\tcontent_hash VARCHAR NOT NULL, \n\tcreated_at DATETIME NOT NULL, \n\tupdated_at DATETIME NOT NULL, \n\tretired_at DATETIME, \n\tsuspended BOOLEAN NOT NULL, \n\tburied_until DATE, \n\tleech BOOLEAN NOT NULL, \n\treps INTEGER NOT NULL, \n\tease INTEGER NOT NULL, \n\tinterval INTEGER NOT NULL, \n\tdue DATE, \n\tdrill BOOLEAN NOT NULL, \n\tlapses INTEGER NOT NULL, \n\tlast_review DATETIME, stability FLOAT, difficulty FLOAT, memory_day DATE, clock INTEGER, clock_device VARCHAR, \n\tPRIMARY KEY (id), \n\tFOREIGN KEY(deck_id) REFERENCES deck (id)\n)",
    "CREATE INDEX ix_card_due ON card (due) WHERE retired_at IS NULL AND suspended = 0",
    "CREATE INDEX ix_card_new ON card (deck_id, source, line) WHERE due IS NULL AND retired_at IS NULL",
    "CREATE INDEX ix_card_deck_source ON card (deck_id, source)",
    "CREATE TABLE review (\n\tid INTEGER NOT NULL, \n\tcard_id VARCHAR NOT NULL, \n\treviewed_at DATETIME NOT NULL, \n\tday DATE NOT NULL, \n\tquality INTEGER NOT NULL, \n\tkind VARCHAR NOT NULL, \n\tduration_ms INTEGER NOT NULL, \n\treps_before INTEGER NOT NULL, \n\tease_before INTEGER NOT NULL, \n\tinterval_before INTEGER NOT NULL, \n\tdue_before DATE, \n\tdrill_before BOOLEAN NOT NULL, \n\tlapses_before INTEGER NOT NULL, \n\tleech_before BOOLEAN NOT NULL, \n\tsuspended_before BOOLEAN NOT NULL, \n\treps_after INTEGER NOT NULL, \n\tease_after INTEGER NOT NULL, \n\tinterval_after INTEGER NOT NULL, \n\tdue_after DATE, \n\tdrill_after BOOLEAN NOT NULL, \n\tlapses_after INTEGER NOT NULL, stability_before FLOAT, difficulty_before FLOAT, stability_after FLOAT, difficulty_after FLOAT, deck_id INTEGER, uid VARCHAR, device VARCHAR, clock INTEGER, \n\tPRIMARY KEY (id)\n)",
    "CREATE INDEX ix_review_day ON review (day, kind)",
    "CREATE INDEX ix_review_card ON review (card_id, id)",
    "CREATE TABLE source_file (\n\tdeck_id INTEGER NOT NULL, \n\tpath VARCHAR NOT NULL, \n\tcontent_hash VARCHAR NOT NULL, \n\tskipped_json VARCHAR NOT NULL, \n\timported_at DATETIME NOT NULL, \n\tPRIMARY KEY (deck_id, path), \n\tFOREIGN KEY(deck_id) REFERENCES deck (id)\n)",
    'CREATE TABLE setting (\n\t"key" VARCHAR NOT NULL, \n\tvalue VARCHAR NOT NULL, clock INTEGER, clock_device VARCHAR, \n\tPRIMARY KEY ("key")\n)',
    "CREATE INDEX ix_card_drill ON card (id) WHERE drill = 1 AND retired_at IS NULL",
    "CREATE INDEX ix_card_stats ON card (lapses, ease, deck_id, interval, reps, due, drill, buried_until, leech, suspended, retired_at)",
    "CREATE INDEX ix_card_context ON card (id, context, deck_id)",
    "CREATE INDEX ix_card_memory ON card (deck_id, context, stability, memory_day) WHERE stability IS NOT NULL AND retired_at IS NULL AND suspended = 0",
    "CREATE INDEX ix_review_deck_day ON review (deck_id, day, kind)",
    "CREATE INDEX ix_card_exam ON card (deck_id, source, line, id, context, due, stability, difficulty, memory_day) WHERE retired_at IS NULL AND suspended = 0 AND line IS NOT NULL",
    "CREATE TRIGGER review_deck AFTER INSERT ON review WHEN NEW.deck_id IS NULL BEGIN UPDATE review SET deck_id = (SELECT deck_id FROM card WHERE id = NEW.card_id) WHERE id = NEW.id; END",
    "CREATE TABLE source_section (\n\tdeck_id INTEGER NOT NULL, \n\tpath VARCHAR NOT NULL, \n\thash VARCHAR NOT NULL, \n\tresult VARCHAR NOT NULL, \n\tPRIMARY KEY (deck_id, path, hash), \n\tFOREIGN KEY(deck_id) REFERENCES deck (id)\n)",
    "CREATE UNIQUE INDEX ix_review_uid ON review (uid)",
    "CREATE INDEX ix_review_clock ON review (clock) WHERE device IS NULL",
    "CREATE TABLE sync_clock (\n\tid INTEGER NOT NULL, \n\tcounter INTEGER NOT NULL, \n\tPRIMARY KEY (id)\n)",
    "CREATE TABLE card_tombstone (\n\tcard_id VARCHAR NOT NULL, \n\tclock INTEGER NOT NULL, \n\tdevice VARCHAR, \n\tPRIMARY KEY (card_id)\n)",
    'CREATE TABLE setting_tombstone (\n\t"key" VARCHAR NOT NULL, \n\tclock INTEGER NOT NULL, \n\tdevice VARCHAR, \n\tPRIMARY KEY ("key")\n)',
    "CREATE TABLE review_tombstone (\n\tuid VARCHAR NOT NULL, \n\tclock INTEGER NOT NULL, \n\tdevice VARCHAR, \n\tPRIMARY KEY (uid)\n)",
    "CREATE TRIGGER review_sync AFTER INSERT ON review WHEN NEW.uid IS NULL BEGIN UPDATE sync_clock SET counter = counter + 1 WHERE id = 1; UPDATE review SET uid = printf('%012x', (SELECT counter FROM sync_clock WHERE id = 1)) || lower(hex(randomblob(10))), clock = (SELECT counter FROM sync_clock WHERE id = 1) WHERE id = NEW.id; END",
    "CREATE TRIGGER review_sync_delete AFTER DELETE ON review WHEN OLD.uid IS NOT NULL BEGIN UPDATE sync_clock SET counter = counter + 1 WHERE id = 1; INSERT OR IGNORE INTO review_tombstone (uid, clock, device) VALUES (OLD.uid, (SELECT counter FROM sync_clock WHERE id = 1), NULL); END",
    "CREATE TRIGGER card_sync_update AFTER UPDATE OF deck_id, context, front, back, retired_at, suspended, buried_until, leech ON card WHEN NEW.clock IS NOT NULL AND NEW.clock IS OLD.clock AND NEW.clock_device IS OLD.clock_device AND (NEW.deck_id IS NOT OLD.deck_id OR NEW.context IS NOT OLD.context OR NEW.front IS NOT OLD.front OR NEW.back IS NOT OLD.back OR NEW.retired_at IS NOT OLD.retired_at OR NEW.suspended IS NOT OLD.suspended OR NEW.buried_until IS NOT OLD.buried_until OR NEW.leech IS NOT OLD.leech) BEGIN UPDATE card SET clock = NULL, clock_device = NULL WHERE id = NEW.id; END",
    "CREATE TRIGGER card_sync_delete AFTER DELETE ON card BEGIN UPDATE sync_clock SET counter = counter + 1 WHERE id = 1; INSERT OR REPLACE INTO card_tombstone (card_id, clock, device) VALUES (OLD.id, (SELECT counter FROM sync_clock WHERE id = 1), NULL); END",
    'CREATE TRIGGER setting_sync_insert AFTER INSERT ON setting WHEN NEW.clock IS NULL AND NEW.key NOT LIKE \'sync-%\' BEGIN UPDATE sync_clock SET counter = counter + 1 WHERE id = 1; UPDATE setting SET clock = (SELECT counter FROM sync_clock WHERE id = 1), clock_device = NULL WHERE "key" = NEW."key"; DELETE FROM setting_tombstone WHERE "key" = NEW."key"; END',
    'CREATE TRIGGER setting_sync_update AFTER UPDATE OF value ON setting WHEN NEW.clock IS OLD.clock AND NEW.clock_device IS OLD.clock_device AND NEW.value IS NOT OLD.value AND NEW.key NOT LIKE \'sync-%\' BEGIN UPDATE sync_clock SET counter = counter + 1 WHERE id = 1; UPDATE setting SET clock = (SELECT counter FROM sync_clock WHERE id = 1), clock_device = NULL WHERE "key" = NEW."key"; END',
    'CREATE TRIGGER setting_sync_delete AFTER DELETE ON setting WHEN OLD.key NOT LIKE \'sync-%\' BEGIN UPDATE sync_clock SET counter = counter + 1 WHERE id = 1; INSERT OR IGNORE INTO setting_tombstone ("key", clock, device) VALUES (OLD."key", (SELECT counter FROM sync_clock WHERE id = 1), NULL); END',
)

# Rows a new collection starts with (the migrations insert them too): the logical clock's one row.
ROWS = ("INSERT INTO sync_clock (id, counter) VALUES (1, 0)",)
