"""Close of business through HTTP: start a run, let a worker close it, follow it to completed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from conftest import Api
from sqlalchemy import text

from akiba.cob import queue
from akiba.platform.runtime import Runtime

PRODUCT = {
    "name": "Easy Save", "currency": "USD", "annual_interest_rate": "3.65",
    "interest_calculation": "daily_balance", "compounding": "monthly", "posting": "monthly", "days_in_year": 365,
}


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def set_business_date(runtime: Runtime, api: Api, day: str) -> None:
    with runtime.session(api.tenant) as s:
        s.execute(text("UPDATE tenant_settings SET business_date = :d"), {"d": date.fromisoformat(day)})
        s.commit()


def savings_account(api: Api, office_id: int, amount: str) -> int:
    client = ok(api.post("/api/v1/clients", {"office_id": office_id, "first_name": "Amina", "last_name": "Njeri",
                                             "activation_date": "2023-01-01"}), 201)
    product = ok(api.post("/api/v1/savings-products", PRODUCT), 201)
    account = ok(api.post("/api/v1/savings-accounts", {"client_id": client["id"], "product_id": product["id"],
                                                       "submitted_on": "2024-01-01"}), 201)
    aid = int(account["id"])
    ok(api.post(f"/api/v1/savings-accounts/{aid}/approve", {"approved_on": "2024-01-01"}))
    ok(api.post(f"/api/v1/savings-accounts/{aid}/activate", {"activated_on": "2024-01-01"}))
    ok(api.post(f"/api/v1/savings-accounts/{aid}/deposits", {"transaction_date": "2024-01-01", "amount": amount}), 201)
    return aid


def drain(runtime: Runtime) -> None:
    """One worker until the queue is empty."""
    queue.run_worker(runtime, wait=False, signals=False)


def test_a_run_closes_the_day_posts_month_end_interest_and_moves_the_business_date(
        api: Api, runtime: Runtime, head_office: dict[str, Any]) -> None:
    aid = savings_account(api, head_office["id"], "10000")
    set_business_date(runtime, api, "2024-01-31")
    run = ok(api.post("/api/v1/cob/runs", {"business_date": "2024-01-31", "chunk_size": 1}), 202)
    assert run["status"] == "running"
    drain(runtime)
    done = ok(api.get(f"/api/v1/cob/runs/{run['id']}"))
    assert done["status"] == "completed"
    assert (done["chunks_done"], done["chunks_total"], done["savings_accounts_closed"]) == (1, 1, 1)
    assert done["errors"] == []
    assert ok(api.get("/api/v1/business-date"))["business_date"] == "2024-02-01"
    # 10,000 at 0.01 % a day for the 31 days of January, posted on the month end
    with runtime.session(api.tenant) as s:
        rows = s.execute(text("SELECT transaction_date, amount FROM savings_transactions "
                              "WHERE account_id = :a AND type = 'interest_posting'"), {"a": aid}).all()
        balance = s.scalar(text("SELECT balance FROM savings_accounts WHERE id = :a"), {"a": aid})
    assert [(r[0], Decimal(r[1])) for r in rows] == [(date(2024, 1, 31), Decimal("31.00"))]
    assert Decimal(balance) == Decimal("10031.00")


def test_a_second_post_for_the_same_day_joins_the_running_run(api: Api, runtime: Runtime,
                                                                head_office: dict[str, Any]) -> None:
    savings_account(api, head_office["id"], "50")
    set_business_date(runtime, api, "2024-03-05")
    first = ok(api.post("/api/v1/cob/runs", {"business_date": "2024-03-05"}), 202)
    second = ok(api.post("/api/v1/cob/runs", {"business_date": "2024-03-05"}), 202)
    assert first["id"] == second["id"]
    drain(runtime)
    assert ok(api.get(f"/api/v1/cob/runs/{first['id']}"))["status"] == "completed"
    # the day is closed: closing it again is refused, and nothing moves
    refused = api.post("/api/v1/cob/runs", {"business_date": "2024-03-05"})
    assert refused.status_code == 409 and refused.json()["type"].endswith("business-date-mismatch")
    assert ok(api.get("/api/v1/business-date"))["business_date"] == "2024-03-06"


def test_bad_input_is_refused_naming_the_field_and_starts_nothing(api: Api, runtime: Runtime) -> None:
    for body, field in (({"business_date": "2024-13-01"}, "business_date"), ({}, "business_date"),
                        ({"business_date": "2024-01-01", "chunk_size": 0}, "chunk_size")):
        response = api.post("/api/v1/cob/runs", body)
        assert response.status_code == 422, response.text
        assert field in response.text
    wrong_day = api.post("/api/v1/cob/runs", {"business_date": "1999-01-01"})
    assert wrong_day.status_code == 409
    with runtime.session(api.tenant) as s:
        assert s.scalar(text("SELECT count(*) FROM cob_runs")) == 0
    assert api.get("/api/v1/cob/runs/999").status_code == 404
