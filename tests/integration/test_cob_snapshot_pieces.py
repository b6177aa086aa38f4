"""The portfolio snapshot written piecewise by close of business (each chunk its loans, the final job what changed
since) equals the snapshot taken all at once when the final job runs, whatever commands ran in between."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from cob_fixtures import active_loan, client, loan_product, office, ok, repay, set_business_date
from conftest import Api
from sqlalchemy import select, text

from akiba.cob import service
from akiba.cob.models import CobChunk
from akiba.loans.service.common import lock_loan
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime
from akiba.reports.snapshot import snapshot_portfolio

DAY = date(2024, 3, 20)  # installments fell due on 1 February and 1 March


def _rows(runtime: Runtime, api: Api, day: date, whole: bool = False) -> dict[int, dict[str, Any]]:
    """The snapshot rows of `day` by loan; with `whole`, those one snapshot of the whole portfolio writes now."""
    with runtime.session(api.tenant) as s:
        if whole:
            snapshot_portfolio(s, day)
        rows = s.execute(text("SELECT * FROM portfolio_snapshots WHERE business_date = :d ORDER BY loan_id"),
                         {"d": day}).all()
        s.rollback()
    return {row.loan_id: dict(row._mapping) for row in rows}


def _chunks_only(runtime: Runtime, api: Api) -> int:
    """Start the run for DAY and close every chunk (one loan each), leaving its final job for later."""
    with runtime.session(api.tenant) as s:
        run_id = service.start_run(s, DAY, chunk_size=1).id
        s.commit()
        chunks = list(s.scalars(select(CobChunk.id).where(CobChunk.run_id == run_id)))
    with patch.object(service, "_finish_if_last", lambda *args: None):
        for chunk_id in chunks:
            service.run_chunk(runtime, api.tenant.id, chunk_id)
    return run_id


def test_commands_between_the_chunks_and_the_final_job_are_in_the_snapshot(api: Api, runtime: Runtime) -> None:
    set_business_date(runtime, api.tenant, date(2024, 1, 1))
    cid, product = client(api, office(api)), loan_product(api)
    repaid, paid_off, untouched = (active_loan(api, cid, product) for _ in range(3))
    set_business_date(runtime, api.tenant, DAY)
    run_id = _chunks_only(runtime, api)
    by_chunks = _rows(runtime, api, DAY)
    assert sorted(by_chunks) == [repaid, paid_off, untouched]  # every chunk wrote its loan's row

    # After their chunks: a repayment, a payoff, and a loan disbursed during the run.
    repay(api, repaid, "100.00", DAY.isoformat())
    ok(api.post(f"/api/v1/loans/{paid_off}/prepay", {"transaction_date": DAY.isoformat()}), 201)
    disbursed = active_loan(api, cid, product, on=DAY.isoformat())
    assert sorted(_rows(runtime, api, DAY)) == [untouched]  # the changed loans' rows are dropped
    assert _rows(runtime, api, DAY)[untouched] == by_chunks[untouched]

    service.finish_run(runtime, api.tenant.id, run_id)
    written = _rows(runtime, api, DAY)
    assert sorted(written) == [repaid, untouched, disbursed]  # the paid-off loan is no longer active
    assert written == _rows(runtime, api, DAY, whole=True)
    assert written[repaid] != by_chunks[repaid]  # its balances after the repayment

    # Once the date has moved, the day's snapshot is final: a command on the next day drops nothing.
    repay(api, repaid, "50.00", "2024-03-21")
    assert _rows(runtime, api, DAY) == written


def test_the_final_job_waits_for_a_command_on_a_loan_already_closed(api: Api, runtime: Runtime) -> None:
    """A command holding a closed loan when the final job starts: the job waits for it, then snapshots the loan as
    the command left it (not as its chunk saw it, and not missing)."""
    set_business_date(runtime, api.tenant, date(2024, 1, 1))
    loan = active_loan(api, client(api, office(api)), loan_product(api))
    set_business_date(runtime, api.tenant, DAY)
    run_id = _chunks_only(runtime, api)
    chunk_row = _rows(runtime, api, DAY)[loan]
    with runtime.session(api.tenant) as command:
        lock_loan(command, loan)  # as every loan command begins: the loan's snapshot row is dropped
        command.execute(text("UPDATE loans SET loan_officer_id = NULL, principal_outstanding = 900 WHERE id = :l"),
                        {"l": loan})
        final = threading.Thread(target=service.finish_run, args=(runtime, api.tenant.id, run_id))
        final.start()
        final.join(timeout=1.0)
        assert final.is_alive()  # waiting for the command
        commit(command)
    final.join(timeout=30)
    assert not final.is_alive()
    row = _rows(runtime, api, DAY)[loan]
    assert (row["principal_outstanding"], row["loan_officer_id"]) == (Decimal(900), None)  # as the command left it
    assert chunk_row["principal_outstanding"] == Decimal(1000)
    assert _rows(runtime, api, DAY) == _rows(runtime, api, DAY, whole=True)
