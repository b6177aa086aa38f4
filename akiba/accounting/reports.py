"""Trial balance, balance sheet, income statement and general ledger as JSON-able dicts and CSV rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from akiba.accounting import queries
from akiba.accounting.currencies import currency_digits
from akiba.accounting.statements import (
    Section,
    balance_sheet,
    income_statement,
    normal_balance,
    running_balance,
    trial_balance,
)
from akiba.core.errors import invalid
from akiba.core.money import money_str
from akiba.org.service import subtree_ids
from akiba.platform.tenancy import TenantInfo


@dataclass(frozen=True)
class Scope:
    """Which offices and currency a report covers: one office, an office and all below it, or every office."""

    currency: str
    office_id: int | None
    consolidated: bool
    office_ids: Sequence[int] | None

    def header(self) -> dict[str, Any]:
        return {"currency": self.currency, "office_id": self.office_id, "consolidated": self.consolidated}


def scope(s: Session, tenant: TenantInfo, currency: str | None, office_id: int | None, consolidated: bool) -> Scope:
    if office_id is None:
        office_ids = None
    elif consolidated:
        office_ids = subtree_ids(s, office_id)
    else:
        subtree_ids(s, office_id)  # 404 for an unknown office
        office_ids = [office_id]
    return Scope(currency or queries.default_currency(s, tenant), office_id, consolidated, office_ids)


def _m(amount: Decimal, sc: Scope) -> str:
    return money_str(amount, currency_digits(sc.currency))


def trial_balance_report(s: Session, sc: Scope, as_of: date) -> dict[str, Any]:
    tb = trial_balance(queries.account_totals(s, currency=sc.currency, to=as_of, office_ids=sc.office_ids))
    return {
        "as_of": as_of, **sc.header(),
        "rows": [{"gl_code": r.gl_code, "name": r.name, "type": r.type, "debit": _m(r.debit, sc),
                  "credit": _m(r.credit, sc)} for r in tb.rows],
        "total_debit": _m(tb.total_debit, sc), "total_credit": _m(tb.total_credit, sc),
        "currencies": queries.ledger_currencies(s),
    }


def _section_view(section: Section, sc: Scope) -> dict[str, Any]:
    return {"rows": [{"gl_code": r.gl_code, "name": r.name, "amount": _m(r.amount, sc)} for r in section.rows],
            "total": _m(section.total, sc)}


def balance_sheet_report(s: Session, sc: Scope, as_of: date) -> dict[str, Any]:
    # Prior years end the day before 1 January; in year 1 there are none (date.min has no day before it).
    prior_end = date(as_of.year, 1, 1) - timedelta(days=1) if as_of.year > 1 else None
    prior = (queries.account_totals(s, currency=sc.currency, to=prior_end, office_ids=sc.office_ids)
             if prior_end else [])
    bs = balance_sheet(queries.account_totals(s, currency=sc.currency, to=as_of, office_ids=sc.office_ids), prior)
    return {
        "as_of": as_of, **sc.header(),
        "assets": _section_view(bs.assets, sc),
        "liabilities": _section_view(bs.liabilities, sc),
        "equity": _section_view(bs.equity, sc),
        "prior_years_result": _m(bs.prior_years_result, sc),
        "current_year_result": _m(bs.current_year_result, sc),
        "current_result": _m(bs.prior_years_result + bs.current_year_result, sc),
        "total_assets": _m(bs.assets.total, sc),
        "total_liabilities_and_equity": _m(bs.total_liabilities_and_equity, sc),
        "balanced": bs.balanced,
    }


def income_statement_report(s: Session, sc: Scope, since: date, to: date) -> dict[str, Any]:
    if since > to:
        raise invalid("from", "must not be after to")
    ist = income_statement(queries.account_totals(s, currency=sc.currency, since=since, to=to,
                                                  office_ids=sc.office_ids))
    return {"from": since, "to": to, **sc.header(), "income": _section_view(ist.income, sc),
            "expenses": _section_view(ist.expenses, sc), "net_result": _m(ist.net_result, sc)}


def general_ledger_report(s: Session, sc: Scope, gl_code: str, since: date, to: date) -> Iterator[dict[str, Any]]:
    """The header first (account, opening balance), then one dict per line with the running balance, lazily."""
    if since > to:
        raise invalid("from", "must not be after to")
    account = queries.account_by_code(s, gl_code)
    debit, credit = queries.opening_balance(s, account, currency=sc.currency, before=since, office_ids=sc.office_ids)
    opening = normal_balance(account.type, debit, credit)
    yield {"gl_code": account.gl_code, "name": account.name, "type": account.type, "from": since, "to": to,
           **sc.header(), "opening_balance": _m(opening, sc)}
    lines = queries.ledger_lines(s, account, currency=sc.currency, since=since, to=to, office_ids=sc.office_ids)
    for row in running_balance(account.type, opening, lines):
        ln = row.line
        yield {"transaction_date": ln.transaction_date, "entry_id": ln.entry_id, "reference": ln.reference,
               "description": ln.description, "debit": _m(ln.debit, sc), "credit": _m(ln.credit, sc),
               "balance": _m(row.balance, sc)}


# --- CSV shapes ---------------------------------------------------------------------------------------------------

def trial_balance_csv(report: dict[str, Any]) -> Iterator[list[Any]]:
    yield ["gl_code", "name", "type", "debit", "credit"]
    for r in report["rows"]:
        yield [r["gl_code"], r["name"], r["type"], r["debit"], r["credit"]]
    yield ["", "Total", "", report["total_debit"], report["total_credit"]]


def _sections_csv(report: dict[str, Any], names: Sequence[str]) -> Iterator[list[Any]]:
    yield ["section", "gl_code", "name", "amount"]
    for name in names:
        for r in report[name]["rows"]:
            yield [name, r["gl_code"], r["name"], r["amount"]]
        yield [name, "", f"Total {name}", report[name]["total"]]


def balance_sheet_csv(report: dict[str, Any]) -> Iterator[list[Any]]:
    yield from _sections_csv(report, ["assets", "liabilities", "equity"])
    yield ["equity", "", "Prior years' result", report["prior_years_result"]]
    yield ["equity", "", "Current year result", report["current_year_result"]]
    yield ["", "", "Total liabilities and equity", report["total_liabilities_and_equity"]]


def income_statement_csv(report: dict[str, Any]) -> Iterator[list[Any]]:
    yield from _sections_csv(report, ["income", "expenses"])
    yield ["", "", "Net result", report["net_result"]]


def general_ledger_csv(rows: Iterator[dict[str, Any]]) -> Iterator[list[Any]]:
    header = next(rows)
    yield ["transaction_date", "entry_id", "reference", "description", "debit", "credit", "balance"]
    yield [header["from"], "", "", "Opening balance", "", "", header["opening_balance"]]
    for r in rows:
        yield [r["transaction_date"], r["entry_id"], r["reference"] or "", r["description"], r["debit"], r["credit"],
               r["balance"]]
