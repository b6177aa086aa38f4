"""Interest recalculation: the schedule re-derived from the actual repayments (work in progress)."""

from __future__ import annotations

from akiba.loans.dates import DueDateAdjuster
from akiba.loans.terms import Schedule, ScheduleRequest, Transaction


def recalculated_preview(
    req: ScheduleRequest, transactions: list[Transaction], adjust_due_date: DueDateAdjuster | None = None
) -> Schedule:
    from akiba.loans.schedule import generate_schedule, replay

    return replay(generate_schedule(req, adjust_due_date), transactions, req.transaction_processing_strategy)
