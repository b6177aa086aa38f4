"""Collection sheets through HTTP: a meeting's repayments, deposits and withdrawals in one call, all or nothing."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal
from typing import Any

from conftest import Api, api_for
from fastapi.testclient import TestClient
from loan_factories import active_loan, balances, get_loan, make_client, make_product, ok, repay
from sqlalchemy import text

from akiba.platform.runtime import Runtime

SAVINGS = {"name": "Group Save", "currency": "USD", "annual_interest_rate": "0",
           "interest_calculation": "daily_balance", "compounding": "monthly", "posting": "monthly", "days_in_year": 365}
DAY = "2024-02-01"
# 1,000 at 1 % a month over 12 months: EMI 1000 * 0.01 / (1 - 1.01^-12) = 88.85; the first installment carries
# 1 % of 1,000 = 10.00 interest and 88.85 - 10.00 = 78.85 principal.
EMI, INTEREST_1, PRINCIPAL_1 = "88.85", Decimal("10.00"), Decimal("78.85")


def _savings_account(api: Api, client_id: int, product_id: int, opening: str | None = None) -> int:
    aid = ok(api.post("/api/v1/savings-accounts", {"client_id": client_id, "product_id": product_id,
                                                   "submitted_on": "2024-01-01"}), 201)["id"]
    ok(api.post(f"/api/v1/savings-accounts/{aid}/approve", {"approved_on": "2024-01-01"}))
    ok(api.post(f"/api/v1/savings-accounts/{aid}/activate", {"activated_on": "2024-01-01"}))
    if opening is not None:
        ok(api.post(f"/api/v1/savings-accounts/{aid}/deposits", {"transaction_date": "2024-01-01",
                                                                  "amount": opening}), 201)
    return int(aid)


def _meeting(api: Api) -> dict[str, Any]:
    """Two members, each with a loan and a savings account (the second opened with 100.00)."""
    office = ok(api.post("/api/v1/offices", {"name": "Head Office", "opening_date": "2020-01-01"}), 201)["id"]
    members = [make_client(api, office, "Achieng", "Otieno"), make_client(api, office, "Baraka", "Mwangi")]
    loan_product = make_product(api)["id"]
    savings_product = ok(api.post("/api/v1/savings-products", SAVINGS), 201)["id"]
    return {"loans": [active_loan(api, m, loan_product)["id"] for m in members],
            "savings": [_savings_account(api, members[0], savings_product),
                        _savings_account(api, members[1], savings_product, "100.00")]}


def _account(api: Api, aid: int) -> dict[str, Any]:
    return ok(api.get(f"/api/v1/savings-accounts/{aid}"))



def _sheet(meeting: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    loans, savings = meeting["loans"], meeting["savings"]
    return {"transaction_date": DAY, "payment_type": "cash",
            "repayments": [{"loan_id": loans[1], "amount": EMI}, {"loan_id": loans[0], "amount": EMI}],
            "deposits": [{"savings_account_id": savings[0], "amount": "50.00"},
                         {"savings_account_id": savings[1], "amount": "30.00"}],
            "withdrawals": [{"savings_account_id": savings[1], "amount": "20.00"}], **overrides}


def test_a_sheet_posts_every_line_with_its_own_transaction_and_journal(api: Api, runtime: Runtime) -> None:
    meeting = _meeting(api)
    before = balances(api)
    answer = ok(api.post("/api/v1/collection-sheets", _sheet(meeting)), 201)

    # Answers come back in the sheet's order, each line as its single call would answer it.
    assert [r["loan_id"] for r in answer["repayments"]] == [meeting["loans"][1], meeting["loans"][0]]
    for line in answer["repayments"]:
        assert (line["type"], line["payment_type"]) == ("repayment", "cash")
        assert (Decimal(line["interest"]), Decimal(line["principal"])) == (INTEREST_1, PRINCIPAL_1)
    assert [d["account_id"] for d in answer["deposits"]] == meeting["savings"]
    assert [w["balance"] for w in answer["withdrawals"]] == ["110.00"]
    # Member 2: 100.00 + 30.00 - 20.00 = 110.00 (the deposit is applied before the withdrawal).
    assert [_account(api, a)["balance"] for a in meeting["savings"]] == ["50.00", "110.00"]
    for loan_id in meeting["loans"]:
        loan = get_loan(api, loan_id)
        assert Decimal(loan["summary"]["principal_outstanding"]) == Decimal("1000.00") - PRINCIPAL_1
        first = loan["schedule"]["periods"][0]
        assert (first["paid"], first["outstanding"]) == (EMI, "0.00")

    after = balances(api)
    moved = {code: after.get(code, Decimal(0)) - before.get(code, Decimal(0)) for code in after}
    # Cash in: 2 x 88.85 + 50.00 + 30.00 - 20.00 = 237.70.
    assert moved["1110"] == Decimal("237.70")
    assert moved["1210"] == -2 * PRINCIPAL_1
    assert moved["4100"] == -2 * INTEREST_1
    assert moved["2100"] == Decimal("-60.00")  # savings control is a liability: credit 50 + 30, debit 20

    # One journal entry per line, as single calls would post.
    with _session(runtime, api) as s:
        sources = Counter(s.scalars(text("SELECT source FROM journal_entries WHERE transaction_date = :d"),
                                    {"d": DAY}))
    assert sources == Counter({"loan_transaction": 2, "savings_transaction": 3})


def test_a_sheet_line_equals_the_single_call(api: Api) -> None:
    meeting = _meeting(api)
    sheet = ok(api.post("/api/v1/collection-sheets", {"transaction_date": DAY, "repayments": [
        {"loan_id": meeting["loans"][0], "amount": "100.00"}]}), 201)["repayments"][0]
    single = repay(api, meeting["loans"][1], "100.00", DAY)
    keys = ("amount", "principal", "interest", "fees", "penalties", "overpayment")
    assert {k: sheet[k] for k in keys} == {k: single[k] for k in keys}
    assert get_loan(api, meeting["loans"][0])["summary"] == get_loan(api, meeting["loans"][1])["summary"]


def test_a_refused_line_refuses_the_whole_sheet_and_names_the_line(api: Api) -> None:
    meeting = _meeting(api)
    before = balances(api)
    overdrawn = _sheet(meeting, withdrawals=[{"savings_account_id": meeting["savings"][0], "amount": "60.00"}])
    response = api.post("/api/v1/collection-sheets", overdrawn)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("insufficient-funds")
    assert [e["field"] for e in problem["errors"]] == ["withdrawals.0"]
    # Nothing of the sheet stays: not the repayments, not the deposits, not a journal line.
    assert balances(api) == before
    assert [_account(api, a)["balance"] for a in meeting["savings"]] == ["0.00", "100.00"]
    assert all(get_loan(api, i)["summary"]["principal_outstanding"] == "1000.00" for i in meeting["loans"])


def test_bad_lines_are_named_by_their_place_in_the_sheet(api: Api) -> None:
    meeting = _meeting(api)
    cases = [
        (_sheet(meeting, repayments=[{"loan_id": meeting["loans"][0], "amount": "-5"}]), 422, "repayments.0.amount"),
        (_sheet(meeting, deposits=[{"savings_account_id": meeting["savings"][0], "amount": "1.001"}]), 422,
         "deposits.0.amount"),
        (_sheet(meeting, repayments=[{"loan_id": 999_999, "amount": "10"}]), 404, "repayments.0"),
        (_sheet(meeting, transaction_date="2023-12-31"), 422, "repayments.0.transaction_date"),
        ({"transaction_date": DAY}, 422, "body"),
    ]
    for body, status, field in cases:
        response = api.post("/api/v1/collection-sheets", body)
        assert response.status_code == status, (body, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], response.text
    assert [_account(api, a)["balance"] for a in meeting["savings"]] == ["0.00", "100.00"]


def test_each_kind_of_line_needs_its_own_permission(api: Api, app_client: TestClient) -> None:
    meeting = _meeting(api)
    role = ok(api.post("/api/v1/roles", {"name": "savings-collector", "permissions": [
        "collectionsheets:save", "savings:deposit"]}), 201)
    ok(api.post("/api/v1/users", {"username": "collector", "password": "Collect-1234", "roles": [role["name"]]}), 201)
    collector = api_for(app_client, api.tenant, "collector", "Collect-1234")
    with_repayment = collector.post("/api/v1/collection-sheets", _sheet(meeting, withdrawals=[]))
    assert with_repayment.status_code == 403 and "loans:repay" in with_repayment.json()["detail"]
    deposits_only = {"transaction_date": DAY, "deposits": [{"savings_account_id": meeting["savings"][0],
                                                             "amount": "5.00"}]}
    ok(collector.post("/api/v1/collection-sheets", deposits_only), 201)
    assert _account(api, meeting["savings"][0])["balance"] == "5.00"


def test_a_sheet_waits_for_a_checker_when_one_of_its_lines_does(api: Api, app_client: TestClient) -> None:
    meeting = _meeting(api)
    ok(api.put("/api/v1/maker-checker/loans:repay", {"enabled": True}))
    role = ok(api.post("/api/v1/roles", {"name": "checker", "permissions": ["collectionsheets:save:check"]}), 201)
    ok(api.post("/api/v1/users", {"username": "checker", "password": "Check-12345", "roles": [role["name"]]}), 201)
    pending = ok(api.post("/api/v1/collection-sheets", _sheet(meeting)), 202)
    assert _account(api, meeting["savings"][0])["balance"] == "0.00"  # nothing ran yet
    checker = api_for(app_client, api.tenant, "checker", "Check-12345")
    ok(checker.post(f"/api/v1/pending-commands/{pending['pending_command_id']}/approve"))
    assert [_account(api, a)["balance"] for a in meeting["savings"]] == ["50.00", "110.00"]
    assert Decimal(get_loan(api, meeting["loans"][0])["summary"]["principal_outstanding"]) == 1000 - PRINCIPAL_1


def test_sheets_sharing_members_in_opposite_orders_never_deadlock(api: Api, app_client: TestClient,
                                                                  runtime: Runtime) -> None:
    meeting = _meeting(api)
    loans, savings = meeting["loans"], meeting["savings"]
    forward = {"transaction_date": DAY,
               "repayments": [{"loan_id": loans[0], "amount": "10.00"}, {"loan_id": loans[1], "amount": "10.00"}],
               "deposits": [{"savings_account_id": savings[0], "amount": "1.00"},
                            {"savings_account_id": savings[1], "amount": "1.00"}]}
    backward = {**forward, "repayments": forward["repayments"][::-1], "deposits": forward["deposits"][::-1]}
    barrier, outcomes, lock = threading.Barrier(8), Counter[int](), threading.Lock()

    def post(body: dict[str, Any]) -> None:
        barrier.wait()
        status = api.post("/api/v1/collection-sheets", body).status_code
        with lock:
            outcomes[status] += 1

    threads = [threading.Thread(target=post, args=(forward if n % 2 else backward,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert outcomes == Counter({201: 8})
    assert [_account(api, a)["balance"] for a in savings] == ["8.00", "108.00"]
    for loan_id in loans:
        repaid = [t for t in get_loan(api, loan_id)["transactions"] if t["type"] == "repayment"]
        assert sum(Decimal(t["amount"]) for t in repaid) == Decimal("80.00")
    with _session(runtime, api) as s:
        control = s.scalar(text("SELECT sum(CASE WHEN l.side = 'credit' THEN l.amount ELSE -l.amount END) "
                                "FROM journal_lines l JOIN gl_accounts g ON g.id = l.gl_account_id "
                                "WHERE g.gl_code = '2100'"))
    assert control == Decimal("116.00")


def _session(runtime: Runtime, api: Api) -> Any:
    return runtime.session(api.tenant)


def test_lines_that_replay_history_come_out_as_single_calls(api: Api) -> None:
    """A second line on one loan and a back-dated line take the one-by-one path; each loan must end exactly as
    its twin repaid by single calls."""
    office = ok(api.post("/api/v1/offices", {"name": "Head Office", "opening_date": "2020-01-01"}), 201)["id"]
    member = make_client(api, office)
    product = make_product(api)["id"]
    twice, twice_twin, late, late_twin = (active_loan(api, member, product)["id"] for _ in range(4))
    for loan_id in (late, late_twin):  # a later repayment makes a repayment dated DAY back-dated
        repay(api, loan_id, "20.00", "2024-02-10")
    sheet = {"transaction_date": DAY, "repayments": [
        {"loan_id": twice, "amount": "50.00"}, {"loan_id": late, "amount": "30.00"},
        {"loan_id": twice, "amount": "38.85"}]}
    answer = ok(api.post("/api/v1/collection-sheets", sheet), 201)
    repay(api, twice_twin, "50.00", DAY)
    repay(api, twice_twin, "38.85", DAY)
    repay(api, late_twin, "30.00", DAY)
    assert [line["amount"] for line in answer["repayments"]] == ["50.00", "30.00", "38.85"]
    for loan_id, twin in ((twice, twice_twin), (late, late_twin)):
        mine, theirs = get_loan(api, loan_id), get_loan(api, twin)
        assert mine["summary"] == theirs["summary"]
        assert mine["schedule"]["periods"] == theirs["schedule"]["periods"]
        keys = ("type", "transaction_date", "amount", "principal", "interest", "reversed")
        assert [{k: t[k] for k in keys} for t in mine["transactions"]] == \
            [{k: t[k] for k in keys} for t in theirs["transactions"]]
    # 50.00 + 38.85 is the first EMI: installment 1 is paid, as by one repayment of 88.85.
    assert get_loan(api, twice)["schedule"]["periods"][0]["outstanding"] == "0.00"


def test_two_deposits_to_one_account_each_answer_their_running_balance(api: Api, runtime: Runtime) -> None:
    meeting = _meeting(api)
    target = meeting["savings"][1]  # opened with 100.00
    answer = ok(api.post("/api/v1/collection-sheets", {"transaction_date": DAY, "deposits": [
        {"savings_account_id": target, "amount": "10.00"}, {"savings_account_id": target, "amount": "5.50"}]}), 201)
    assert [d["balance"] for d in answer["deposits"]] == ["110.00", "115.50"]
    assert _account(api, target)["balance"] == "115.50"
    with _session(runtime, api) as s:
        entries = s.execute(text("SELECT e.source_id, sum(l.amount) FROM journal_entries e "
                                 "JOIN journal_lines l ON l.entry_id = e.id AND l.side = 'credit' "
                                 "WHERE e.source = 'savings_transaction' AND e.transaction_date = :d "
                                 "GROUP BY e.source_id ORDER BY e.source_id"), {"d": DAY}).all()
    assert [(int(i), Decimal(a)) for i, a in entries] == [
        (answer["deposits"][0]["id"], Decimal("10.00")), (answer["deposits"][1]["id"], Decimal("5.50"))]
    assert [d["journal_entry_id"] is not None for d in answer["deposits"]] == [True, True]
