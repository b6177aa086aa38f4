"""The loan lifecycle through HTTP: submit, approve, disburse, repay, read, and every step around them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from conftest import Api
from loan_factories import balances, make_client, make_office, make_product, ok, repay, submit


@pytest.fixture
def setup(api: Api) -> dict[str, Any]:
    office = make_office(api)
    return {"office": office, "client": make_client(api, office), "product": make_product(api)}


def test_submit_approve_disburse_repay_and_read(api: Api, setup: dict[str, Any]) -> None:
    loan = submit(api, setup["client"], setup["product"]["id"])
    assert loan["status"] == "submitted"
    assert len(loan["schedule"]["periods"]) == 12
    approved = ok(api.post(f"/api/v1/loans/{loan['id']}/approve", {"approved_on": "2024-01-01"}))
    assert approved["status"] == "approved"
    active = ok(api.post(f"/api/v1/loans/{loan['id']}/disburse", {"disbursed_on": "2024-01-01"}))
    assert active["status"] == "active"
    first = active["schedule"]["periods"][0]
    # 1000 at 1% a month over 12 months: EMI 88.85, first interest 10.00.
    assert (first["principal"], first["interest"], first["total_due"]) == ("78.85", "10.00", "88.85")
    txn = repay(api, loan["id"], "100.00", "2024-02-01")
    # 88.85 settles installment 1; the 11.15 left pays installment 2 in advance, interest (9.21) first.
    assert (txn["principal"], txn["interest"], txn["fees"], txn["penalties"]) == ("80.79", "19.21", "0.00", "0.00")
    view = ok(api.get(f"/api/v1/loans/{loan['id']}"))
    periods = view["schedule"]["periods"]
    assert (periods[0]["paid"], periods[0]["outstanding"]) == ("88.85", "0.00")
    assert (periods[1]["paid"], periods[1]["outstanding"]) == ("11.15", "77.70")
    assert view["summary"]["principal_outstanding"] == "919.21"
    assert [t["type"] for t in view["transactions"]] == ["disbursement", "repayment"]
    cash = balances(api)
    assert cash["1210"] == Decimal("919.21")  # portfolio: 1000 out, 80.79 back
    assert cash["1110"] == Decimal("-900.00")  # fund source: 1000 out, 100 in
    assert cash["4100"] == Decimal("-19.21")  # interest income (credit)
