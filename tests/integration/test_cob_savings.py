"""Close of business on savings: month-end interest, dormancy, then the product's periodic fees, each once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from cob_fixtures import close_day, gl, ok, snapshot
from conftest import Api
from sqlalchemy import text

from akiba.cob import steps
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime

# 3.65 % a year over 365 days: 0.01 % a day on the daily balance, posted at the month end.
PRODUCT: dict[str, Any] = {
    "currency": "USD", "annual_interest_rate": "3.65", "interest_calculation": "daily_balance",
    "compounding": "monthly", "posting": "monthly", "days_in_year": 365,
    "fees": {"monthly_fee": "5.00"}, "dormancy": {"dormant_after_days": 30, "fees_stop_when_dormant": True},
}


def account(api: Api, office_id: int, product_id: int, deposits: list[tuple[str, str]]) -> int:
    client = ok(api.post("/api/v1/clients", {"office_id": office_id, "first_name": "Wanjiru", "last_name": "Kamau",
                                             "activation_date": "2023-01-01"}), 201)
    aid = int(ok(api.post("/api/v1/savings-accounts", {"client_id": client["id"], "product_id": product_id,
                                                       "submitted_on": "2024-01-01"}), 201)["id"])
    ok(api.post(f"/api/v1/savings-accounts/{aid}/approve", {"approved_on": "2024-01-01"}))
    ok(api.post(f"/api/v1/savings-accounts/{aid}/activate", {"activated_on": "2024-01-01"}))
    for on, amount in deposits:
        ok(api.post(f"/api/v1/savings-accounts/{aid}/deposits", {"transaction_date": on, "amount": amount}), 201)
    return aid


def balances(runtime: Runtime, api: Api) -> dict[int, tuple[Decimal, str | None]]:
    with runtime.session(api.tenant) as s:
        rows = s.execute(text("SELECT id, balance, sub_status FROM savings_accounts ORDER BY id"))
        return {r.id: (Decimal(r.balance), r.sub_status) for r in rows}


def fees(runtime: Runtime, api: Api) -> list[tuple[int, date, Decimal]]:
    with runtime.session(api.tenant) as s:
        rows = s.execute(text("SELECT account_id, transaction_date, amount FROM savings_transactions "
                              "WHERE type = 'fee' AND NOT reversed ORDER BY account_id, transaction_date"))
        return [(r.account_id, r.transaction_date, Decimal(r.amount)) for r in rows]


def test_the_month_end_close_posts_interest_then_charges_the_fee_except_to_a_dormant_account(
        api: Api, runtime: Runtime, head_office: dict[str, Any]) -> None:
    product = int(ok(api.post("/api/v1/savings-products", {**PRODUCT, "name": "Fee saver"}), 201)["id"])
    lenient = int(ok(api.post("/api/v1/savings-products", {
        **PRODUCT, "name": "Fee always", "dormancy": {"dormant_after_days": 30, "fees_stop_when_dormant": False}}),
        201)["id"])
    used = account(api, head_office["id"], product, [("2024-01-01", "1000"), ("2024-01-20", "100")])
    idle = account(api, head_office["id"], product, [("2024-01-01", "500")])
    idle_charged = account(api, head_office["id"], lenient, [("2024-01-01", "500")])

    mid_month = close_day(runtime, api.tenant, date(2024, 1, 15))
    assert mid_month["status"] == "completed"
    assert fees(runtime, api) == []  # not a month end: no fee, no interest
    assert balances(runtime, api)[used] == (Decimal("1100"), None)  # both deposits, no interest yet

    view = close_day(runtime, api.tenant, date(2024, 1, 31))
    assert (view["status"], view["savings_accounts_closed"]) == ("completed", 3)
    after = balances(runtime, api)
    # used: 1,000 x 0.01 % x 19 days (Jan 1-19) + 1,100 x 0.01 % x 12 days (Jan 20-31) = 1.90 + 1.32 = 3.22 of
    # interest, then the 5.00 fee: 1,100 + 3.22 - 5.00 = 1,098.22; 11 days since its last deposit, not dormant
    assert after[used] == (Decimal("1098.22"), None)
    # idle: no customer transaction for 30 days (Jan 1 to Jan 31): dormant, and its product spares it the fee;
    # 500 x 0.01 % x 31 days = 1.55 of interest all the same
    assert after[idle] == (Decimal("501.55"), "dormant")
    # the same on a product whose fees do not stop when dormant: 500 + 1.55 - 5.00
    assert after[idle_charged] == (Decimal("496.55"), "dormant")
    assert fees(runtime, api) == [(used, date(2024, 1, 31), Decimal("5.00")),
                                  (idle_charged, date(2024, 1, 31), Decimal("5.00"))]
    # the journal (cash accounting): interest 3.22 + 1.55 + 1.55 = 6.32 an expense, fees 5.00 x 2 = 10.00 income;
    # deposits 1,000 + 100 + 500 + 500 = 2,100 in cash; the savings control holds the sum of the balances
    assert gl(runtime, api.tenant, "5100") == Decimal("6.32")
    assert gl(runtime, api.tenant, "4500") == Decimal("-10.00")
    assert gl(runtime, api.tenant, "1110") == Decimal("2100.00")
    assert -gl(runtime, api.tenant, "2100") == sum(balance for balance, _ in after.values()) == Decimal("2096.32")
    detail = ok(api.get(f"/api/v1/savings-accounts/{used}"))
    assert detail["accrued_interest_as_of"] == "2024-02-01"
    # posted through Jan 31; Feb 1's day on 1,098.22 at 0.01 % is 0.109822 -> 0.11 accrued and not posted yet
    assert detail["accrued_interest_not_posted"] == "0.11"


def test_a_savings_chunk_closed_twice_charges_and_posts_nothing_twice(
        api: Api, runtime: Runtime, head_office: dict[str, Any]) -> None:
    product = int(ok(api.post("/api/v1/savings-products", {**PRODUCT, "name": "Fee saver"}), 201)["id"])
    ids = [account(api, head_office["id"], product, [("2024-01-01", "1000"), ("2024-01-25", "10")]),
           account(api, head_office["id"], product, [("2024-01-01", "800"), ("2024-01-28", "10")])]
    day = date(2024, 1, 31)
    close_day(runtime, api.tenant, day)
    once = snapshot(runtime, api.tenant)
    assert [(t[0], t[1]) for t in once["savings_transactions"] if t[1] == "fee"] == [(ids[0], "fee"), (ids[1], "fee")]
    # the chunk's steps again, as a retried job whose marks were lost would run them: nothing more
    with runtime.session(api.tenant) as s:
        assert steps.close_savings(s, ids, day) == {}
        commit(s)
    assert snapshot(runtime, api.tenant) == once
