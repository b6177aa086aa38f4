"""Accounting through HTTP: chart of accounts, journal entries, reversals, closures, statements, CSV, mappings."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from conftest import Api

D = Decimal


def _entry(api: Api, office_id: int, lines: list[dict[str, str]], date: str = "2024-01-10",
           currency: str = "USD", **extra: Any) -> Any:
    return api.post("/api/v1/journal-entries", {"office_id": office_id, "transaction_date": date,
                                                "currency": currency, "lines": lines, **extra})


def _pay(debit: str, credit: str, amount: str) -> list[dict[str, str]]:
    return [{"gl_code": debit, "debit": amount}, {"gl_code": credit, "credit": amount}]


def _tb(api: Api, as_of: str = "2024-12-31", **params: Any) -> dict[str, Any]:
    r = api.get("/api/v1/accounting/trial-balance", as_of=as_of, **params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _rows(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {r["gl_code"]: (r["debit"], r["credit"]) for r in report["rows"]}


def _gl_id(api: Api, code: str) -> int:
    items = api.get("/api/v1/gl-accounts", limit=500).json()["items"]
    return int(next(a["id"] for a in items if a["gl_code"] == code))


def test_new_tenant_has_the_standard_chart(api: Api) -> None:
    items = api.get("/api/v1/gl-accounts", limit=500).json()["items"]
    codes = {a["gl_code"]: a for a in items}
    assert codes["1210"]["type"] == "asset" and codes["1210"]["usage"] == "detail"
    assert codes["1000"]["usage"] == "header"
    assert codes["1210"]["parent_id"] == codes["1200"]["id"]
    assert {"2100", "4100", "4200", "4300", "5100", "5200", "2300", "1900", "3200", "3300"} <= set(codes)
    cash = api.get("/api/v1/gl-accounts", tag="cash").json()["items"]
    assert {a["gl_code"] for a in cash} == {"1110", "1120"}


def test_gl_account_crud_disable_enable_and_tags(api: Api) -> None:
    parent = _gl_id(api, "5000")
    r = api.post("/api/v1/gl-accounts", {"gl_code": "5310", "name": "Rent", "type": "expense", "usage": "detail",
                                         "parent_id": parent, "tags": ["opex"]})
    assert r.status_code == 201, r.text
    account = r.json()
    assert account["parent_id"] == parent and account["tags"] == ["opex"] and account["enabled"] is True
    dup = api.post("/api/v1/gl-accounts", {"gl_code": "5310", "name": "Rent 2", "type": "expense"})
    assert dup.status_code == 409
    wrong_parent = api.post("/api/v1/gl-accounts", {"gl_code": "5320", "name": "X", "type": "asset",
                                                    "parent_id": parent})
    assert wrong_parent.status_code == 422 and wrong_parent.json()["errors"][0]["field"] == "parent_id"
    bad_type = api.post("/api/v1/gl-accounts", {"gl_code": "5330", "name": "X", "type": "stuff"})
    assert bad_type.status_code == 422 and bad_type.json()["errors"][0]["field"] == "type"
    updated = api.put(f"/api/v1/gl-accounts/{account['id']}", {"name": "Office rent", "tags": ["opex", "rent"]})
    assert updated.json()["name"] == "Office rent" and updated.json()["tags"] == ["opex", "rent"]
    assert api.post(f"/api/v1/gl-accounts/{account['id']}/disable").json()["enabled"] is False
    assert api.get(f"/api/v1/gl-accounts/{account['id']}").json()["enabled"] is False
    assert api.post(f"/api/v1/gl-accounts/{account['id']}/enable").json()["enabled"] is True
    assert api.delete(f"/api/v1/gl-accounts/{account['id']}").status_code == 200
    assert api.get(f"/api/v1/gl-accounts/{account['id']}").status_code == 404


def test_journal_entry_posts_and_shows_in_trial_balance(api: Api, head_office: dict[str, Any]) -> None:
    r = _entry(api, head_office["id"], _pay("1210", "1110", "1000.00"), reference="DISB-1")
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["source"] == "manual" and entry["reference"] == "DISB-1"
    assert [(ln["gl_code"], ln["debit"], ln["credit"]) for ln in entry["lines"]] == [
        ("1210", "1000.00", None), ("1110", None, "1000.00")]
    _entry(api, head_office["id"], _pay("1110", "4100", "25.50"), date="2024-02-01")
    tb = _tb(api)
    assert _rows(tb) == {"1110": ("0.00", "974.50"), "1210": ("1000.00", "0.00"), "4100": ("0.00", "25.50")}
    assert tb["total_debit"] == tb["total_credit"] == "1000.00"
    assert tb["currency"] == "USD"
    assert _rows(_tb(api, as_of="2024-01-31")) == {"1110": ("0.00", "1000.00"), "1210": ("1000.00", "0.00")}
    assert api.get(f"/api/v1/journal-entries/{entry['id']}").json() == entry
    listed = api.get("/api/v1/journal-entries", gl_code="4100").json()["items"]
    assert [e["lines"][1]["credit"] for e in listed] == ["25.50"]


@pytest.mark.parametrize(("lines", "field"), [
    (_pay("9999", "1110", "10.00"), "lines.0.gl_code"),            # unknown account
    (_pay("1200", "1110", "10.00"), "lines.0.gl_code"),            # header account
    (_pay("1210", "1110", "0"), "lines.0.debit"),                  # zero
    (_pay("1210", "1110", "-5.00"), "lines.0.debit"),              # negative
    ([{"gl_code": "1210", "debit": "10.00"}, {"gl_code": "1110", "credit": "9.99"}], "lines"),  # unbalanced
    ([{"gl_code": "1210", "debit": "10.00", "credit": "10.00"}, {"gl_code": "1110", "credit": "10.00"}],
     "lines.0"),                                                     # both sides
    ([{"gl_code": "1210", "debit": "10.00", "currency": "KES"}, {"gl_code": "1110", "credit": "10.00"}],
     "lines.0.currency"),                                            # a line in another currency
    (_pay("1210", "1110", "10.001"), "lines.0.debit"),              # below the currency's cent
    ([{"gl_code": "1210", "debit": "10.00"}], "lines"),              # one line
])
def test_bad_journal_entries_are_refused_and_post_nothing(api: Api, head_office: dict[str, Any],
                                                          lines: list[dict[str, str]], field: str) -> None:
    r = _entry(api, head_office["id"], lines)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert any(e["field"] == field for e in r.json()["errors"]), r.json()
    assert api.get("/api/v1/journal-entries").json()["items"] == []
    assert _tb(api)["rows"] == []


def test_disabled_account_unknown_office_and_bad_currency_are_refused(api: Api, head_office: dict[str, Any]) -> None:
    api.post(f"/api/v1/gl-accounts/{_gl_id(api, '1120')}/disable")
    disabled = _entry(api, head_office["id"], _pay("1120", "1110", "10.00"))
    assert disabled.status_code == 422 and disabled.json()["errors"][0]["field"] == "lines.0.gl_code"
    no_office = _entry(api, 99999, _pay("1210", "1110", "10.00"))
    assert no_office.status_code == 422 and no_office.json()["errors"][0]["field"] == "office_id"
    bad_currency = _entry(api, head_office["id"], _pay("1210", "1110", "10.00"), currency="usd")
    assert bad_currency.status_code == 422 and bad_currency.json()["errors"][0]["field"] == "currency"
    future = _entry(api, head_office["id"], _pay("1210", "1110", "10.00"), date="2999-01-01")
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "transaction_date"
    assert api.get("/api/v1/journal-entries").json()["items"] == []


def test_reversal_mirrors_the_entry_once(api: Api, head_office: dict[str, Any]) -> None:
    entry = _entry(api, head_office["id"], _pay("1210", "1110", "300.00")).json()
    r = api.post(f"/api/v1/journal-entries/{entry['id']}/reverse", {"reason": "wrong client"})
    assert r.status_code == 201, r.text
    reversal = r.json()
    assert reversal["reversal_of"] == entry["id"] and reversal["description"] == "wrong client"
    assert [(ln["gl_code"], ln["debit"], ln["credit"]) for ln in reversal["lines"]] == [
        ("1210", None, "300.00"), ("1110", "300.00", None)]
    assert api.get(f"/api/v1/journal-entries/{entry['id']}").json()["reversed_by"] == reversal["id"]
    again = api.post(f"/api/v1/journal-entries/{entry['id']}/reverse")
    assert again.status_code == 409
    assert _tb(api)["rows"] == []
    assert api.post("/api/v1/journal-entries/999999/reverse").status_code == 404


def test_idempotent_journal_entry_posts_once(api: Api, head_office: dict[str, Any]) -> None:
    body = {"office_id": head_office["id"], "transaction_date": "2024-01-10", "currency": "USD",
            "lines": _pay("1210", "1110", "10.00")}
    first = api.post("/api/v1/journal-entries", body, headers={"Idempotency-Key": "je-1"})
    second = api.post("/api/v1/journal-entries", body, headers={"Idempotency-Key": "je-1"})
    assert first.json() == second.json()
    assert _tb(api)["total_debit"] == "10.00"


def test_closures_refuse_postings_and_undo_only_from_latest(api: Api, head_office: dict[str, Any]) -> None:
    office = head_office["id"]
    _entry(api, office, _pay("1210", "1110", "100.00"), date="2024-01-15")
    jan = api.post("/api/v1/accounting/closures", {"office_id": office, "closing_date": "2024-01-31"})
    assert jan.status_code == 201, jan.text
    refused = _entry(api, office, _pay("1210", "1110", "5.00"), date="2024-01-31")
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/accounting-period-closed"
    assert _entry(api, office, _pay("1210", "1110", "5.00"), date="2024-02-01").status_code == 201
    entry_in_jan = api.get("/api/v1/journal-entries", to="2024-01-31").json()["items"][0]
    assert api.post(f"/api/v1/journal-entries/{entry_in_jan['id']}/reverse").status_code == 409
    assert api.post(f"/api/v1/journal-entries/{entry_in_jan['id']}/reverse",
                    {"transaction_date": "2024-02-02"}).status_code == 201
    feb = api.post("/api/v1/accounting/closures", {"office_id": office, "closing_date": "2024-02-29"}).json()
    earlier = api.post("/api/v1/accounting/closures", {"office_id": office, "closing_date": "2024-02-10"})
    assert earlier.status_code == 409
    future = api.post("/api/v1/accounting/closures", {"office_id": office, "closing_date": "2999-01-01"})
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "closing_date"
    assert api.delete(f"/api/v1/accounting/closures/{jan.json()['id']}").status_code == 409
    listed = api.get("/api/v1/accounting/closures", office_id=office).json()["items"]
    assert [c["closing_date"] for c in listed] == ["2024-01-31", "2024-02-29"]
    assert api.delete(f"/api/v1/accounting/closures/{feb['id']}").status_code == 200
    assert _entry(api, office, _pay("1210", "1110", "1.00"), date="2024-02-15").status_code == 201
    assert _tb(api)["total_debit"] == "6.00"  # 100 reversed, 5 + 1 posted


def test_balance_sheet_and_income_statement(api: Api, head_office: dict[str, Any]) -> None:
    office = head_office["id"]
    _entry(api, office, _pay("1110", "3100", "5000.00"), date="2023-06-01")   # capital
    _entry(api, office, _pay("1110", "4100", "200.00"), date="2023-12-01")    # last year's income
    _entry(api, office, _pay("1210", "1110", "1000.00"), date="2024-01-05")   # disbursement
    _entry(api, office, _pay("1110", "4100", "80.00"), date="2024-02-01")     # interest
    _entry(api, office, _pay("5300", "1110", "30.00"), date="2024-02-10")     # expense
    _entry(api, office, _pay("1110", "2100", "400.00"), date="2024-02-11")    # deposit
    bs = api.get("/api/v1/accounting/balance-sheet", as_of="2024-03-31").json()
    assert bs["total_assets"] == "5650.00"
    assert bs["liabilities"]["total"] == "400.00" and bs["equity"]["total"] == "5000.00"
    assert bs["prior_years_result"] == "200.00" and bs["current_year_result"] == "50.00"
    assert bs["total_liabilities_and_equity"] == bs["total_assets"] and bs["balanced"] is True
    assert {r["gl_code"]: r["amount"] for r in bs["assets"]["rows"]} == {"1110": "4650.00", "1210": "1000.00"}
    inc = api.get("/api/v1/accounting/income-statement", **{"from": "2024-01-01", "to": "2024-12-31"}).json()
    assert inc["income"]["total"] == "80.00" and inc["expenses"]["total"] == "30.00"
    assert inc["net_result"] == "50.00"
    assert api.get("/api/v1/accounting/income-statement",
                   **{"from": "2024-02-01", "to": "2024-01-01"}).status_code == 422


def test_general_ledger_running_balance_and_csv(api: Api, head_office: dict[str, Any]) -> None:
    office = head_office["id"]
    _entry(api, office, _pay("1110", "3100", "1000.00"), date="2024-01-01")
    _entry(api, office, _pay("1210", "1110", "300.00"), date="2024-01-05", reference="L-1")
    _entry(api, office, _pay("1110", "1210", "50.00"), date="2024-01-20")
    gl = api.get("/api/v1/accounting/general-ledger", gl_code="1110", **{"from": "2024-01-02", "to": "2024-01-31"})
    assert gl.status_code == 200, gl.text
    body = gl.json()
    assert body["opening_balance"] == "1000.00"
    assert [(ln["debit"], ln["credit"], ln["balance"]) for ln in body["lines"]] == [
        ("0.00", "300.00", "700.00"), ("50.00", "0.00", "750.00")]
    assert body["closing_balance"] == "750.00"
    csv_r = api.get("/api/v1/accounting/general-ledger", gl_code="1110", format="csv",
                    **{"from": "2024-01-02", "to": "2024-01-31"})
    assert csv_r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_r.text)))
    assert rows[1][-1] == "1000.00" and rows[2][2] == "L-1" and rows[-1][-1] == "750.00"
    missing = api.get("/api/v1/accounting/general-ledger", gl_code="nope", **{"from": "2024-01-01", "to": "2024-01-31"})
    assert missing.status_code == 404


def test_statement_csv_exports(api: Api, head_office: dict[str, Any]) -> None:
    _entry(api, head_office["id"], _pay("1110", "4100", "12.00"))
    tb = list(csv.reader(io.StringIO(api.get("/api/v1/accounting/trial-balance", as_of="2024-12-31",
                                             format="csv").text)))
    assert tb[0] == ["gl_code", "name", "type", "debit", "credit"] and tb[-1][3:] == ["12.00", "12.00"]
    bs = api.get("/api/v1/accounting/balance-sheet", as_of="2024-12-31", format="csv").text
    assert "Current year result,12.00" in bs
    inc = api.get("/api/v1/accounting/income-statement", format="csv", **{"from": "2024-01-01", "to": "2024-12-31"})
    assert inc.text.strip().splitlines()[-1] == ",,Net result,12.00"


def test_reports_per_office_and_consolidated(api: Api, head_office: dict[str, Any]) -> None:
    head = head_office["id"]
    branch = api.post("/api/v1/offices", {"name": "Branch", "opening_date": "2021-01-01", "parent_id": head}).json()
    _entry(api, head, _pay("1110", "3100", "100.00"))
    _entry(api, branch["id"], _pay("1110", "3100", "40.00"))
    assert _tb(api)["total_debit"] == "140.00"
    assert _tb(api, office_id=head)["total_debit"] == "140.00"
    assert _tb(api, office_id=head, consolidated="false")["total_debit"] == "100.00"
    assert _tb(api, office_id=branch["id"])["total_debit"] == "40.00"
    assert api.get("/api/v1/accounting/trial-balance", as_of="2024-12-31", office_id=9999).status_code == 404


def test_multi_currency_statements_are_per_currency(api: Api, head_office: dict[str, Any]) -> None:
    _entry(api, head_office["id"], _pay("1110", "3100", "100.00"))
    _entry(api, head_office["id"], _pay("1110", "3100", "1500"), currency="UGX")
    usd = _tb(api, currency="USD")
    ugx = _tb(api, currency="UGX")
    assert usd["total_debit"] == "100.00" and ugx["total_debit"] == "1500"
    assert usd["currencies"] == ["UGX", "USD"]


def test_opening_balances_are_balanced_by_the_contra_account(api: Api, head_office: dict[str, Any]) -> None:
    r = api.post("/api/v1/accounting/opening-balances", {
        "office_id": head_office["id"], "transaction_date": "2023-12-31", "currency": "USD",
        "lines": [{"gl_code": "1110", "debit": "700.00"}, {"gl_code": "1210", "debit": "2000.00"},
                  {"gl_code": "2100", "credit": "1500.00"}]})
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["source"] == "opening_balance"
    assert entry["lines"][-1] == {**entry["lines"][-1], "gl_code": "3300", "credit": "1200.00"}
    assert _rows(_tb(api))["3300"] == ("0.00", "1200.00")
    bad = api.post("/api/v1/accounting/opening-balances", {
        "office_id": head_office["id"], "transaction_date": "2023-12-31", "currency": "USD",
        "lines": [{"gl_code": "1000", "debit": "1.00"}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "lines.0.gl_code"


def test_product_and_activity_mappings(api: Api) -> None:
    defaults = api.get("/api/v1/accounting/product-mappings/defaults", product_type="loan",
                       accounting_rule="accrual_periodic").json()["mapping"]
    assert defaults["loan_portfolio"] == "1210" and defaults["interest_receivable"] == "1220"
    r = api.put("/api/v1/accounting/product-mappings/loan/7", {"mapping": {**defaults, "fund_source": "1120"}})
    assert r.status_code == 200, r.text
    got = api.get("/api/v1/accounting/product-mappings/loan/7").json()["mapping"]
    assert got["fund_source"] == "1120" and got["interest_income"] == "4100"
    bad = api.put("/api/v1/accounting/product-mappings/loan/7", {"mapping": {"fund_source": "nope"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "mapping.fund_source"
    header = api.put("/api/v1/accounting/product-mappings/loan/7", {"mapping": {"fund_source": "1100"}})
    assert header.status_code == 422
    assert api.get("/api/v1/accounting/product-mappings/loan/7").json()["mapping"]["fund_source"] == "1120"
    activities = {a["activity"]: a["gl_code"] for a in
                  api.get("/api/v1/accounting/financial-activity-mappings").json()["items"]}
    assert activities["opening_balance_contra"] == "3300"
    moved = api.put("/api/v1/accounting/financial-activity-mappings/opening_balance_contra", {"gl_code": "3200"})
    assert moved.status_code == 200
