"""The sync server's side: a PostgreSQL database every machine pushes to and pulls from (psycopg 3).

Imported only by `dva-cards sync`. One sync is one PostgreSQL transaction (push, then pull), under an advisory
lock, so the server's `seq` order is the order its writes were committed in and a killed sync leaves nothing
half-written. The schema is created and upgraded with Alembic, from the `server` branch of the migrations tree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import UserError
from .sync_merge import REVIEW_COLUMNS, Pulled, ReviewRow, SettingRow, SharedCard, mask_password

# Every server revision this version knows, oldest first (migrations/server).
SERVER_REVISIONS = ("s0001",)
SERVER_HEAD = SERVER_REVISIONS[-1]
_LOCK = 0x64766163  # pg_advisory_xact_lock key: one sync (or schema upgrade) at a time
BATCH = 5000

_CARD_COLUMNS = (
    "id, deck, context, front, back, content_hash, created_at, retired_at, suspended, buried_until, leech, "
    "deleted, clock, device"
)


class SyncError(UserError):
    """A sync that could not be done: nothing was changed on either side."""


@dataclass(frozen=True)
class Outgoing:
    cards: Sequence[SharedCard]
    settings: Sequence[SettingRow]
    reviews: Sequence[ReviewRow]


Progress = Callable[[int], None]


def connect(url: str, *, autocommit: bool = True) -> Any:
    """A connection to the server; passwords come from PGPASSWORD or ~/.pgpass, as libpq does it. In autocommit
    mode each `conn.transaction()` block is one whole transaction, committed at its end."""
    try:
        import psycopg
    except ImportError:
        raise SyncError("sync needs psycopg: pip install 'dva-cards[sync]'") from None
    try:
        return psycopg.connect(url, connect_timeout=15, application_name="dva-cards", autocommit=autocommit)
    except psycopg.Error as error:
        raise SyncError(f"cannot connect to {mask_password(url)}: {_first_line(error)}") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def server_revision(conn: Any) -> str | None:
    with conn.transaction():
        row = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
        if not row[0]:
            return None
        found = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if found is None else str(found[0])


def ensure_schema(conn: Any, url: str) -> str:
    """Create or upgrade the server's schema with Alembic when it is behind; refuse a newer one."""
    revision = server_revision(conn)
    check_revision(revision)
    if revision == SERVER_HEAD:
        return str(conn.execute("SELECT value FROM server_info WHERE key = 'id'").fetchone()[0])
    _upgrade(url)
    check_revision(server_revision(conn))
    return str(conn.execute("SELECT value FROM server_info WHERE key = 'id'").fetchone()[0])


def check_revision(revision: str | None) -> None:
    if revision is not None and revision not in SERVER_REVISIONS:
        raise SyncError(
            f"the sync server's schema is {revision}, newer than this dva-cards knows (up to {SERVER_HEAD}): "
            "upgrade dva-cards"
        )


def _upgrade(url: str) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from .resources import migrations_dir

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(migrations_dir() / "server"))
    engine = create_engine("postgresql+psycopg://", creator=lambda: connect(url, autocommit=False))
    try:
        with engine.begin() as connection:
            # Two machines' first syncs at once: the second waits here, then finds the schema made.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK})")
            config.attributes["connection"] = connection
            command.upgrade(config, "server@head")
    except Exception as error:
        cause = getattr(error, "orig", None) or error
        raise SyncError(
            f"could not create or upgrade the sync server's schema: {_first_line(cause)}"
        ) from None
    finally:
        engine.dispose()


