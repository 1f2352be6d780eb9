"""One measured piece of work, run as its own process by the side-by-side benchmark; prints one JSON object.

    python tests/bench/side_worker.py anki-first-card COLLECTION
    python tests/bench/side_worker.py anki-stats COLLECTION SEARCH
    python tests/bench/side_worker.py anki-import COLLECTION TSV
    python tests/bench/side_worker.py anki-answers COLLECTION COUNT
    python tests/bench/side_worker.py dva-answers DB COUNT YYYY-MM-DD [cram]

Every Anki piece opens the collection, does its work through Anki's Python API and closes it, as a script
using Anki would; `op` is the seconds of the work alone (the caller times the whole process too). The answer
pieces time each answer (fetch the next card, grade it, write it, move the queue on) and report the peak
memory growth over the session (`rss_growth`, bytes: peak RSS at the end minus RSS once the queue is built).
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

GRADES = (4, 5, 3, 4, 1, 5, 4, 4, 2, 5, 4, 3)  # as the review rounds of tests/bench/run.py
clock = time.perf_counter


def main(argv: list[str]) -> dict[str, Any]:
    op, path = argv[0], Path(argv[1])
    if op == "anki-first-card":
        return anki_first_card(path)
    if op == "anki-stats":
        return anki_stats(path, argv[2])
    if op == "anki-import":
        return anki_import(path, Path(argv[2]))
    if op == "anki-answers":
        return anki_answers(path, int(argv[2]))
    if op == "dva-answers":
        return dva_answers(path, int(argv[2]), date.fromisoformat(argv[3]), cram=argv[4:] == ["cram"])
    raise SystemExit(f"unknown piece of work {op!r}")


def anki_first_card(path: Path) -> dict[str, Any]:
    import anki.collection  # noqa: F401 - before anki.cards, which alone is a circular import
    from anki.cards import Card
    from anki.collection import Collection

    start = clock()
    col = Collection(str(path))
    try:
        queued = col.sched.get_queued_cards()
        if not queued.cards:
            raise SystemExit(f"nothing to study in {path}")
        card = Card(col)
        card._load_from_backend_card(queued.cards[0].card)
        question = card.question()
        print(question[:200], file=sys.stderr)  # shown, as the review screen would
        counts = [queued.new_count, queued.learning_count, queued.review_count]
    finally:
        col.close()
    return {"op": clock() - start, "counts": counts}


def anki_stats(path: Path, search: str) -> dict[str, Any]:
    from anki.collection import Collection

    start = clock()
    col = Collection(str(path))
    try:
        # What Anki's statistics screen asks the backend for: the graphs of the last year.
        graphs = col._backend.graphs(search=search, days=365)
        size = graphs.ByteSize()
    finally:
        col.close()
    return {"op": clock() - start, "bytes": size}


def anki_import(path: Path, tsv: Path) -> dict[str, Any]:
    from anki.collection import Collection, ImportCsvRequest

    start = clock()
    col = Collection(str(path))
    try:
        metadata = col.get_csv_metadata(str(tsv), None)
        log = col.import_csv(ImportCsvRequest(path=str(tsv), metadata=metadata)).log
        counts = {
            "new": len(log.new),
            "updated": len(log.updated),
            "duplicate": len(log.duplicate),
            "conflicting": len(log.conflicting),
        }
    finally:
        col.close()
    return {"op": clock() - start, "counts": counts}


def anki_answers(path: Path, count: int) -> dict[str, Any]:
    import anki.collection  # noqa: F401 - before anki.cards, which alone is a circular import
    from anki.cards import Card
    from anki.collection import Collection
    from anki.scheduler.v3 import CardAnswer

    ratings = {0: CardAnswer.AGAIN, 1: CardAnswer.AGAIN, 2: CardAnswer.AGAIN, 3: CardAnswer.HARD,
               4: CardAnswer.GOOD, 5: CardAnswer.EASY}  # fmt: skip
    col = Collection(str(path))
    times: list[float] = []
    try:
        col.sched.get_queued_cards()
        base = _rss_now()
        for index in range(count):
            start = clock()
            queued = col.sched.get_queued_cards()
            if not queued.cards:
                break
            head = queued.cards[0]
            card = Card(col)
            card._load_from_backend_card(head.card)
            card.start_timer()
            rating = ratings[GRADES[index % len(GRADES)]]
            col.sched.answer_card(col.sched.build_answer(card=card, states=head.states, rating=rating))
            times.append(clock() - start)
    finally:
        col.close()
    return _answer_report(times, base)


def dva_answers(path: Path, count: int, today: date, *, cram: bool) -> dict[str, Any]:
    """The review loop's work per answer, without the screen: fetch the card, grade it, record the answer,
    move the queue on and keep what undo needs (the card as it was, the queue's step, the review id)."""
    from dva_cards.grading import LeechPolicy, grade
    from dva_cards.session import DailyLimits, Queue, QueueStep, after_answer, build_queue
    from dva_cards.store import Store

    times: list[float] = []
    history: list[tuple[Any, QueueStep, int]] = []  # as the review loop's undo history
    leeches = LeechPolicy(threshold=8, suspend=False)
    with Store.open(path) as store:
        if cram:
            queue = Queue(reviews=[card_id for card_id, _ in store.cram_candidates(None)])
        else:
            new_seen, reviews_done = store.answers_today(today)
            limits = DailyLimits(new_per_day=20, reviews_per_day=count)
            candidates = store.queue_candidates(today, new_limit=20, review_limit=count)
            queue = build_queue(candidates, today, limits, new_seen, reviews_done)
        base = _rss_now()
        for index in range(count):
            head = queue.next_card()
            if head is None:
                break
            start = clock()
            card = store.review_card(head[0])
            if card is None:
                raise SystemExit(f"card {head[0]} of the queue is missing")
            quality = GRADES[index % len(GRADES)]
            graded = grade(
                card.id, card.schedule, quality, today=today, at=datetime.now(UTC), duration_ms=3000,
                leeches=leeches, cram=cram,
            )  # fmt: skip
            review_id = store.record_answer(graded.answer)
            if cram:  # wrong: once more at the end, as the review loop does
                step = queue.take(card.id, again=quality < 3)
            else:
                step = after_answer(queue, card.id, graded.answer.after, today)
            history.append((card, step, review_id))
            times.append(clock() - start)
    return _answer_report(times, base)


def _answer_report(times: list[float], base: int) -> dict[str, Any]:
    if not times:
        raise SystemExit("nothing was answered")
    ordered = sorted(times)
    return {
        "answers": len(times),
        "median": statistics.median(times),
        "mean": statistics.fmean(times),
        "p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        "last100": statistics.median(times[-100:]),
        "rss_growth": max(0, _rss_peak() - base),  # at most: a peak before `base` counts too
        "rss_end_growth": _rss_now() - base,
    }


def _rss_now() -> int:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * resource.getpagesize()
    except OSError:
        return _rss_peak()


def _rss_peak() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
