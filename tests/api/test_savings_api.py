"""Savings through HTTP: products, the account lifecycle, money movements with their journal entries, interest."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from conftest import Api
from sqlalchemy import text

from akiba.platform.runtime import Runtime

# 3.65 % a year over 365 days is exactly 0.01 % a day, so hand arithmetic stays readable.
PRODUCT = {
    "name": "Easy Save", "currency": "USD", "annual_interest_rate": "3.65",
    "interest_calculation": "daily_balance", "compounding": "monthly", "posting": "monthly", "days_in_year": 365,
}


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def refused(response: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    if slug:
        assert body["type"].endswith(slug), body
    return body


def make_client(api: Api, office_id: int, activation: str = "2023-01-01") -> int:
    body = ok(api.post("/api/v1/clients", {"office_id": office_id, "first_name": "Amina", "last_name": "Njeri",
                                           "activation_date": activation}), 201)
    assert body["status"] == "active"
    return int(body["id"])


def make_product(api: Api, **overrides: Any) -> dict[str, Any]:
    return ok(api.post("/api/v1/savings-products", {**PRODUCT, **overrides}), 201)


def open_account(api: Api, client_id: int, product_id: int, day: str = "2024-01-01") -> int:
    account = ok(api.post("/api/v1/savings-accounts",
                          {"client_id": client_id, "product_id": product_id, "submitted_on": day}), 201)
    assert account["status"] == "submitted"
    aid = int(account["id"])
    assert ok(api.post(f"/api/v1/savings-accounts/{aid}/approve", {"approved_on": day}))["status"] == "approved"
    assert ok(api.post(f"/api/v1/savings-accounts/{aid}/activate", {"activated_on": day}))["status"] == "active"
    return aid


def deposit(api: Api, aid: int, day: str, amount: str) -> dict[str, Any]:
    return ok(api.post(f"/api/v1/savings-accounts/{aid}/deposits", {"transaction_date": day, "amount": amount}), 201)


def withdraw(api: Api, aid: int, day: str, amount: str) -> Any:
    return api.post(f"/api/v1/savings-accounts/{aid}/withdrawals", {"transaction_date": day, "amount": amount})


def gl_balances(runtime: Runtime, api: Api) -> dict[str, Decimal]:
    """Debit minus credit of every GL account that has lines, by code."""
    with runtime.session(api.tenant) as s:
        rows = s.execute(text(
            "SELECT g.gl_code, sum(CASE WHEN l.side = 'debit' THEN l.amount ELSE -l.amount END) "
            "FROM journal_lines l JOIN gl_accounts g ON g.id = l.gl_account_id GROUP BY g.gl_code")).all()
    return {code: Decimal(amount) for code, amount in rows}


@pytest.fixture
def client_id(api: Api, head_office: dict[str, Any]) -> int:
    return make_client(api, head_office["id"])


@pytest.fixture
def account(api: Api, client_id: int) -> int:
    product = make_product(api)
    return open_account(api, client_id, product["id"])


def test_product_is_created_with_its_settings_and_default_gl_mappings(api: Api) -> None:
    product = make_product(api, min_balance_for_interest="100", fees={"withdrawal_fee": {"type": "flat",
                                                                                          "amount": "1.50"}},
                           overdraft={"allowed": True, "limit": "200"}, dormancy={"inactive_after_days": 90,
                                                                                   "dormant_after_days": 180})
    fetched = ok(api.get(f"/api/v1/savings-products/{product['id']}"))
    assert fetched["annual_interest_rate"] == "3.65"
    assert fetched["min_balance_for_interest"] == "100.00"
    assert fetched["fees"]["withdrawal_fee"] == {"type": "flat", "amount": "1.5"}
    assert fetched["overdraft"]["limit"] == "200.00"
    assert fetched["dormancy"]["dormant_after_days"] == 180
    assert {"fund_source", "savings_control", "interest_on_savings"} <= set(fetched["gl_mappings"])


def test_bad_product_input_is_a_422_naming_the_field(api: Api) -> None:
    body = refused(api.post("/api/v1/savings-products", {**PRODUCT, "days_in_year": 366}), 422)
    assert body["errors"][0]["field"] == "days_in_year"
    body = refused(api.post("/api/v1/savings-products", {**PRODUCT, "annual_interest_rate": "-1"}), 422)
    assert body["errors"][0]["field"] == "annual_interest_rate"
    assert ok(api.get("/api/v1/savings-products"))["items"] == []


def test_deposit_and_withdrawal_post_journal_entries(api: Api, account: int, runtime: Runtime) -> None:
    tx = deposit(api, account, "2024-01-05", "700.00")
    assert tx["amount"] == "700.00" and tx["account"]["balance"] == "700.00"
    tx = ok(withdraw(api, account, "2024-01-06", "250.25"), 201)
    assert tx["account"]["balance"] == "449.75"
    balances = gl_balances(runtime, api)
    assert balances["1110"] == Decimal("449.75")  # cash: debit 700, credit 250.25
    assert balances["2100"] == Decimal("-449.75")  # savings control (liability): a credit balance
    view = ok(api.get(f"/api/v1/savings-accounts/{account}"))
    assert view["status"] == "active" and view["balance"] == "449.75" and view["available_balance"] == "449.75"
    assert [t["running_balance"] for t in view["transactions"]] == ["700.00", "449.75"]


def test_withdrawal_beyond_available_balance_is_refused_and_changes_nothing(api: Api, account: int,
                                                                            runtime: Runtime) -> None:
    deposit(api, account, "2024-01-05", "100.00")
    refused(withdraw(api, account, "2024-01-06", "100.01"), 409, "insufficient-funds")
    hold = ok(api.post(f"/api/v1/savings-accounts/{account}/holds", {"amount": "60", "reason": "court order",
                                                                     "placed_on": "2024-01-06"}), 201)
    refused(withdraw(api, account, "2024-01-06", "40.01"), 409, "insufficient-funds")
    view = ok(api.get(f"/api/v1/savings-accounts/{account}"))
    assert view["balance"] == "100.00" and view["available_balance"] == "40.00" and view["on_hold"] == "60.00"
    assert [h["amount"] for h in view["holds"]] == ["60.00"]
    ok(api.post(f"/api/v1/savings-accounts/{account}/holds/{hold['id']}/release", {}))
    ok(withdraw(api, account, "2024-01-06", "100.00"), 201)
    assert gl_balances(runtime, api)["2100"] == Decimal("0")


def test_bad_movements_are_4xx_and_change_nothing(api: Api, account: int, runtime: Runtime) -> None:
    deposit(api, account, "2024-01-05", "100.00")
    path = f"/api/v1/savings-accounts/{account}/deposits"
    for amount in ("0", "-5", "1.001"):
        body = refused(api.post(path, {"transaction_date": "2024-01-05", "amount": amount}), 422)
        assert body["errors"][0]["field"] == "amount"
    body = refused(api.post(path, {"transaction_date": "2023-12-31", "amount": "5"}), 422)
    assert body["errors"][0]["field"] == "transaction_date"
    body = refused(api.post(path, {"transaction_date": "2999-01-01", "amount": "5"}), 422)
    assert body["errors"][0]["field"] == "transaction_date"
    refused(api.post("/api/v1/savings-accounts/999999/deposits", {"transaction_date": "2024-01-05", "amount": "5"}),
            404)
    ok(api.post(f"/api/v1/savings-accounts/{account}/block", {"kind": "credit"}))
    refused(api.post(path, {"transaction_date": "2024-01-06", "amount": "5"}), 409, "credit-blocked")
    ok(withdraw(api, account, "2024-01-06", "5"), 201)  # debits still pass
    ok(api.post(f"/api/v1/savings-accounts/{account}/block", {"kind": "debit"}))
    refused(withdraw(api, account, "2024-01-06", "5"), 409, "debit-blocked")
    ok(api.post(f"/api/v1/savings-accounts/{account}/unblock", {"kind": "both"}))
    deposit(api, account, "2024-01-07", "5")
    view = ok(api.get(f"/api/v1/savings-accounts/{account}"))
    assert view["balance"] == "100.00" and len(view["transactions"]) == 3
    assert gl_balances(runtime, api)["2100"] == Decimal("-100.00")


def test_closed_accounting_period_refuses_the_deposit(api: Api, account: int, head_office: dict[str, Any],
                                                      runtime: Runtime) -> None:
    with runtime.session(api.tenant) as s:
        s.execute(text("INSERT INTO accounting_closures (office_id, closing_date, comments) VALUES (:o, :d, '')"),
                  {"o": head_office["id"], "d": "2024-01-31"})
        s.commit()
    refused(api.post(f"/api/v1/savings-accounts/{account}/deposits",
                     {"transaction_date": "2024-01-31", "amount": "5"}), 409, "accounting-period-closed")
    view = ok(api.get(f"/api/v1/savings-accounts/{account}"))
    assert view["balance"] == "0.00" and view["transactions"] == []
    deposit(api, account, "2024-02-01", "5")


def test_post_interest_posts_each_period_once_and_books_the_expense(api: Api, account: int,
                                                                    runtime: Runtime) -> None:
    deposit(api, account, "2024-01-01", "1000.00")
    # January: 1000 x 0.0001 x 31 days = 3.10. February: (1000 + 3.10) x 0.0001 x 29 = 2.9089 -> 2.91.
    posted = ok(api.post(f"/api/v1/savings-accounts/{account}/post-interest", {"as_of": "2024-02-29"}), 201)
    assert posted["posted"] == [{"period_end": "2024-01-31", "transaction_date": "2024-01-31", "amount": "3.10"},
                                {"period_end": "2024-02-29", "transaction_date": "2024-02-29", "amount": "2.91"}]
    again = ok(api.post(f"/api/v1/savings-accounts/{account}/post-interest", {"as_of": "2024-02-29"}), 201)
    assert again["posted"] == []
    view = ok(api.get(f"/api/v1/savings-accounts/{account}", as_of="2024-03-10"))
    assert view["balance"] == "1006.01"
    # March 1-10: 1006.01 x 0.0001 x 10 = 1.00601 -> shown as 1.01
    assert view["accrued_interest_not_posted"] == "1.01"
    balances = gl_balances(runtime, api)
    assert balances["5100"] == Decimal("6.01") and balances["2100"] == Decimal("-1006.01")


def test_back_dated_deposit_posts_only_the_difference(api: Api, account: int, runtime: Runtime) -> None:
    deposit(api, account, "2024-01-01", "1000.00")
    ok(api.post(f"/api/v1/savings-accounts/{account}/post-interest", {"as_of": "2024-01-31"}), 201)
    deposit(api, account, "2024-01-17", "500.00")  # back-dated into the posted January
    # 500 more from the 17th to the 31st (15 days): 500 x 0.0001 x 15 = 0.75 more interest for January.
    posted = ok(api.post(f"/api/v1/savings-accounts/{account}/post-interest", {"as_of": "2024-02-05"}), 201)
    assert posted["posted"] == [{"period_end": "2024-01-31", "transaction_date": "2024-02-05", "amount": "0.75"}]
    view = ok(api.get(f"/api/v1/savings-accounts/{account}"))
    interest = [t for t in view["transactions"] if t["type"] == "interest_posting"]
    assert [(t["transaction_date"], t["amount"]) for t in interest] == [("2024-01-31", "3.10"), ("2024-02-05", "0.75")]
    assert view["balance"] == "1503.85"
    assert gl_balances(runtime, api)["5100"] == Decimal("3.85")


def test_reversal_recomputes_balances_and_interest_through_the_journal(api: Api, account: int,
                                                                       runtime: Runtime) -> None:
    deposit(api, account, "2024-01-01", "1000.00")
    extra = deposit(api, account, "2024-01-17", "500.00")
    ok(api.post(f"/api/v1/savings-accounts/{account}/post-interest", {"as_of": "2024-01-31"}), 201)
    reversed_tx = ok(api.post(f"/api/v1/savings-accounts/{account}/transactions/{extra['id']}/reverse",
                              {"reason": "bounced cheque"}))
    assert reversed_tx["reversed"] is True and reversed_tx["account"]["balance"] == "1003.85"
    posted = ok(api.post(f"/api/v1/savings-accounts/{account}/post-interest", {"as_of": "2024-01-31"}), 201)
    assert [(p["period_end"], p["amount"]) for p in posted["posted"]] == [("2024-01-31", "-0.75")]
    view = ok(api.get(f"/api/v1/savings-accounts/{account}"))
    assert view["balance"] == "1003.10"
    assert [t["running_balance"] for t in view["transactions"]] == ["1000.00", "1000.00", "1003.85", "1003.10"]
    balances = gl_balances(runtime, api)
    assert balances["2100"] == Decimal("-1003.10") and balances["5100"] == Decimal("3.10")
    with runtime.session(api.tenant) as s:
        reversals = s.execute(text("SELECT count(*) FROM journal_entries WHERE reversal_of IS NOT NULL")).scalar()
    assert reversals == 1
    refused(api.post(f"/api/v1/savings-accounts/{account}/transactions/{extra['id']}/reverse", {}), 409)


def test_withdrawal_fee_minimum_balance_and_overdraft(api: Api, client_id: int, runtime: Runtime) -> None:
    product = make_product(api, name="Fee Save", min_required_balance="50",
                           fees={"withdrawal_fee": {"type": "percent", "amount": "1"}})
    aid = open_account(api, client_id, product["id"])
    deposit(api, aid, "2024-01-02", "200.00")
    # available = 200 - 50 minimum; 148.52 + 1 % fee (1.49) = 150.01 is a cent too many
    refused(withdraw(api, aid, "2024-01-03", "148.52"), 409, "insufficient-funds")
    tx = ok(withdraw(api, aid, "2024-01-03", "100.00"), 201)
    assert tx["fee"]["amount"] == "1.00" and tx["account"]["balance"] == "99.00"
    assert gl_balances(runtime, api)["4500"] == Decimal("-1.00")  # fee income
    reversed_tx = ok(api.post(f"/api/v1/savings-accounts/{aid}/transactions/{tx['id']}/reverse", {}))
    assert reversed_tx["account"]["balance"] == "200.00"  # the fee went back with the withdrawal
    assert gl_balances(runtime, api)["4500"] == Decimal("0")
    ok(withdraw(api, aid, "2024-01-03", "100.00"), 201)
    od = make_product(api, name="Overdraft Save", overdraft={"allowed": True, "limit": "300"})
    oid = open_account(api, client_id, od["id"])
    deposit(api, oid, "2024-01-02", "100.00")
    ok(withdraw(api, oid, "2024-01-03", "350.00"), 201)
    refused(withdraw(api, oid, "2024-01-03", "50.01"), 409, "insufficient-funds")
    assert ok(api.get(f"/api/v1/savings-accounts/{oid}"))["balance"] == "-250.00"


def test_lock_in_refuses_withdrawals_until_it_ends(api: Api, client_id: int) -> None:
    product = make_product(api, name="Locked", kind="compulsory", lock_in={"period": 1, "unit": "months"})
    aid = open_account(api, client_id, product["id"])
    deposit(api, aid, "2024-01-01", "100")
    refused(withdraw(api, aid, "2024-01-31", "10"), 409, "locked-in")
    ok(withdraw(api, aid, "2024-02-01", "10"), 201)


def test_transfer_moves_money_between_accounts_in_one_transaction(api: Api, client_id: int,
                                                                  runtime: Runtime) -> None:
    product = make_product(api)
    a, b = open_account(api, client_id, product["id"]), open_account(api, client_id, product["id"])
    deposit(api, a, "2024-01-02", "300.00")
    body = {"from_account_id": a, "to_account_id": b, "transaction_date": "2024-01-03", "amount": "120.00"}
    moved = ok(api.post("/api/v1/savings-transfers", body), 201)
    assert moved["from_balance"] == "180.00" and moved["to_balance"] == "120.00"
    refused(api.post("/api/v1/savings-transfers", {**body, "amount": "180.01"}), 409, "insufficient-funds")
    refused(api.post("/api/v1/savings-transfers", {**body, "to_account_id": a}), 422)
    shillings = open_account(api, client_id, make_product(api, name="KES Save", currency="KES")["id"])
    mismatch = refused(api.post("/api/v1/savings-transfers", {**body, "to_account_id": shillings}), 422)
    assert mismatch["errors"][0]["field"] == "to_account_id"
    balances = gl_balances(runtime, api)
    assert balances["2100"] == Decimal("-300.00") and balances["1900"] == Decimal("0")
    ok(api.post(f"/api/v1/savings-accounts/{b}/transactions/{moved['to_transaction']['id']}/reverse", {}))
    assert ok(api.get(f"/api/v1/savings-accounts/{a}"))["balance"] == "300.00"
    assert ok(api.get(f"/api/v1/savings-accounts/{b}"))["balance"] == "0.00"


def test_close_posts_interest_to_the_close_date_and_pays_out(api: Api, account: int, runtime: Runtime) -> None:
    deposit(api, account, "2024-01-01", "1000.00")
    # January 3.10 posted at the month end; February 1-10: 1003.10 x 0.0001 x 10 = 1.0031 -> 1.00 at closure
    closed = ok(api.post(f"/api/v1/savings-accounts/{account}/close",
                         {"closed_on": "2024-02-10", "withdraw_balance": True}))
    assert closed["status"] == "closed" and closed["balance"] == "0.00"
    assert closed["interest_posted"] == [{"period_end": "2024-01-31", "amount": "3.10"},
                                         {"period_end": "2024-02-10", "amount": "1.00"}]
    balances = gl_balances(runtime, api)
    assert balances["2100"] == Decimal("0") and balances["5100"] == Decimal("4.10")
    refused(api.post(f"/api/v1/savings-accounts/{account}/deposits",
                     {"transaction_date": "2024-02-11", "amount": "5"}), 409, "not-active")


def test_reject_and_group_account(api: Api, head_office: dict[str, Any], client_id: int) -> None:
    product = make_product(api)
    submitted = ok(api.post("/api/v1/savings-accounts", {"client_id": client_id, "product_id": product["id"],
                                                         "submitted_on": "2024-01-01"}), 201)
    rejected = ok(api.post(f"/api/v1/savings-accounts/{submitted['id']}/reject", {"rejected_on": "2024-01-02"}))
    assert rejected["status"] == "rejected"
    refused(api.post(f"/api/v1/savings-accounts/{submitted['id']}/approve", {"approved_on": "2024-01-02"}), 409)
    group = ok(api.post("/api/v1/groups", {"office_id": head_office["id"], "name": "Umoja",
                                            "activation_date": "2023-06-01"}), 201)
    account = ok(api.post("/api/v1/savings-accounts", {"group_id": group["id"], "product_id": product["id"],
                                                       "submitted_on": "2024-01-01"}), 201)
    assert account["group_id"] == group["id"] and account["client_id"] is None
    refused(api.post("/api/v1/savings-accounts", {"client_id": client_id, "group_id": group["id"],
                                                  "product_id": product["id"], "submitted_on": "2024-01-01"}), 422)


def test_idempotent_deposit_posts_once(api: Api, account: int, runtime: Runtime) -> None:
    body = {"transaction_date": "2024-01-05", "amount": "10.00"}
    first = api.post(f"/api/v1/savings-accounts/{account}/deposits", body, headers={"Idempotency-Key": "k1"})
    second = api.post(f"/api/v1/savings-accounts/{account}/deposits", body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert ok(api.get(f"/api/v1/savings-accounts/{account}"))["balance"] == "10.00"
    assert gl_balances(runtime, api)["2100"] == Decimal("-10.00")


def test_demo_savings_have_history_and_reconcile_with_the_ledger(runtime: Runtime, api: Api,
                                                                 head_office: dict[str, Any]) -> None:
    from akiba.savings.demo import populate_demo

    members = [make_client(api, head_office["id"], "2025-01-01") for _ in range(3)]
    ok(api.post("/api/v1/groups", {"office_id": head_office["id"], "name": "Tumaini", "activation_date": "2025-01-01",
                                   "client_ids": members}), 201)
    populate_demo(runtime, api.tenant)
    populate_demo(runtime, api.tenant)  # a second call adds nothing
    products = ok(api.get("/api/v1/savings-products"))["items"]
    assert sorted(p["kind"] for p in products) == ["compulsory", "voluntary"]
    listed = ok(api.get("/api/v1/savings-accounts", limit=100))["items"]
    assert len(listed) == 7 and any(a["group_id"] for a in listed)  # 3 voluntary, 3 compulsory, 1 group
    detail = ok(api.get(f"/api/v1/savings-accounts/{listed[0]['id']}"))
    assert len(detail["transactions"]) > 5
    assert any(t["type"] == "interest_posting" for t in detail["transactions"])
    total = sum(Decimal(a["balance"]) for a in listed)
    assert gl_balances(runtime, api)["2100"] == -total


def test_dormancy_marks_quiet_accounts_and_a_deposit_wakes_them(api: Api, client_id: int, runtime: Runtime) -> None:
    from datetime import date

    from akiba.platform.db import commit
    from akiba.savings.jobs import mark_dormancy

    product = make_product(api, name="Sleepy", dormancy={"inactive_after_days": 30, "dormant_after_days": 60})
    aid = open_account(api, client_id, product["id"])
    deposit(api, aid, "2024-01-10", "10")
    with runtime.session(api.tenant) as s:
        assert mark_dormancy(s, date(2024, 3, 10), [aid + 1]) == 0  # limited to the accounts named
    for day, expected in ((date(2024, 2, 8), None), (date(2024, 2, 9), "inactive"), (date(2024, 3, 10), "dormant")):
        with runtime.session(api.tenant) as s:
            mark_dormancy(s, day)
            commit(s)
        assert ok(api.get(f"/api/v1/savings-accounts/{aid}"))["sub_status"] == expected
    assert deposit(api, aid, "2024-03-11", "10")["account"]["sub_status"] is None


def test_product_change_applies_to_new_accounts_only(api: Api, client_id: int) -> None:
    product = make_product(api, name="Changing")
    before = open_account(api, client_id, product["id"])
    changed = ok(api.put(f"/api/v1/savings-products/{product['id']}", {"annual_interest_rate": "5"}))
    assert changed["annual_interest_rate"] == "5"
    after = open_account(api, client_id, product["id"])
    assert ok(api.get(f"/api/v1/savings-accounts/{before}"))["annual_interest_rate"] == "3.65"
    assert ok(api.get(f"/api/v1/savings-accounts/{after}"))["annual_interest_rate"] == "5"
    refused(api.put(f"/api/v1/savings-products/{product['id']}", {"gl_mappings": {"no_such_movement": 1}}), 422)


def test_periodic_fees_are_charged_once_at_period_ends_and_reverse_cleanly(api: Api, client_id: int,
                                                                           runtime: Runtime) -> None:
    from datetime import date

    from akiba.platform.db import commit
    from akiba.savings.jobs import charge_periodic_fees

    product = make_product(api, name="Fees", fees={"monthly_fee": "5", "annual_fee": "20"})
    aid = open_account(api, client_id, product["id"])
    poor = open_account(api, client_id, product["id"])  # no money: its fee is skipped, not forced
    deposit(api, aid, "2024-01-05", "100")

    def charge(day: date) -> int:
        with runtime.session(api.tenant) as s:
            charged = charge_periodic_fees(s, day)
            commit(s)
        return charged

    assert charge(date(2024, 1, 30)) == 0  # not a month end
    assert charge(date(2024, 1, 31)) == 1
    assert charge(date(2024, 1, 31)) == 0  # already charged for that day
    assert charge(date(2024, 12, 31)) == 1  # monthly 5 + annual 20
    view = ok(api.get(f"/api/v1/savings-accounts/{aid}"))
    assert view["balance"] == "70.00"
    assert ok(api.get(f"/api/v1/savings-accounts/{poor}"))["balance"] == "0.00"
    assert gl_balances(runtime, api)["4500"] == Decimal("-30.00")
    january_fee = next(t for t in view["transactions"] if t["type"] == "fee")
    ok(api.post(f"/api/v1/savings-accounts/{aid}/transactions/{january_fee['id']}/reverse", {}))
    assert ok(api.get(f"/api/v1/savings-accounts/{aid}"))["balance"] == "75.00"
    balances = gl_balances(runtime, api)
    assert balances["4500"] == Decimal("-25.00") and balances["2100"] == Decimal("-75.00")
