"""Factories for loan tests: a client, a product and a loan in a given state, each in one line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from conftest import Api
from sqlalchemy import text

from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

MONTHLY: dict[str, Any] = {
    "name": "Monthly declining", "short_name": "MDB", "currency": "USD",
    "principal": "1000.00", "min_principal": "100.00", "max_principal": "50000.00",
    "number_of_repayments": 12, "min_number_of_repayments": 1, "max_number_of_repayments": 60,
    "annual_interest_rate": "12", "min_annual_interest_rate": "0", "max_annual_interest_rate": "60",
    "interest_type": "declining_balance", "amortization": "equal_installments",
    "interest_calculation_period": "same_as_repayment", "days_in_year": "360", "days_in_month": "30",
    "repayment_every": 1, "repayment_frequency": "months", "accounting_rule": "cash",
}


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def refused(response: Any, status: int, field: str | None = None, type_: str | None = None) -> None:
    """A problem+json refusal with this status, naming `field` among its errors and of the problem type `type_`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        assert field in [e["field"] for e in response.json()["errors"]], response.json()
    if type_ is not None:
        assert response.json()["type"].endswith(type_), response.json()


def make_office(api: Api) -> int:
    return int(ok(api.post("/api/v1/offices", {"name": "Head Office", "opening_date": "2020-01-01"}), 201)["id"])


def make_client(api: Api, office_id: int, first: str = "Amina", last: str = "Odhiambo") -> int:
    body = {"office_id": office_id, "first_name": first, "last_name": last, "activation_date": "2023-01-01"}
    return int(ok(api.post("/api/v1/clients", body), 201)["id"])


def make_product(api: Api, **overrides: Any) -> dict[str, Any]:
    return ok(api.post("/api/v1/loan-products", {**MONTHLY, **overrides}), 201)


def office_client_product(api: Api) -> dict[str, Any]:
    """The usual world of a loan test: the head office, one client in it and the monthly product."""
    office = make_office(api)
    return {"office": office, "client": make_client(api, office), "product": make_product(api)}


def get_loan(api: Api, loan_id: int) -> dict[str, Any]:
    return ok(api.get(f"/api/v1/loans/{loan_id}"))


def sum_of(periods: list[dict[str, Any]], name: str) -> Decimal:
    """The total of one money column over schedule periods."""
    return sum((Decimal(p[name]) for p in periods), Decimal(0))


def submit(api: Api, client_id: int, product_id: int, principal: str = "1000.00", on: str = "2024-01-01",
           **extra: Any) -> dict[str, Any]:
    body = {"client_id": client_id, "product_id": product_id, "principal": principal, "submitted_on": on,
            "expected_disbursement_date": on, **extra}
    return ok(api.post("/api/v1/loans", body), 201)


def active_loan(api: Api, client_id: int, product_id: int, principal: str = "1000.00", on: str = "2024-01-01",
                **extra: Any) -> dict[str, Any]:
    loan = submit(api, client_id, product_id, principal, on, **extra)
    ok(api.post(f"/api/v1/loans/{loan['id']}/approve", {"approved_on": on}))
    return ok(api.post(f"/api/v1/loans/{loan['id']}/disburse", {"disbursed_on": on}))


def repay(api: Api, loan_id: int, amount: str, on: str) -> dict[str, Any]:
    return ok(api.post(f"/api/v1/loans/{loan_id}/repayments", {"transaction_date": on, "amount": amount}), 201)


def set_business_date(runtime: Runtime, tenant: TenantInfo, day: date) -> None:
    with runtime.session(tenant) as s:
        s.execute(text("UPDATE tenant_settings SET business_date = :d WHERE id = 1"), {"d": day})
        s.commit()


def balances(api: Api, as_of: str = "2030-12-31") -> dict[str, Decimal]:
    """GL code -> debit minus credit from the trial balance, with the totals' equality checked."""
    tb = ok(api.get("/api/v1/accounting/trial-balance", as_of=as_of))
    assert Decimal(tb["total_debit"]) == Decimal(tb["total_credit"])
    return {row["gl_code"]: Decimal(row["debit"]) - Decimal(row["credit"]) for row in tb["rows"]}
