"""Loan products through HTTP: defaults and limits, schedule settings, charges, GL mappings, bad input."""

from __future__ import annotations

from typing import Any

from conftest import Api
from loan_factories import MONTHLY, make_product, ok


def test_product_keeps_settings_charges_and_default_cash_mapping(api: Api) -> None:
    product = make_product(api, charges=[
        {"name": "Processing fee", "charge_time": "disbursement", "calculation": "percent_of_amount", "amount": "2"},
        {"name": "Late fee", "charge_time": "overdue_installment", "calculation": "flat", "amount": "5.00",
         "penalty": True, "grace_days": 3},
    ])
    again = ok(api.get(f"/api/v1/loan-products/{product['id']}"))
    assert again["principal"] == "1000.00" and again["max_principal"] == "50000.00"
    assert again["days_in_year"] == "360" and again["repayment_frequency"] == "months"
    assert [(c["name"], c["calculation"], c["amount"]) for c in again["charges"]] == [
        ("Processing fee", "percent_of_amount", "2"), ("Late fee", "flat", "5.00")]
    assert set(again["gl_mappings"]) >= {"fund_source", "loan_portfolio", "interest_income", "fee_income"}
    assert [b["name"] for b in again["delinquency_buckets"]] == ["1-30", "31-60", "61-90", "90+"]
    listed = ok(api.get("/api/v1/loan-products"))
    assert [p["id"] for p in listed["items"]] == [product["id"]]


def test_gl_mapping_by_code_and_update(api: Api) -> None:
    product = make_product(api, gl_mappings={"fund_source": "1120"})
    assert product["gl_mappings"]["fund_source"] != product["gl_mappings"]["loan_portfolio"]
    updated = ok(api.put(f"/api/v1/loan-products/{product['id']}", {"max_principal": "90000.00", "active": False}))
    assert updated["max_principal"] == "90000.00" and updated["active"] is False


def _refused(api: Api, field: str, **overrides: Any) -> None:
    response = api.post("/api/v1/loan-products", {**MONTHLY, **overrides})
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]], response.json()


def test_bad_products_are_refused_naming_the_field_and_store_nothing(api: Api) -> None:
    _refused(api, "principal", principal=1000.5)  # a JSON float is not exact money
    _refused(api, "principal", principal="100000.00")  # above max_principal
    _refused(api, "min_number_of_repayments", min_number_of_repayments=70)
    _refused(api, "repayment_frequency", repayment_frequency="fortnights")
    _refused(api, "rounding_mode", rounding_mode="SIDEWAYS")
    _refused(api, "transaction_processing_strategy", transaction_processing_strategy="random")
    _refused(api, "gl_mappings.fund_source", gl_mappings={"fund_source": "9999"})
    _refused(api, "gl_mappings", gl_mappings={"teleport": "1110"})
    _refused(api, "charges.0.calculation",
             charges=[{"name": "x", "charge_time": "installment", "calculation": "percent_of_amount", "amount": "1"}])
    _refused(api, "grace_on_principal", grace_on_principal=12)
    assert ok(api.get("/api/v1/loan-products"))["items"] == []


def test_duplicate_name_is_a_conflict(api: Api) -> None:
    make_product(api)
    response = api.post("/api/v1/loan-products", {**MONTHLY, "short_name": "OTH"})
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/loan-product-name-taken"
