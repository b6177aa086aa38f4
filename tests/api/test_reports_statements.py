"""Loan and savings statements: running balance, charges, rates, CSV and a PDF that opens and shows the closing."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import Api
from loan_factories import active_loan, make_client, make_office, make_product, ok, repay, set_business_date
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


def _replayed(st: dict[str, Any]) -> Decimal:
    """Walk the movements: each running balance is the one before plus debit minus credit."""
    balance = Decimal(st["opening_balance"])
    for m in st["movements"]:
        balance += Decimal(m["debit"]) - Decimal(m["credit"])
        assert Decimal(m["balance"]) == balance, m
    assert Decimal(st["closing_balance"]) == balance
    return balance


def _owed_as_of(loan: dict[str, Any]) -> Decimal:
    """What GET /loans/{id} says is owed at its business date: all principal left, and the interest, fees and
    penalties of the installments due before that date (the summary's overdue amounts)."""
    summary = loan["summary"]
    return (Decimal(summary["principal_outstanding"]) + Decimal(summary["interest_overdue"])
            + Decimal(summary["fees_overdue"]) + Decimal(summary["penalties_overdue"]))


def test_loan_statement_runs_on_the_total_owed(api: Api, runtime: Runtime, loan: dict[str, Any],
                                               settings_set: dict[str, Any]) -> None:
    st = ok(api.get(f"/api/v1/loans/{loan['id']}/statement", **{"from": "2024-01-01", "to": "2024-12-31"}))
    assert st["institution"]["institution_name"] == "Akiba Microfinanzas S.A."
    assert st["opening_balance"] == "0.00"
    moves = st["movements"]
    # 1000 out; the 2% processing fee (20.00) charged and withheld at once; then each month 1% interest on
    # the principal left and the 1.00 service fee fall due: 10.00 on 921.15 + 78.85, 9.21 on 921.15, 8.42 on 841.51
    assert [(m["date"], m["debit"], m["credit"], m["balance"]) for m in moves[:12]] == [
        ("2024-01-01", "1000.00", "0.00", "1000.00"), ("2024-01-01", "20.00", "0.00", "1020.00"),
        ("2024-01-01", "0.00", "20.00", "1000.00"),
        ("2024-02-01", "10.00", "0.00", "1010.00"), ("2024-02-01", "1.00", "0.00", "1011.00"),
        ("2024-02-01", "0.00", "89.85", "921.15"),
        ("2024-03-01", "9.21", "0.00", "930.36"), ("2024-03-01", "1.00", "0.00", "931.36"),
        ("2024-03-01", "0.00", "89.85", "841.51"),
        ("2024-04-01", "8.42", "0.00", "849.93"), ("2024-04-01", "1.00", "0.00", "850.93"),
        ("2024-04-01", "0.00", "89.85", "761.08")]
    assert moves[3]["description"] == "Interest due, installment 1"
    assert moves[5]["principal_balance"] == "921.15" and moves[11]["principal_balance"] == "761.08"
    assert _replayed(st) == Decimal(st["closing_balance"])
    # May to December: installments 4 to 11 fall due unpaid, so their interest and fees are owed on top
    periods = loan["schedule"]["periods"]
    unpaid = sum((Decimal(p["interest"]) + Decimal(p["fees"]) for p in periods[3:11]), Decimal(0))
    assert Decimal(st["closing_balance"]) == Decimal("761.08") + unpaid
    assert st["closing_principal_balance"] == loan["summary"]["principal_outstanding"] == "761.08"
    set_business_date(runtime, api.tenant, date(2025, 1, 1))  # GET /loans as of the day after the period
    assert Decimal(st["closing_balance"]) == _owed_as_of(ok(api.get(f"/api/v1/loans/{loan['id']}")))
    # interest and fees that fell due in 2024: installments Feb 1 .. Dec 1 (the 12th is due 2025-01-01)
    assert st["charges"]["fees_charged"] == "31.00"  # 20.00 up front + 11 x 1.00
    assert Decimal(st["charges"]["interest_charged"]) == sum(Decimal(p["interest"]) for p in periods[:11])
    assert Decimal(st["charges"]["interest_paid"]) == Decimal("27.63")  # 10.00 + 9.21 + 8.42
    assert st["charges"]["principal_paid"] == "238.92"  # 1000.00 - 761.08
    assert st["nominal_annual_rate"] == "12.00"
    # 2% withheld and 1.00 a month on top of 1% a month: the annual cost is well above 12.68%
    assert Decimal("17") < Decimal(st["effective_annual_rate"]) < Decimal("22")
    assert "Quejas" in st["institution"]["complaints_contact"]


def test_loan_statement_of_a_known_month(api: Api, runtime: Runtime) -> None:
    """March 2024 of a loan with a late part-payment, a penalty charged and waived and a reversed repayment."""
    office = make_office(api)
    product = make_product(api, name="Fees", short_name="FEE", charges=[
        {"name": "Processing", "charge_time": "disbursement", "calculation": "percent_of_amount", "amount": "2"},
        {"name": "Service", "charge_time": "installment", "calculation": "flat", "amount": "1.00"}])
    loan_id = active_loan(api, make_client(api, office), product["id"])["id"]
    repay(api, loan_id, "89.85", "2024-02-01")  # installment 1 in full: principal 1000.00 -> 921.15
    part = repay(api, loan_id, "5.00", "2024-03-10")  # installment 2 (due 03-01) late: fee first, then interest
    assert (part["fees"], part["interest"], part["principal"]) == ("1.00", "4.00", "0.00")
    charge = ok(api.post(f"/api/v1/loans/{loan_id}/charges", {"name": "Field visit", "amount": "5.00",
                                                             "due_date": "2024-03-12", "penalty": True}), 201)
    ok(api.post(f"/api/v1/loans/{loan_id}/waive-charge", {"charge_id": charge["id"],
                                                         "transaction_date": "2024-03-18"}), 201)
    wrong = repay(api, loan_id, "30.00", "2024-03-20")
    set_business_date(runtime, api.tenant, date(2024, 3, 25))
    ok(api.post(f"/api/v1/loans/{loan_id}/transactions/{wrong['id']}/undo", {"note": "bounced"}))
    st = ok(api.get(f"/api/v1/loans/{loan_id}/statement", **{"from": "2024-03-01", "to": "2024-03-31"}))
    assert st["opening_balance"] == st["opening_principal_balance"] == "921.15"
    assert [(m["date"], m["debit"], m["credit"], m["balance"]) for m in st["movements"]] == [
        ("2024-03-01", "9.21", "0.00", "930.36"),  # interest of installment 2: 921.15 x 1%
        ("2024-03-01", "1.00", "0.00", "931.36"),  # its service fee
        ("2024-03-10", "0.00", "5.00", "926.36"),  # 1.00 fee + 4.00 interest: 5.21 interest still owed
        ("2024-03-12", "5.00", "0.00", "931.36"),  # the penalty
        ("2024-03-18", "0.00", "5.00", "926.36"),  # waived
        ("2024-03-20", "0.00", "30.00", "896.36"),  # booked, then reversed on the 25th
        ("2024-03-25", "30.00", "0.00", "926.36")]
    descriptions = [m["description"] for m in st["movements"]]
    assert descriptions[3] == "Penalties charged: Field visit" and descriptions[4] == "Charge waived"
    assert descriptions[5] == "Repayment (reversed later)" and descriptions[6] == f"Reversal of T{wrong['id']}"
    assert st["closing_balance"] == "926.36" and st["closing_principal_balance"] == "921.15"
    assert {k: st["charges"][k] for k in ("interest_charged", "fees_charged", "penalties_charged", "interest_paid",
                                           "fees_paid", "penalties_waived", "principal_paid")} == {
        "interest_charged": "9.21", "fees_charged": "1.00", "penalties_charged": "5.00", "interest_paid": "4.00",
        "fees_paid": "1.00", "penalties_waived": "5.00", "principal_paid": "0.00"}
    _replayed(st)
    set_business_date(runtime, api.tenant, date(2024, 4, 1))
    loan = ok(api.get(f"/api/v1/loans/{loan_id}"))
    assert loan["summary"]["interest_overdue"] == "5.21"
    assert Decimal(st["closing_balance"]) == _owed_as_of(loan)  # 921.15 + 5.21
    r = api.get(f"/api/v1/loans/{loan_id}/statement", format="csv", **{"from": "2024-03-01", "to": "2024-03-31"})
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][-1] == "principal_balance" and len(rows) == len(st["movements"]) + 3
    assert [row[3:6] for row in rows[1:-1]] == [["", "", "921.15"]] + [
        [m["debit"], m["credit"], m["balance"]] for m in st["movements"]]
    assert rows[-1][1:] == ["Closing balance", "", "", "", "926.36", "921.15"]
    r = api.get(f"/api/v1/loans/{loan_id}/statement", format="pdf", **{"from": "2024-03-01", "to": "2024-03-31"})
    text = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    assert "Closing balance 926.36 USD" in text and "Field visit" in text and "921.15 / 921.15 USD" in text


