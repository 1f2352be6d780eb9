"""The readiness report as the learner reads it: plain text lines for the terminal, and a JSON object. Pure.

Lines are plain strings (section names are note text: the caller prints them as Rich Text, never as markup).
"""

from __future__ import annotations

from typing import Any

from .exam import ExamPlan, Readiness
from .exam_goal import ExamGoal, header_label
from .humanize import count

SCHEMA_VERSION = 1
SECTION_ROWS = 10  # the screen shows the weakest sections; --json has them all
SECTION_WIDTH = 28


def past_verdict(goal: ExamGoal) -> str:
    return f"the exam on {goal.exam.isoformat()} is past: normal scheduling"


def report_lines(goal: ExamGoal, plan: ExamPlan) -> list[str]:
    """The readiness report: what `exam show` prints and the exam section of `stats`."""
    readiness = plan.readiness
    scope = f"deck {goal.deck}" if goal.deck is not None else "all decks"
    if readiness is None:
        return [f"Exam on {goal.exam.isoformat()} ({scope}) is past: normal scheduling."]
    when = header_label(goal, readiness.today) or ""
    lines = [
        f"Exam on {goal.exam.isoformat()} ({scope}), {when} · target recall {readiness.target:.2f}",
        f"Verdict: {readiness.verdict}",
        "",
        f"{'':<24}{'follow the plan':>16}{'stop today':>14}",
        f"{'predicted recall':<24}{readiness.recall_if_followed:>16.2f}{readiness.recall_if_stopped:>14.2f}",
        f"{f'cards below {readiness.target:.2f}':<24}"
        f"{readiness.below_target_if_followed:>16}{readiness.below_target_if_stopped:>14}",
        f"{'cards never seen':<24}{readiness.unseen_at_exam:>16}{readiness.unseen:>14}",
        "",
        *_workload(readiness, plan),
        "",
        *_sections(readiness),
    ]
    return lines


def _workload(readiness: Readiness, plan: ExamPlan) -> list[str]:
    work = readiness.workload
    lines = [
        f"Workload: {work.new_per_day} new a day needed (limit {work.new_limit}) · "
        f"up to {work.reviews_per_day} reviews a day (limit {work.reviews_limit})"
    ]
    if readiness.unseen:
        if readiness.cutoff is None:
            lines.append("New cards: no day is left to introduce one with room for a review before the exam.")
        else:
            in_time = readiness.unseen - readiness.late - readiness.unseen_at_exam
            parts = [f"{in_time} of {readiness.unseen} by the cut-off {readiness.cutoff.isoformat()}"]
            if readiness.late:
                parts.append(f"{readiness.late} after it")
            if readiness.unseen_at_exam:
                parts.append(f"{readiness.unseen_at_exam} not before the exam")
            lines.append(f"New cards: {', '.join(parts)}.")
    moved = [(day.day, len(day.brought_forward)) for day in plan.days if day.brought_forward]
    if moved:
        total = sum(count for _day, count in moved)
        first, last = moved[0][0].isoformat(), moved[-1][0].isoformat()
        when = f"on {first}" if first == last else f"from {first} to {last}"
        lines.append(f"Reviews brought forward: {total}, {when}.")
    today = plan.days[0] if plan.days else None
    if today is not None:
        lines.append(
            f"Today: {len(today.new)} new, {count(today.reviews, 'due review')}, "
            f"{len(today.brought_forward)} brought forward."
        )
    return lines


def _sections(readiness: Readiness) -> list[str]:
    header = f"{'section':<{SECTION_WIDTH}}{'cards':>6}{'unseen':>7}{'plan':>6}{'stop':>6}{'below':>6}"
    lines = ["Weakest sections (predicted recall on the exam day):", header]
    for section in readiness.sections[:SECTION_ROWS]:
        lines.append(
            f"{_cut(section.section or '(no section)', SECTION_WIDTH - 1):<{SECTION_WIDTH}}"
            f"{section.cards:>6}{section.unseen:>7}{section.recall_if_followed:>6.2f}"
            f"{section.recall_if_stopped:>6.2f}{section.below_target:>6}"
        )
    hidden = len(readiness.sections) - SECTION_ROWS
    if hidden > 0:
        lines.append(f"… {hidden} more sections (--json lists them all)")
    return lines


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def report_json(goal: ExamGoal, plan: ExamPlan) -> dict[str, Any]:
    """The report as one JSON object; the keys are stable (README documents them)."""
    readiness = plan.readiness
    base: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "exam": goal.exam.isoformat(),
        "deck": goal.deck,
        "target": goal.target,
        "active": plan.active,
    }
    if readiness is None:
        return {**base, "verdict": past_verdict(goal)}
    work = readiness.workload
    return {
        **base,
        "today": readiness.today.isoformat(),
        "days_left": readiness.days_left,
        "verdict": readiness.verdict,
        "on_track": readiness.on_track,
        "cards": readiness.cards,
        "unseen": readiness.unseen,
        "unseen_at_exam": readiness.unseen_at_exam,
        "late": readiness.late,
        "cutoff": readiness.cutoff.isoformat() if readiness.cutoff else None,
        "recall": {"if_followed": readiness.recall_if_followed, "if_stopped": readiness.recall_if_stopped},
        "below_target": {
            "if_followed": readiness.below_target_if_followed,
            "if_stopped": readiness.below_target_if_stopped,
        },
        "workload": {
            "new_per_day": work.new_per_day,
            "new_limit": work.new_limit,
            "reviews_per_day": work.reviews_per_day,
            "reviews_limit": work.reviews_limit,
        },
        "sections": [
            {
                "section": section.section,
                "cards": section.cards,
                "unseen": section.unseen,
                "recall_if_followed": section.recall_if_followed,
                "recall_if_stopped": section.recall_if_stopped,
                "below_target": section.below_target,
            }
            for section in readiness.sections
        ],
        "plan": [
            {
                "date": day.day.isoformat(),
                "new": len(day.new),
                "reviews": day.reviews,
                "brought_forward": len(day.brought_forward),
            }
            for day in plan.days
        ],
    }
