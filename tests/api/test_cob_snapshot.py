"""Close of business leaves a portfolio snapshot of its day, so historical PAR is a lookup."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from conftest import Api
from loan_factories import active_loan, make_client, make_office, make_product, ok, set_business_date
from sqlalchemy import text

from akiba.cob import queue
from akiba.platform.runtime import Runtime


def test_close_of_business_snapshots_the_portfolio_of_its_day(api: Api, runtime: Runtime) -> None:
    set_business_date(runtime, api.tenant, date(2024, 1, 1))
    loan = active_loan(api, make_client(api, make_office(api)), make_product(api)["id"])
    set_business_date(runtime, api.tenant, date(2024, 2, 11))  # the 1 February installment is 10 days late
    run = ok(api.post("/api/v1/cob/runs", {"business_date": "2024-02-11"}), 202)
    queue.run_worker(runtime, wait=False, signals=False)
    assert ok(api.get(f"/api/v1/cob/runs/{run['id']}"))["status"] == "completed"
    with runtime.session(api.tenant) as s:
        row = s.execute(text("SELECT days_in_arrears, principal_outstanding FROM portfolio_snapshots "
                             "WHERE business_date = :d AND loan_id = :l"),
                        {"d": date(2024, 2, 11), "l": loan["id"]}).one()
    assert row.days_in_arrears == 10
    assert Decimal(row.principal_outstanding) == Decimal(loan["summary"]["principal_outstanding"])
