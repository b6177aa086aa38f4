"""Overdraft interest through HTTP and through the close-of-business batch: the account balance, the transactions
and the GL balances, hand-computed.

The product pays 3.65 % on positive balances (0.01 % a day over 365 days) and charges 18.25 % on overdrawn ones
(0.05 % a day), so the arithmetic stays readable. 2024 is a leap year: February has 29 days, the year still 365.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from conftest import Api
from sqlalchemy import text
from test_savings_api import deposit, gl_balances, make_client, make_product, ok, open_account, withdraw

from akiba.platform.db import commit
from akiba.platform.runtime import Runtime
from akiba.savings.jobs import post_interest_chunk

OVERDRAFT = {"allowed": True, "limit": "1000", "annual_interest_rate": "18.25"}


@pytest.fixture
def product_id(api: Api) -> int:
    return int(make_product(api, name="Overdraft Save", overdraft=OVERDRAFT)["id"])


@pytest.fixture
def client_id(api: Api, head_office: dict[str, Any]) -> int:
    return make_client(api, head_office["id"])


def overdrawn_account(api: Api, client_id: int, product_id: int) -> int:
    """100 in on Jan 1 2024, 600 out on Jan 11: overdrawn by 500 from Jan 11."""
    aid = open_account(api, client_id, product_id)
    deposit(api, aid, "2024-01-01", "100.00")
    ok(withdraw(api, aid, "2024-01-11", "600.00"), 201)
    return aid


def post_interest(api: Api, aid: int, as_of: str) -> dict[str, Any]:
    return ok(api.post(f"/api/v1/savings-accounts/{aid}/post-interest", {"as_of": as_of}), 201)


def interest_rows(runtime: Runtime, api: Api, aid: int) -> list[tuple[str, date, date, Decimal]]:
    """(type, transaction date, period end, amount) of the account's interest transactions, in order."""
    with runtime.session(api.tenant) as s:
        rows = s.execute(text(
            "SELECT type, transaction_date, interest_period_end, amount FROM savings_transactions "
            "WHERE account_id = :a AND interest_period_end IS NOT NULL ORDER BY transaction_date, type, id"),
            {"a": aid}).all()
    return [(r.type, r.transaction_date, r.interest_period_end, Decimal(r.amount)) for r in rows]


def run_batch(runtime: Runtime, api: Api, as_of: date, aid: int) -> int:
    """Close of business's savings step for one account (not a full recompute); returns the bookings made."""
    with runtime.session(api.tenant) as s:
        result = post_interest_chunk(s, as_of, account_ids=[aid])
        commit(s)
    return len(result.bookings) + len(result.overdraft_bookings)


def test_overdraft_interest_is_charged_at_the_posting_period_ends(api: Api, client_id: int, product_id: int,
                                                                  runtime: Runtime) -> None:
    aid = overdrawn_account(api, client_id, product_id)
    assert ok(api.get(f"/api/v1/savings-accounts/{aid}"))["overdraft_interest_rate"] == "18.25"
    posted = post_interest(api, aid, "2024-02-29")
    # Jan credit: 100 x 0.0001 x 10 days (Jan 1..10) = 0.10
    # Jan overdraft: 500 x 0.0005 x 21 days (Jan 11..31) = 5.25; balance -500 + 0.10 - 5.25 = -505.15
    # Feb (29 days): 505.15 x 0.0005 x 29 = 7.324675 -> 7.32; no credit interest; balance -512.47
    assert posted["posted"] == [{"period_end": "2024-01-31", "transaction_date": "2024-01-31", "amount": "0.10"}]
    assert posted["overdraft_interest"] == [
        {"period_end": "2024-01-31", "transaction_date": "2024-01-31", "amount": "5.25"},
        {"period_end": "2024-02-29", "transaction_date": "2024-02-29", "amount": "7.32"}]
    assert posted["balance"] == "-512.47"
    view = ok(api.get(f"/api/v1/savings-accounts/{aid}", as_of="2024-03-10"))
    assert view["balance"] == "-512.47"
    charged = [(t["transaction_date"], t["amount"], t["direction"], t["running_balance"])
               for t in view["transactions"] if t["type"] == "overdraft_interest"]
    assert charged == [("2024-01-31", "5.25", "debit", "-505.15"), ("2024-02-29", "7.32", "debit", "-512.47")]
    # Mar 1..10: 512.47 x 0.0005 x 10 = 2.56235 -> shown as 2.56; nothing positive earns
    assert view["accrued_overdraft_interest_not_posted"] == "2.56"
    assert view["accrued_interest_not_posted"] == "0.00"
    balances = gl_balances(runtime, api)
    assert balances["4600"] == Decimal("-12.57")  # overdraft interest income, a credit: 5.25 + 7.32
    assert balances["5100"] == Decimal("0.10")  # interest paid on savings, an expense
    assert balances["2100"] == Decimal("512.47")  # the overdrawn control account has a debit balance
    assert balances["1110"] == Decimal("-500.00")  # cash: 100 in, 600 out
    assert sum(balances.values()) == 0
    # Posted once: a second call for the same day posts nothing.
    again = post_interest(api, aid, "2024-02-29")
    assert again["posted"] == [] and again["overdraft_interest"] == [] and again["balance"] == "-512.47"