def test_a_payoff_charges_only_the_interest_earned_and_a_write_off_ends_at_zero(api: Api,
                                                                                  runtime: Runtime) -> None:
    office = make_office(api)
    product = make_product(api)
    client = make_client(api, office)
    paid_off = active_loan(api, client, product["id"])["id"]
    repay(api, paid_off, "88.85", "2024-02-01")
    quote = ok(api.get(f"/api/v1/loans/{paid_off}/payoff", date="2024-02-15"))
    # 921.15 left; installment 2 runs 02-01 .. 03-01 (29 days): 14 days of its 9.21 are earned, 9.21 x 14/29
    assert (quote["principal"], quote["interest"], quote["total"]) == ("921.15", "4.45", "925.60")
    ok(api.post(f"/api/v1/loans/{paid_off}/prepay", {"transaction_date": "2024-02-15"}), 201)
    st = ok(api.get(f"/api/v1/loans/{paid_off}/statement", **{"from": "2024-02-02", "to": "2025-12-31"}))
    assert [(m["date"], m["debit"], m["credit"], m["balance"]) for m in st["movements"]] == [
        ("2024-02-15", "4.45", "0.00", "925.60"), ("2024-02-15", "0.00", "925.60", "0.00")]
    assert st["movements"][0]["description"] == "Interest charged (settled before due)"
    assert "unearned interest not charged" in st["movements"][1]["description"]
    assert st["charges"]["interest_charged"] == "4.45" and st["closing_balance"] == "0.00"

    written = active_loan(api, client, product["id"])["id"]
    repay(api, written, "88.85", "2024-02-01")
    set_business_date(runtime, api.tenant, date(2024, 3, 15))
    ok(api.post(f"/api/v1/loans/{written}/write-off", {"transaction_date": "2024-03-15"}), 201)
    st = ok(api.get(f"/api/v1/loans/{written}/statement", **{"from": "2024-03-01", "to": "2024-12-31"}))
    # 03-01: 9.21 interest falls due on 921.15; 03-15 the 930.36 owed is written off; nothing is charged after
    assert [(m["date"], m["debit"], m["credit"], m["balance"]) for m in st["movements"]] == [
        ("2024-03-01", "9.21", "0.00", "930.36"), ("2024-03-15", "0.00", "930.36", "0.00")]
    assert st["charges"]["written_off"] == "930.36" and st["closing_principal_balance"] == "0.00"
    loan = ok(api.get(f"/api/v1/loans/{written}"))
    assert loan["status"] == "written_off" and loan["summary"]["total_outstanding"] == st["closing_balance"]


