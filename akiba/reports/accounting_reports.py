"""The accounting statements in the report catalogue, computed by the accounting feature's own queries.

Imported lazily: the catalogue lists them only when the accounting feature is installed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session

from akiba.platform.tenancy import TenantInfo
from akiba.reports.registry import Column, Param, Report, as_of_param, office_param, period_params, register

LEDGER = ("gl_accounts", "journal_entries", "journal_lines")
CURRENCY = Param("currency", "str", "Currency (the base currency when absent)")


def _scope(s: Session, tenant: TenantInfo, params: dict[str, Any]) -> Any:
    from akiba.accounting import reports

    return reports.scope(s, tenant, params.get("currency"), params.get("office_id"), True)


def _without_header(rows: Iterator[list[Any]]) -> Iterator[Sequence[Any]]:
    next(rows)
    yield from rows


def trial_balance_rows(s: Session, tenant: TenantInfo, params: dict[str, Any]) -> Iterator[Sequence[Any]]:
    from akiba.accounting import reports

    report = reports.trial_balance_report(s, _scope(s, tenant, params), params["as_of"])
    return _without_header(reports.trial_balance_csv(report))


def balance_sheet_rows(s: Session, tenant: TenantInfo, params: dict[str, Any]) -> Iterator[Sequence[Any]]:
    from akiba.accounting import reports

    report = reports.balance_sheet_report(s, _scope(s, tenant, params), params["as_of"])
    return _without_header(reports.balance_sheet_csv(report))


def income_statement_rows(s: Session, tenant: TenantInfo, params: dict[str, Any]) -> Iterator[Sequence[Any]]:
    from akiba.accounting import reports

    report = reports.income_statement_report(s, _scope(s, tenant, params), params["from"], params["to"])
    return _without_header(reports.income_statement_csv(report))


SECTION_COLUMNS = (Column("section"), Column("gl_code"), Column("name"), Column("amount", "money"))

register(Report(
    name="trial-balance", title="Trial balance", params=(as_of_param(), office_param(), CURRENCY),
    columns=(Column("gl_code"), Column("name"), Column("type"), Column("debit", "money"), Column("credit", "money")),
    needs=LEDGER, rows=trial_balance_rows,
))
register(Report(
    name="balance-sheet", title="Balance sheet", params=(as_of_param(), office_param(), CURRENCY),
    columns=SECTION_COLUMNS, needs=LEDGER, rows=balance_sheet_rows,
))
register(Report(
    name="income-statement", title="Income statement", params=(*period_params(), office_param(), CURRENCY),
    columns=SECTION_COLUMNS, needs=LEDGER, rows=income_statement_rows,
))
