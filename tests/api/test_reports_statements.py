"""Loan and savings statements: running balance, charges, rates, CSV and a PDF that opens and shows the closing."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import Api
from loan_factories import active_loan, make_client, make_office, make_product, ok, repay
from pypdf import PdfReader

from akiba.core.errors import DomainError
from akiba.platform.runtime import Runtime
from akiba.reports.bulk import Month, count_accounts, generate_month, output_dir


@pytest.fixture
def settings_set(api: Api) -> dict[str, Any]:
    return ok(api.put("/api/v1/statement-settings", {
        "institution_name": "Akiba Microfinanzas S.A.", "address": "Av. Reforma 100\nCiudad de México",
        "complaints_contact": "Quejas: une@akiba.example, 800 123 4567"}))


@pytest.fixture
def loan(api: Api) -> dict[str, Any]:
    office = make_office(api)
    product = make_product(api, name="Fees", short_name="FEE", charges=[
        {"name": "Processing", "charge_time": "disbursement", "calculation": "percent_of_amount", "amount": "2"},
        {"name": "Service", "charge_time": "installment", "calculation": "flat", "amount": "1.00"}])
    loan = active_loan(api, make_client(api, office), product["id"])
    for day in ("2024-02-01", "2024-03-01", "2024-04-01"):
        repay(api, loan["id"], "89.85", day)
    return ok(api.get(f"/api/v1/loans/{loan['id']}"))


def test_loan_statement_running_balance_ends_at_the_principal_outstanding(api: Api, loan: dict[str, Any],
                                                                         settings_set: dict[str, Any]) -> None:
    st = ok(api.get(f"/api/v1/loans/{loan['id']}/statement", **{"from": "2024-01-01", "to": "2024-12-31"}))
    assert st["institution"]["institution_name"] == "Akiba Microfinanzas S.A."
    assert st["opening_balance"] == "0.00"
    moves = st["movements"]
    assert [m["debit"] for m in moves] == ["1000.00", "0.00", "0.00", "0.00"]
    balance = Decimal(st["opening_balance"])
    for m in moves:
        balance += Decimal(m["debit"]) - Decimal(m["credit"])
        assert Decimal(m["balance"]) == balance
    assert st["closing_balance"] == loan["summary"]["principal_outstanding"] == m["balance"]
    # interest and fees that fell due in 2024: installments Feb 1 .. Dec 1 (the 12th is due 2025-01-01)
    periods = loan["schedule"]["periods"]
    assert st["charges"]["fees_charged"] == "11.00"
    assert Decimal(st["charges"]["interest_charged"]) == sum(Decimal(p["interest"]) for p in periods[:11])
    assert Decimal(st["charges"]["interest_paid"]) == sum(Decimal(p["interest"]) for p in periods[:3])
    assert st["nominal_annual_rate"] == "12.00"
    # 2% withheld and 1.00 a month on top of 1% a month: the annual cost is well above 12.68%
    assert Decimal("17") < Decimal(st["effective_annual_rate"]) < Decimal("22")
    assert "Quejas" in st["institution"]["complaints_contact"]


def test_a_later_period_opens_where_the_earlier_one_closed(api: Api, loan: dict[str, Any]) -> None:
    first = ok(api.get(f"/api/v1/loans/{loan['id']}/statement", **{"from": "2024-01-01", "to": "2024-02-29"}))
    second = ok(api.get(f"/api/v1/loans/{loan['id']}/statement", **{"from": "2024-03-01", "to": "2024-12-31"}))
    assert second["opening_balance"] == first["closing_balance"]
    assert len(first["movements"]) == 2 and len(second["movements"]) == 2
    assert second["closing_balance"] == loan["summary"]["principal_outstanding"]


def test_loan_statement_csv_and_pdf(api: Api, loan: dict[str, Any], settings_set: dict[str, Any]) -> None:
    params = {"from": "2024-01-01", "to": "2024-12-31"}
    r = api.get(f"/api/v1/loans/{loan['id']}/statement", format="csv", **params)
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["date", "description", "reference", "debit", "credit", "balance"]
    assert rows[-1][1:] == ["Closing balance", "", "", "", loan["summary"]["principal_outstanding"]]
    r = api.get(f"/api/v1/loans/{loan['id']}/statement", format="pdf", **params)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    page = reader.pages[0].extract_text()
    closing = loan["summary"]["principal_outstanding"]
    assert f"Closing balance {closing} USD" in page
    assert "Akiba Microfinanzas S.A." in page and "Quejas: une@akiba.example" in page
    assert "Total annual cost (CAT)" in page


def test_statement_bad_input_is_422_naming_the_field(api: Api, loan: dict[str, Any]) -> None:
    r = api.get(f"/api/v1/loans/{loan['id']}/statement", **{"from": "2024-05-01", "to": "2024-01-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "from"
    r = api.get(f"/api/v1/loans/{loan['id']}/statement", to="2024-01-01")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "from"
    assert api.get("/api/v1/loans/999999/statement", **{"from": "2024-01-01", "to": "2024-02-01"}).status_code == 404


def test_savings_statement_ends_at_the_account_balance(api: Api, head_office: dict[str, Any]) -> None:
    client = make_client(api, head_office["id"])
    product = ok(api.post("/api/v1/savings-products", {
        "name": "Easy Save", "currency": "USD", "annual_interest_rate": "3.65", "interest_calculation":
        "daily_balance", "compounding": "monthly", "posting": "monthly", "days_in_year": 365}), 201)
    aid = ok(api.post("/api/v1/savings-accounts", {"client_id": client, "product_id": product["id"],
                                                   "submitted_on": "2024-01-01"}), 201)["id"]
    ok(api.post(f"/api/v1/savings-accounts/{aid}/approve", {"approved_on": "2024-01-01"}))
    ok(api.post(f"/api/v1/savings-accounts/{aid}/activate", {"activated_on": "2024-01-01"}))
    for day, amount in (("2024-01-02", "1000.00"), ("2024-02-10", "250.00")):
        ok(api.post(f"/api/v1/savings-accounts/{aid}/deposits", {"transaction_date": day, "amount": amount}), 201)
    ok(api.post(f"/api/v1/savings-accounts/{aid}/withdrawals", {"transaction_date": "2024-03-05",
                                                                "amount": "300.00"}), 201)
    posted = ok(api.post(f"/api/v1/savings-accounts/{aid}/post-interest", {"as_of": "2024-03-31"}), 201)
    interest = sum(Decimal(p["amount"]) for p in posted["posted"])
    account = ok(api.get(f"/api/v1/savings-accounts/{aid}"))
    st = ok(api.get(f"/api/v1/savings-accounts/{aid}/statement", **{"from": "2024-01-01", "to": "2024-03-31"}))
    assert st["closing_balance"] == account["balance"]
    assert Decimal(st["closing_balance"]) == Decimal("950.00") + interest
    assert Decimal(st["charges"]["interest_earned"]) == interest > 0
    assert st["effective_annual_rate"] == "3.71"  # 3.65% compounded monthly
    feb = ok(api.get(f"/api/v1/savings-accounts/{aid}/statement", **{"from": "2024-02-01", "to": "2024-02-29"}))
    assert Decimal(feb["opening_balance"]) == Decimal("1000.00") + Decimal(posted["posted"][0]["amount"])
    r = api.get(f"/api/v1/savings-accounts/{aid}/statement", format="pdf", **{"from": "2024-01-01",
                                                                             "to": "2024-03-31"})
    text = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    assert f"Closing balance {account['balance']} USD" in text


def test_bulk_generation_is_resumable_and_idempotent(api: Api, loan: dict[str, Any], runtime: Runtime,
                                                     tmp_path: Path) -> None:
    month = Month.parse("2024-03")
    out = output_dir(tmp_path, api.tenant.id, month)
    assert count_accounts(api.tenant, month) == 1
    assert generate_month(runtime.control_url, api.tenant, month, tmp_path) == (1, 0)
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"loan-{loan['id']}.pdf"]
    first = (out / files[0]).stat().st_mtime_ns
    assert generate_month(runtime.control_url, api.tenant, month, tmp_path) == (0, 1)  # nothing regenerated
    assert (out / files[0]).stat().st_mtime_ns == first
    text = PdfReader(out / files[0]).pages[0].extract_text()
    march = ok(api.get(f"/api/v1/loans/{loan['id']}/statement", **{"from": "2024-03-01", "to": "2024-03-31"}))
    assert f"Closing balance {march['closing_balance']} USD" in text
    (out / files[0]).unlink()  # as if the run had stopped before this one
    assert generate_month(runtime.control_url, api.tenant, month, tmp_path, workers=2) == (1, 0)
    with pytest.raises(DomainError):
        Month.parse("2024-13")
