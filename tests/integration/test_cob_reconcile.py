"""Accruals across a month end and a year end reconcile with the interest later paid."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from unittest.mock import patch

from cob_fixtures import active_loan, client, gl, loan_product, office, repay, set_business_date
from conftest import Api
from sqlalchemy import select, text

from akiba.cob import service, steps
from akiba.cob.models import CobChunk
from akiba.platform.runtime import Runtime


def close_in_process(runtime: Runtime, api: Api, day: date) -> None:
    """The run's jobs called directly, in order (no queue, for speed over two months of days)."""
    with runtime.session(api.tenant) as s:
        run_id = service.start_run(s, day).id
        s.commit()
        chunks = list(s.scalars(select(CobChunk.id).where(CobChunk.run_id == run_id)))
    with patch.object(service, "_finish_if_last", lambda *args: None):  # the final job is called below
        for chunk_id in chunks:
            service.run_chunk(runtime, api.tenant.id, chunk_id)
    service.finish_run(runtime, api.tenant.id, run_id)


def accrual_entries(runtime: Runtime, api: Api) -> dict[date, Decimal]:
    with runtime.session(api.tenant) as s:
        rows = s.execute(text(
            "SELECT e.transaction_date, sum(CASE WHEN l.side = 'debit' THEN l.amount ELSE -l.amount END) "
            "FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id JOIN gl_accounts g "
            "ON g.id = l.gl_account_id WHERE e.source = :src AND g.gl_code = '1220' GROUP BY 1"),
            {"src": steps.ACCRUAL_SOURCE}).all()
    return {r[0]: Decimal(r[1]) for r in rows}


def test_accruals_over_a_month_end_and_a_year_end_reconcile_with_the_interest_paid(
        api: Api, runtime: Runtime) -> None:
    cid = client(api, office(api))
    loan = active_loan(api, cid, loan_product(api, number_of_repayments=3), "3000.00", on="2024-11-15")
    with runtime.session(api.tenant) as s:
        schedule = s.execute(text("SELECT n, from_date, due_date, interest, principal FROM loan_installments "
                                  "WHERE loan_id = :l ORDER BY n"), {"l": loan}).all()
    rows = [(r.from_date, r.due_date, Decimal(r.interest)) for r in schedule]
    day = date(2024, 11, 15)
    while day <= schedule[-1].due_date:
        due = [r for r in schedule if r.due_date == day]
        if due:  # paid on its due date, before that day's close
            set_business_date(runtime, api.tenant, day)
            repay(api, loan, f"{due[0].principal + due[0].interest:.2f}", day.isoformat())
        set_business_date(runtime, api.tenant, day)
        close_in_process(runtime, api, day)
        day += timedelta(days=1)
    entries = accrual_entries(runtime, api)
    # one entry a day; through each month end the receivable side adds up to what the schedule earned by then
    for month_end in (date(2024, 11, 30), date(2024, 12, 31)):
        through = sum((amount for when, amount in entries.items() if when <= month_end), Decimal(0))
        assert month_end in entries
        assert through == steps.accrued_through(month_end, rows, 2)
    total_interest = sum((r[2] for r in rows), Decimal(0))
    assert sum(entries.values()) == total_interest
    # everything accrued was paid: the receivable is cleared and income is exactly the scheduled interest
    assert gl(runtime, api.tenant, "1220") == 0
    assert -gl(runtime, api.tenant, "4100") == total_interest
