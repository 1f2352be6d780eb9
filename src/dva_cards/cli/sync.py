"""`dva-cards sync [URL]`: exchange answers, cards and settings with the other machines through PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..humanize import count
from .app import Command, app, state_of
from .output import print_json, user_error

if TYPE_CHECKING:
    from ..store import Store

URL_ENV = "DVA_CARDS_SYNC_URL"
_PROGRESS_FROM = 2000  # rows: a first sync of a real collection shows a bar, a day's sync does not


@app.command("sync", cls=Command)
def sync_command(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Argument(
            metavar="[URL]",
            help=f"postgresql://user@host/db (default: ${URL_ENV}, else the sync-url setting).",
            show_default=False,
        ),
    ] = None,
    status: Annotated[
        bool, typer.Option("--status", help="Say what would go each way; change nothing.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of the summary.")
    ] = False,
) -> None:
    """Send this machine's new answers, cards and settings to a PostgreSQL server and fetch the others'."""
    from ..sync_merge import check_url, mask_password

    with state_of(ctx).open_store() as store:
        chosen = url or os.environ.get(URL_ENV) or store.settings().get("sync-url") or ""
        if not chosen:
            raise user_error(
                f"no sync server: give a URL (postgresql://user@host/db), set ${URL_ENV}, or "
                "`dva-cards config set sync-url URL`"
            )
        problem = check_url(chosen)
        if problem is not None:
            raise user_error(problem)
        shown = mask_password(chosen)
        if status:
            _status(store, chosen, shown, as_json)
        else:
            _sync(store, chosen, shown, as_json, state_of(ctx).now().isoformat(sep=" ", timespec="seconds"))


def _status(store: Store, url: str, shown: str, as_json: bool) -> None:
    from .. import sync_local, sync_server

    conn = sync_server.connect(url)
    try:
        revision = _guarded(shown, lambda: sync_server.server_revision(conn))
        sync_server.check_revision(revision)
        server_id = None
        if revision is not None:
            server_id = str(conn.execute("SELECT value FROM server_info WHERE key = 'id'").fetchone()[0])
        sending = sync_local.pending_local(store, server_id or "")
        receiving = {"cards": 0, "settings": 0, "reviews": 0, "undone": 0}
        if server_id is not None:
            device = store.connection.execute(
                "SELECT value FROM setting WHERE key = ?", (sync_local.DEVICE_KEY,)
            ).fetchone()
            since = sync_local.watermarks(store, server_id)[1]
            receiving = _guarded(
                shown, lambda: sync_server.incoming_counts(conn, device[0] if device else "", since)
            )
    finally:
        conn.close()
    if as_json:
        print_json(
            {
                "server": shown,
                "schema": revision,
                "send": sending.as_json(),
                "receive": receiving,
                "dry_run": True,
            }
        )
        return
    typer.echo(f"server: {shown}" + ("" if revision else " (empty: the first sync creates its tables)"))
    typer.echo(f"to send: {_describe(sending.as_json())}")
    typer.echo(f"to receive: {_describe(receiving)}")


def _sync(store: Store, url: str, shown: str, as_json: bool, now: str) -> None:
    from .. import sync_local, sync_server

    conn = sync_server.connect(url)
    try:
        server_id = _guarded(shown, lambda: sync_server.ensure_schema(conn, url))
        device = sync_local.device_id(store)
        pushed, pulled_seq = sync_local.watermarks(store, server_id)
        sync_local.stamp(store)
        snapshot = sync_local.outgoing(store, device, pushed)
        sent = sync_local.counts_of(snapshot.outgoing)
        rows = 0  # what the bar counts: every row sent, every row pulled, and each pulled answer written here
        if _may_show_progress(as_json):
            incoming = _guarded(shown, lambda: sync_server.incoming_counts(conn, device, pulled_seq))
            rows = sent.total + sum(incoming.values()) + incoming["reviews"]
        with _progress(rows) as tick:
            pulled, seq = _guarded(
                shown, lambda: sync_server.exchange(conn, device, snapshot.outgoing, pulled_seq, tick)
            )
            plan, rederived = sync_local.apply(
                store, pulled, server=server_id, pushed_clock=snapshot.max_clock, server_seq=seq, now=now,
                progress=tick,
            )  # fmt: skip
    finally:
        conn.close()
    from ..sync_merge import Counts

    received = Counts(
        cards=len(plan.cards),
        settings=len(plan.settings),
        reviews=len(plan.new_reviews),
        undone=len(plan.undone_reviews),
    )
    if as_json:
        print_json(
            {"server": shown, "sent": sent.as_json(), "received": received.as_json(), "rederived": rederived}
        )
        return
    typer.echo(f"synced with {shown}")
    typer.echo(f"sent: {_describe(sent.as_json())}")
    typer.echo(f"received: {_describe(received.as_json())}")
    if rederived:
        typer.echo(f"cards replayed from the merged answers: {rederived}")


def _describe(counts: dict[str, int]) -> str:
    if not any(counts.values()):
        return "nothing"
    nouns = {"reviews": "answer", "undone": "undone answer", "cards": "card", "settings": "setting"}
    return ", ".join(count(value, nouns.get(key, key)) for key, value in counts.items() if value)


def _guarded(shown: str, call: Callable[[], Any]) -> Any:
    """A server call whose failure (network drop, refused statement) is one line naming the server, never its
    password; PostgreSQL has rolled the transaction back, and this side wrote nothing yet."""
    import psycopg

    from ..sync_server import SyncError

    try:
        return call()
    except psycopg.Error as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise SyncError(f"sync with {shown} failed, nothing was changed: {first}") from None


def _may_show_progress(as_json: bool) -> bool:
    """A bar is for a learner watching a terminal: never with `--json`, never when stderr is a file or pipe."""
    import sys

    return not as_json and sys.stderr.isatty()


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    """A Rich bar on stderr for a sync big enough to wait for -- a first sync, either way (`total` is 0 where
    `_may_show_progress` says no)."""
    if total < _PROGRESS_FROM:
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("sync"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task("sync", total=total)
        yield lambda n: progress.advance(task, n)