def test_a_back_dated_deposit_gives_back_the_over_charge_on_the_day_of_the_correction(
        api: Api, client_id: int, product_id: int, runtime: Runtime) -> None:
    aid = overdrawn_account(api, client_id, product_id)
    post_interest(api, aid, "2024-02-29")  # charged 5.25 (Jan) and 7.32 (Feb), as above
    deposit(api, aid, "2024-01-21", "500.00")  # back-dated into the charged January
    # Jan overdraft: 500 x 0.0005 x 10 days (Jan 11..20) = 2.50; from Jan 21 the balance is 0 and costs nothing
    # Jan credit unchanged: 0.10; Jan 31 balance 0 + 0.10 - 2.50 = -2.40
    # Feb: 2.40 x 0.0005 x 29 = 0.0348 -> 0.03
    # Differences, dated on the correction day: Jan 2.50 - 5.25 = -2.75, Feb 0.03 - 7.32 = -7.29
    posted = post_interest(api, aid, "2024-03-05")
    assert posted["posted"] == []
    assert posted["overdraft_interest"] == [
        {"period_end": "2024-01-31", "transaction_date": "2024-03-05", "amount": "-2.75"},
        {"period_end": "2024-02-29", "transaction_date": "2024-03-05", "amount": "-7.29"}]
    # 100 - 600 + 500 + 0.10 - 2.50 - 0.03 = -2.43
    assert posted["balance"] == "-2.43"
    assert interest_rows(runtime, api, aid) == [
        ("interest_posting", date(2024, 1, 31), date(2024, 1, 31), Decimal("0.10")),
        ("overdraft_interest", date(2024, 1, 31), date(2024, 1, 31), Decimal("5.25")),
        ("overdraft_interest", date(2024, 2, 29), date(2024, 2, 29), Decimal("7.32")),
        ("overdraft_interest_reversal", date(2024, 3, 5), date(2024, 1, 31), Decimal("2.75")),
        ("overdraft_interest_reversal", date(2024, 3, 5), date(2024, 2, 29), Decimal("7.29")),
    ]  # the past is left as it was: the corrections are new rows
    balances = gl_balances(runtime, api)
    assert balances["4600"] == Decimal("-2.53")  # 12.57 charged - 10.04 given back
    assert balances["2100"] == Decimal("2.43")
    assert post_interest(api, aid, "2024-03-05")["overdraft_interest"] == []


def test_overdraft_interest_is_not_reversed_by_hand(api: Api, client_id: int, product_id: int) -> None:
    aid = overdrawn_account(api, client_id, product_id)
    post_interest(api, aid, "2024-01-31")
    view = ok(api.get(f"/api/v1/savings-accounts/{aid}"))
    charge = next(t for t in view["transactions"] if t["type"] == "overdraft_interest")
    refused = api.post(f"/api/v1/savings-accounts/{aid}/transactions/{charge['id']}/reverse", {})
    assert refused.status_code == 409 and refused.json()["type"].endswith("savings-interest-not-reversible")