def test_a_later_period_opens_where_the_earlier_one_closed(api: Api, loan: dict[str, Any]) -> None:
    first = ok(api.get(f"/api/v1/loans/{loan['id']}/statement", **{"from": "2024-01-01", "to": "2024-02-29"}))
    second = ok(api.get(f"/api/v1/loans/{loan['id']}/statement", **{"from": "2024-03-01", "to": "2024-12-31"}))
    whole = ok(api.get(f"/api/v1/loans/{loan['id']}/statement", **{"from": "2024-01-01", "to": "2024-12-31"}))
    assert second["opening_balance"] == first["closing_balance"] == "921.15"
    assert second["opening_principal_balance"] == first["closing_principal_balance"] == "921.15"
    assert len(first["movements"]) == 6 and len(second["movements"]) == 6 + 8 * 2
    assert second["closing_balance"] == whole["closing_balance"]


def test_loan_statement_csv_and_pdf(api: Api, loan: dict[str, Any], settings_set: dict[str, Any]) -> None:
    params = {"from": "2024-01-01", "to": "2024-12-31"}
    st = ok(api.get(f"/api/v1/loans/{loan['id']}/statement", **params))
    r = api.get(f"/api/v1/loans/{loan['id']}/statement", format="csv", **params)
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["date", "description", "reference", "debit", "credit", "balance", "principal_balance"]
    assert rows[-1][1:] == ["Closing balance", "", "", "", st["closing_balance"], "761.08"]
    r = api.get(f"/api/v1/loans/{loan['id']}/statement", format="pdf", **params)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert f"Closing balance {st['closing_balance']} USD" in text
    assert "Akiba Microfinanzas S.A." in text and "Quejas: une@akiba.example" in text
    assert "Total annual cost (CAT)" in text and "Interest charged in the period" in text


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
