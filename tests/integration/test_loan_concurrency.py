"""Commands on one loan are serialised by its row lock; reading a loan costs a fixed number of queries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from conftest import Api, api_for, new_tenant
from fastapi.testclient import TestClient
from sqlalchemy import event

from akiba.loans.schemas import Repayment
from akiba.platform.commands import execute
from akiba.platform.context import Principal
from akiba.platform.db import engine_for
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

PRODUCT = {"name": "Monthly", "short_name": "M", "currency": "USD", "principal": "1000.00",
           "max_principal": "100000.00", "number_of_repayments": 12, "annual_interest_rate": "12",
           "interest_calculation_period": "same_as_repayment", "days_in_year": "360", "days_in_month": "30",
           "repayment_frequency": "months", "accounting_rule": "cash"}


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _client_and_product(api: Api) -> tuple[int, int]:
    office = _ok(api.post("/api/v1/offices", {"name": "HQ", "opening_date": "2020-01-01"}), 201)["id"]
    client = _ok(api.post("/api/v1/clients", {"office_id": office, "first_name": "Ann", "last_name": "Mwangi",
                                              "activation_date": "2023-01-01"}), 201)["id"]
    return int(client), int(_ok(api.post("/api/v1/loan-products", PRODUCT), 201)["id"])


def _active_loan(api: Api, client: int, product: int, principal: str = "1000.00") -> int:
    loan = _ok(api.post("/api/v1/loans", {"client_id": client, "product_id": product, "principal": principal,
                                          "submitted_on": "2024-01-01",
                                          "expected_disbursement_date": "2024-01-01"}), 201)["id"]
    _ok(api.post(f"/api/v1/loans/{loan}/approve", {"approved_on": "2024-01-01"}))
    _ok(api.post(f"/api/v1/loans/{loan}/disburse", {"disbursed_on": "2024-01-01"}))
    return int(loan)


def _admin(tenant: TenantInfo) -> Principal:
    return Principal(user_id=1, username="admin", tenant=tenant, permissions=frozenset({"*"}))


def test_two_simultaneous_repayments_both_apply_once(app_client: TestClient, runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    api = api_for(app_client, tenant)
    loan_id = _active_loan(api, *_client_and_product(api))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def pay() -> None:
        try:
            start.wait()
            execute(runtime, _admin(tenant), "loans:repay",
                    Repayment(transaction_date=date(2024, 2, 1), amount=Decimal("88.85")), resource_id=loan_id)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    loan = _ok(api.get(f"/api/v1/loans/{loan_id}"))
    repayments = [t for t in loan["transactions"] if t["type"] == "repayment"]
    assert len(repayments) == 2
    # Each saw the other's effect: one paid installment 1, the other installment 2 in advance.
    assert sorted((t["principal"], t["interest"]) for t in repayments) == [("78.85", "10.00"), ("79.64", "9.21")]
    assert loan["summary"]["principal_outstanding"] == "841.51"
    tb = _ok(api.get("/api/v1/accounting/trial-balance", as_of="2024-12-31"))
    rows = {r["gl_code"]: Decimal(r["debit"]) - Decimal(r["credit"]) for r in tb["rows"]}
    assert rows["1210"] == Decimal("841.51") and rows["4100"] == Decimal("-19.21")
    assert rows["1110"] == Decimal("-1000.00") + Decimal("177.70")


@contextmanager
def _count_queries(url: str) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = engine_for(url)
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_reading_a_loan_with_300_transactions_is_a_fixed_number_of_queries(app_client: TestClient,
                                                                           runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    api = api_for(app_client, tenant)
    client, product = _client_and_product(api)
    small, big = _active_loan(api, client, product), _active_loan(api, client, product, "90000.00")
    who = _admin(tenant)
    for i in range(300):
        on = date(2024, 1, 2) + timedelta(days=i)
        execute(runtime, who, "loans:repay", Repayment(transaction_date=on, amount=Decimal("10.00")), resource_id=big)
    _ok(api.get(f"/api/v1/loans/{small}"))  # warm the tenant registry's cache: count only the loan's reads
    with _count_queries(tenant.shard_url) as small_queries:
        _ok(api.get(f"/api/v1/loans/{small}"))
    with _count_queries(tenant.shard_url) as big_queries:
        loan = _ok(api.get(f"/api/v1/loans/{big}"))
    assert len(loan["transactions"]) == 301
    assert len(big_queries) == len(small_queries) <= 10, big_queries


def test_a_repayment_costs_ten_statements_or_fewer_with_one_commit(app_client: TestClient, runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    api = api_for(app_client, tenant)
    loan_id = _active_loan(api, *_client_and_product(api))
    who = _admin(tenant)
    body = Repayment(transaction_date=date(2024, 2, 1), amount=Decimal("1.00"))
    execute(runtime, who, "loans:repay", body, resource_id=loan_id)  # warm the caches, as a running server has them
    with _count_queries(tenant.shard_url) as seen:
        execute(runtime, who, "loans:repay", body, resource_id=loan_id)
    assert len(seen) <= 10, "\n".join(seen)
    assert sum(1 for sql in seen if sql.lstrip().upper().startswith("COMMIT")) <= 1
    paid = [t for t in _ok(api.get(f"/api/v1/loans/{loan_id}"))["transactions"] if t["type"] == "repayment"]
    assert [(t["amount"], t["interest"]) for t in paid] == [("1.00", "1.00"), ("1.00", "1.00")]