def test_closure_charges_the_running_period(api: Api, client_id: int, product_id: int, runtime: Runtime) -> None:
    aid = overdrawn_account(api, client_id, product_id)
    post_interest(api, aid, "2024-01-31")  # -505.15 from Feb 1
    # Feb 1..9 at -505.15: 505.15 x 0.0005 x 9 = 2.273175 -> 2.27; 505.15 + 2.27 = 507.42 repays it all
    deposit(api, aid, "2024-02-10", "507.42")
    closed = ok(api.post(f"/api/v1/savings-accounts/{aid}/close", {"closed_on": "2024-02-10"}))
    assert closed["status"] == "closed" and closed["balance"] == "0.00"
    assert closed["overdraft_interest_charged"] == [{"period_end": "2024-02-10", "amount": "2.27"}]
    assert closed["interest_posted"] == []
    balances = gl_balances(runtime, api)
    assert balances["4600"] == Decimal("-7.52") and balances["2100"] == Decimal("0")  # 5.25 + 2.27


def test_a_product_without_an_overdraft_rate_charges_nothing(api: Api, client_id: int, runtime: Runtime) -> None:
    product = make_product(api, name="Free Overdraft", overdraft={"allowed": True, "limit": "1000"})
    aid = overdrawn_account(api, client_id, int(product["id"]))
    posted = post_interest(api, aid, "2024-02-29")
    assert posted["overdraft_interest"] == [] and posted["balance"] == "-499.90"  # Jan's 0.10 credit only
    assert "4600" not in gl_balances(runtime, api)


def test_the_rate_is_the_accounts_own_from_opening(api: Api, client_id: int, product_id: int) -> None:
    before = open_account(api, client_id, product_id)
    ok(api.put(f"/api/v1/savings-products/{product_id}", {"overdraft": {**OVERDRAFT, "annual_interest_rate": "30"}}))
    after = open_account(api, client_id, product_id)
    assert ok(api.get(f"/api/v1/savings-accounts/{before}"))["overdraft_interest_rate"] == "18.25"
    assert ok(api.get(f"/api/v1/savings-accounts/{after}"))["overdraft_interest_rate"] == "30"


def test_the_batch_posts_what_the_api_posts_and_nothing_twice(api: Api, client_id: int, product_id: int,
                                                              runtime: Runtime) -> None:
    by_api = overdrawn_account(api, client_id, product_id)
    by_batch = overdrawn_account(api, client_id, product_id)
    post_interest(api, by_api, "2024-02-29")
    # Close of business runs every day; interest moves only at the period ends (Jan 31, Feb 29), and resumes
    # from the last one (its charged overdraft interest in the opening balance).
    assert run_batch(runtime, api, date(2024, 1, 30), by_batch) == 0
    assert run_batch(runtime, api, date(2024, 1, 31), by_batch) == 2  # credit 0.10 and overdraft 5.25
    assert run_batch(runtime, api, date(2024, 1, 31), by_batch) == 0  # the same day again: nothing
    assert run_batch(runtime, api, date(2024, 2, 29), by_batch) == 1  # overdraft 7.32
    assert run_batch(runtime, api, date(2024, 2, 29), by_batch) == 0

    def same_history() -> None:
        assert interest_rows(runtime, api, by_batch) == interest_rows(runtime, api, by_api)
        views = [ok(api.get(f"/api/v1/savings-accounts/{aid}")) for aid in (by_api, by_batch)]
        assert views[0]["balance"] == views[1]["balance"]

    same_history()
    assert ok(api.get(f"/api/v1/savings-accounts/{by_batch}"))["balance"] == "-512.47"
    # A back-dated deposit on both: the API's call and the batch's next period end post the same corrections.
    for aid in (by_api, by_batch):
        deposit(api, aid, "2024-01-21", "500.00")
    post_interest(api, by_api, "2024-03-31")
    assert run_batch(runtime, api, date(2024, 3, 31), by_batch) == 3  # Jan and Feb given back, Mar charged
    assert run_batch(runtime, api, date(2024, 3, 31), by_batch) == 0
    same_history()
    # Mar: -2.43 x 0.0005 x 31 = 0.037665 -> 0.04; -2.43 - 0.04 = -2.47
    assert ok(api.get(f"/api/v1/savings-accounts/{by_batch}"))["balance"] == "-2.47"
    balances = gl_balances(runtime, api)
    # Two accounts each charged 2.50 + 0.03 + 0.04 in the end; each paid 0.10 of credit interest.
    assert balances["4600"] == Decimal("-5.14") and balances["5100"] == Decimal("0.20")
    assert balances["2100"] == Decimal("4.94") and sum(balances.values()) == 0