def exchange(
    conn: Any, device: str, outgoing: Outgoing, since: int, progress: Progress | None = None
) -> tuple[Pulled, int]:
    """Push `outgoing`, then pull what other machines wrote after `since`, in one transaction. Returns the
    pulled rows and the server's new watermark."""
    tick = progress or (lambda _n: None)
    with conn.transaction():
        conn.execute(f"SELECT pg_advisory_xact_lock({_LOCK})")
        with conn.cursor() as cursor:
            if outgoing.cards:
                cursor.executemany(
                    f"INSERT INTO card ({_CARD_COLUMNS}) VALUES ({', '.join(['%s'] * 14)}) "
                    "ON CONFLICT (id) DO UPDATE SET deck = excluded.deck, context = excluded.context, "
                    "front = excluded.front, back = excluded.back, content_hash = excluded.content_hash, "
                    "created_at = excluded.created_at, retired_at = excluded.retired_at, "
                    "suspended = excluded.suspended, buried_until = excluded.buried_until, "
                    "leech = excluded.leech, deleted = excluded.deleted, clock = excluded.clock, "
                    "device = excluded.device, seq = nextval('sync_seq') "
                    "WHERE (card.clock, card.device) < (excluded.clock, excluded.device)",
                    [_card_values(card) for card in outgoing.cards],
                )
                tick(len(outgoing.cards))
            if outgoing.settings:
                cursor.executemany(
                    "INSERT INTO setting (key, value, clock, device) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, clock = excluded.clock, "
                    "device = excluded.device, seq = nextval('sync_seq') "
                    "WHERE (setting.clock, setting.device) < (excluded.clock, excluded.device)",
                    [(s.key, s.value, s.clock, s.device) for s in outgoing.settings],
                )
                tick(len(outgoing.settings))
            answers = [review for review in outgoing.reviews if not review.deleted]
            if answers:
                columns = ", ".join(("uid", "device", "deck", "deleted", *REVIEW_COLUMNS))
                cursor.execute(
                    f"CREATE TEMP TABLE incoming ON COMMIT DROP AS SELECT {columns} FROM review LIMIT 0"
                )
                with cursor.copy(f"COPY incoming ({columns}) FROM STDIN") as copy:
                    for done, review in enumerate(answers, 1):
                        copy.write_row((review.uid, review.device, review.deck, False, *review.values))
                        if done % BATCH == 0:
                            tick(BATCH)
                tick(len(answers) % BATCH)
                cursor.execute(
                    f"INSERT INTO review ({columns}) SELECT {columns} FROM incoming ORDER BY reviewed_at, uid "
                    "ON CONFLICT (uid) DO NOTHING"
                )
            undone = [review for review in outgoing.reviews if review.deleted]
            if undone:
                cursor.executemany(
                    "INSERT INTO review (uid, device, deleted) VALUES (%s, %s, true) ON CONFLICT (uid) "
                    "DO UPDATE SET deleted = true, seq = nextval('sync_seq') WHERE NOT review.deleted",
                    [(review.uid, review.device) for review in undone],
                )
                tick(len(undone))
            pulled = _pull(conn, cursor, device, since, tick)
            row = cursor.execute("SELECT last_value, is_called FROM sync_seq").fetchone()
            watermark = int(row[0]) if row[1] else 0
    return pulled, max(watermark, since)


def _pull(conn: Any, cursor: Any, device: str, since: int, tick: Progress) -> Pulled:
    cards = [
        SharedCard(*row)
        for row in cursor.execute(
            f"SELECT {_CARD_COLUMNS} FROM card WHERE seq > %s AND device <> %s ORDER BY seq", (since, device)
        )
    ]
    settings = [
        SettingRow(*row)
        for row in cursor.execute(
            "SELECT key, value, clock, device FROM setting WHERE seq > %s AND device <> %s ORDER BY seq",
            (since, device),
        )
    ]
    tick(len(cards) + len(settings))
    reviews: list[ReviewRow] = []
    # A server-side cursor: the answers come BATCH at a time, never the whole result held by the driver as well
    # as in the rows built from it (a first pull of 500,000 answers).
    with conn.cursor(name="dva_cards_pull") as stream:
        stream.itersize = BATCH
        stream.execute(
            f"SELECT uid, device, deck, deleted, {', '.join(REVIEW_COLUMNS)} FROM review "
            "WHERE seq > %s AND device <> %s ORDER BY seq",
            (since, device),
        )
        while batch := stream.fetchmany(BATCH):
            for uid, origin, deck, deleted, *values in batch:
                reviews.append(ReviewRow(uid, origin, deck, () if deleted else tuple(values), bool(deleted)))
            tick(len(batch))
    return Pulled(cards, settings, reviews)


def incoming_counts(conn: Any, device: str, since: int) -> dict[str, int]:
    """What a sync would pull (for `sync --status`), read without writing."""
    with conn.transaction():
        row = conn.execute(
            "SELECT (SELECT count(*) FROM card WHERE seq > %(s)s AND device <> %(d)s), "
            "(SELECT count(*) FROM setting WHERE seq > %(s)s AND device <> %(d)s), "
            "(SELECT count(*) FROM review WHERE seq > %(s)s AND device <> %(d)s AND NOT deleted), "
            "(SELECT count(*) FROM review WHERE seq > %(s)s AND device <> %(d)s AND deleted)",
            {"s": since, "d": device},
        ).fetchone()
    return {"cards": int(row[0]), "settings": int(row[1]), "reviews": int(row[2]), "undone": int(row[3])}


def _card_values(card: SharedCard) -> tuple[Any, ...]:
    return (
        card.id,
        card.deck,
        card.context,
        card.front,
        card.back,
        card.content_hash,
        card.created_at,
        card.retired_at,
        card.suspended,
        card.buried_until,
        card.leech,
        card.deleted,
        card.clock,
        card.device,
    )
