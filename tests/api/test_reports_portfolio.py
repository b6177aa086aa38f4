"""Portfolio reports checked against a small portfolio whose PAR, ageing and collections are worked out by hand.

The portfolio (1000.00 at 12%/year, 12 monthly installments of 88.85; product "Fees" adds 1.00 per installment):
  A  head office, officer Ann, repaid every installment on its due date (Feb 1 .. Jun 1)  -> 0 days late
  B  head office, officer Ann, repaid Feb 1 and Mar 1 only                             -> due Apr 1: 75 days
  C  branch East, officer Ben, never repaid                                             -> due Feb 1: 135 days
  D  branch East, officer Ben, product Fees, disbursed May 1, never repaid               -> due Jun 1: 14 days
  E  head office, submitted only (not in the portfolio)
as of 2024-06-15.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from conftest import api_for, new_tenant
from fastapi.testclient import TestClient
from loan_factories import active_loan, make_product, ok, repay, set_business_date, submit

from akiba.platform.runtime import Runtime
from akiba.reports.snapshot import snapshot_portfolio

AS_OF = "2024-06-15"
EMI = Decimal("88.85")
DUE_DATES = ["2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01", "2024-06-01"]


def _d(value: str) -> Decimal:
    return Decimal(value)


@pytest.fixture(scope="module")
def book(app_client: TestClient, runtime: Runtime) -> dict[str, Any]:
    tenant = new_tenant(runtime)
    api = api_for(app_client, tenant)
    head = ok(api.post("/api/v1/offices", {"name": "Head Office", "opening_date": "2020-01-01"}), 201)["id"]
    east = ok(api.post("/api/v1/offices", {"name": "East", "opening_date": "2020-01-01", "parent_id": head}),
              201)["id"]
    ann = ok(api.post("/api/v1/staff", {"office_id": head, "first_name": "Ann", "last_name": "Officer",
                                         "is_loan_officer": True}), 201)["id"]
    ben = ok(api.post("/api/v1/staff", {"office_id": east, "first_name": "Ben", "last_name": "Officer",
                                         "is_loan_officer": True}), 201)["id"]
    plain = make_product(api)
    fees = make_product(api, name="Fees", short_name="FEE", charges=[
        {"name": "Service", "charge_time": "installment", "calculation": "flat", "amount": "1.00"}])

    def client(office: int, name: str) -> int:
        body = {"office_id": office, "first_name": name, "last_name": "Borrower", "activation_date": "2023-01-01"}
        return int(ok(api.post("/api/v1/clients", body), 201)["id"])

    loans = {
        "A": active_loan(api, client(head, "A"), plain["id"], loan_officer_id=ann),
        "B": active_loan(api, client(head, "B"), plain["id"], loan_officer_id=ann),
        "C": active_loan(api, client(east, "C"), plain["id"], loan_officer_id=ben),
        "D": active_loan(api, client(east, "D"), fees["id"], on="2024-05-01", loan_officer_id=ben),
    }
    submit(api, client(head, "E"), plain["id"])
    for day in DUE_DATES:
        repay(api, loans["A"]["id"], str(EMI), day)
    for day in DUE_DATES[:2]:
        repay(api, loans["B"]["id"], str(EMI), day)
    set_business_date(runtime, tenant, date.fromisoformat(AS_OF))
    views = {k: ok(api.get(f"/api/v1/loans/{v['id']}")) for k, v in loans.items()}
    return {"api": api, "tenant": tenant, "loans": views, "offices": {"head": head, "east": east},
            "officers": {"Ann": ann, "Ben": ben}, "products": {"plain": plain["id"], "fees": fees["id"]}}


def _rows(book: dict[str, Any], name: str, **params: str) -> list[dict[str, Any]]:
    body = ok(book["api"].get(f"/api/v1/reports/{name}", limit="1000", **params))
    return [dict(zip(body["columns"], row, strict=True)) for row in body["rows"]]


def _po(book: dict[str, Any], key: str) -> Decimal:
    return _d(book["loans"][key]["summary"]["principal_outstanding"])


def test_the_loans_module_agrees_with_the_hand_worked_arrears(book: dict[str, Any]) -> None:
    arrears = {k: v["summary"]["days_in_arrears"] for k, v in book["loans"].items()}
    assert arrears == {"A": 0, "B": 75, "C": 135, "D": 14}
    assert _po(book, "C") == _po(book, "D") == Decimal("1000.00")


def test_par_by_office_by_hand(book: dict[str, Any]) -> None:
    rows = {r["group_name"]: r for r in _rows(book, "portfolio-at-risk", as_of=AS_OF, group_by="office")}
    head_total = _po(book, "A") + _po(book, "B")
    head = rows["Head Office"]
    assert (head["loans"], _d(head["principal_outstanding"])) == (2, head_total)
    # PAR30 of the head office: only B (75 days) is 30 or more days late.
    assert _d(head["par30"]) == _po(book, "B")
    assert _d(head["par30_percent"]) == (100 * _po(book, "B") / head_total).quantize(Decimal("0.01"))
    assert _d(head["par90"]) == 0
    east = rows["East"]
    assert _d(east["principal_outstanding"]) == Decimal("2000.00")
    assert (_d(east["par1"]), _d(east["par30"]), _d(east["par90"])) == (Decimal("2000.00"), Decimal("1000.00"),
                                                                        Decimal("1000.00"))
    assert east["par30_percent"] == "50.00"


def test_par_by_officer_and_product_and_office_scope(book: dict[str, Any]) -> None:
    by_officer = {r["group_name"]: r for r in _rows(book, "portfolio-at-risk", as_of=AS_OF, group_by="officer")}
    assert set(by_officer) == {"Ann Officer", "Ben Officer"}
    assert _d(by_officer["Ben Officer"]["par60"]) == Decimal("1000.00")  # C only: D is 14 days late
    by_product = {r["group_name"]: r for r in _rows(book, "portfolio-at-risk", as_of=AS_OF, group_by="product")}
    assert by_product["Fees"]["loans"] == 1 and _d(by_product["Fees"]["par1"]) == Decimal("1000.00")
    assert _d(by_product["Fees"]["par30"]) == 0
    plain = by_product["Monthly declining"]
    all_plain = _po(book, "A") + _po(book, "B") + _po(book, "C")
    assert _d(plain["par30"]) == _po(book, "B") + _po(book, "C")
    assert _d(plain["par30_percent"]) == (100 * (_po(book, "B") + _po(book, "C")) / all_plain).quantize(
        Decimal("0.01"))
    east_only = _rows(book, "portfolio-at-risk", as_of=AS_OF, office_id=str(book["offices"]["east"]))
    assert [r["group_name"] for r in east_only] == ["East"]


def test_active_portfolio_sums_the_loans(book: dict[str, Any]) -> None:
    rows = _rows(book, "active-portfolio", as_of=AS_OF)
    total = sum((_d(r["total_outstanding"]) for r in rows), Decimal(0))
    expected = sum((_d(v["summary"]["total_outstanding"]) for v in book["loans"].values()), Decimal(0))
    assert total == expected
    assert sum(r["loans"] for r in rows) == 4
    ann = [r for r in rows if r["officer"] == "Ann Officer"]
    assert len(ann) == 1 and _d(ann[0]["principal_disbursed"]) == Decimal("2000.00")
    fees = next(r for r in rows if r["product"] == "Fees")
    assert _d(fees["fees_penalties_outstanding"]) == _d(book["loans"]["D"]["summary"]["fees_outstanding"])


def test_arrears_ageing_buckets(book: dict[str, Any]) -> None:
    rows = {(r["office"], r["bucket"]): r for r in _rows(book, "arrears-ageing", as_of=AS_OF)}
    assert set(rows) == {("Head Office", "61-90"), ("East", "1-30"), ("East", "91-180")}
    # B owes installments 3, 4 and 5 (Apr 1, May 1, Jun 1); C owes 1 to 5; D owes its first (with its 1.00 fee).
    assert _d(rows[("Head Office", "61-90")]["overdue_total"]) == 3 * EMI
    assert _d(rows[("East", "91-180")]["overdue_total"]) == 5 * EMI
    assert _d(rows[("East", "1-30")]["overdue_total"]) == EMI + 1


def test_disbursements_and_repayments_in_a_period(book: dict[str, Any]) -> None:
    january = _rows(book, "disbursements", **{"from": "2024-01-01", "to": "2024-01-31"})
    assert [r["loan_id"] for r in january] == sorted(book["loans"][k]["id"] for k in "ABC")
    assert {r["amount"] for r in january} == {"1000.00"}
    paid = _rows(book, "repayments", **{"from": "2024-01-01", "to": "2024-06-30"})
    assert len(paid) == 7 and sum(_d(r["amount"]) for r in paid) == 7 * EMI
    assert sum(_d(r["principal"]) + _d(r["interest"]) for r in paid) == 7 * EMI
    march = _rows(book, "repayments", **{"from": "2024-03-01", "to": "2024-03-01"})
    assert {r["borrower"] for r in march} == {"A Borrower", "B Borrower"}


def test_expected_vs_actual_collections_in_june(book: dict[str, Any]) -> None:
    rows = _rows(book, "expected-vs-actual", group_by="office", **{"from": "2024-06-01", "to": "2024-06-30"})
    got = {r["group_name"]: r for r in rows}
    # Due in June: installment 6 of A, B, C (88.85 each) and installment 2 of D (89.85); A paid its own.
    assert _d(got["Head Office"]["expected"]) == 2 * EMI
    assert _d(got["Head Office"]["paid_of_expected"]) == EMI
    assert got["Head Office"]["collection_rate_percent"] == "50.00"
    assert _d(got["Head Office"]["received_in_period"]) == EMI
    assert _d(got["East"]["expected"]) == 2 * EMI + 1 and _d(got["East"]["paid_of_expected"]) == 0


def test_loans_due_collection_sheet(book: dict[str, Any]) -> None:
    rows = {r["borrower"]: r for r in _rows(book, "loans-due", due_date="2024-07-01")}
    assert set(rows) == {"A Borrower", "B Borrower", "C Borrower", "D Borrower"}
    assert _d(rows["A Borrower"]["due_today"]) == EMI and _d(rows["A Borrower"]["overdue"]) == 0
    assert _d(rows["B Borrower"]["overdue"]) == 3 * EMI  # Apr 1, May 1, Jun 1
    assert _d(rows["C Borrower"]["overdue"]) == 5 * EMI and _d(rows["C Borrower"]["due_today"]) == EMI
    assert _d(rows["D Borrower"]["total_to_collect"]) == 2 * (EMI + 1)
    bens = _rows(book, "loans-due", due_date="2024-07-01", staff_id=str(book["officers"]["Ben"]))
    assert {r["officer"] for r in bens} == {"Ben Officer"}


def test_snapshot_makes_historical_par_a_lookup(book: dict[str, Any], runtime: Runtime) -> None:
    tenant = book["tenant"]
    with runtime.session(tenant) as s:
        assert snapshot_portfolio(s, date(2024, 6, 15)) == 4
        assert snapshot_portfolio(s, date(2024, 6, 15)) == 4  # re-running a date replaces it
        s.commit()
    live = _rows(book, "portfolio-at-risk", as_of=AS_OF)
    history = _rows(book, "portfolio-history", **{"from": AS_OF, "to": AS_OF})
    assert {r["office"]: r["par30"] for r in history} == {r["group_name"]: r["par30"] for r in live}
    # B catches up after the snapshot: PAR of 2024-06-15 is still what it was that day.
    set_business_date(runtime, tenant, date(2024, 6, 30))
    repay(book["api"], book["loans"]["B"]["id"], str(4 * EMI), "2024-06-20")
    again = {r["group_name"]: r for r in _rows(book, "portfolio-at-risk", as_of=AS_OF)}
    assert _d(again["Head Office"]["par30"]) == _po(book, "B")
    now = {r["group_name"]: r for r in _rows(book, "portfolio-at-risk", as_of="2024-06-30")}
    assert _d(now["Head Office"]["par30"]) == 0
