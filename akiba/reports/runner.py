"""Running a report: on the tenant's read replica when it has one, read-only, rows streamed from a server cursor."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from akiba.accounting.currencies import currency_digits
from akiba.core.errors import DomainError, invalid
from akiba.core.money import money_str
from akiba.platform.db import engine_for
from akiba.platform.tenancy import TenantInfo
from akiba.reports.registry import Report

FETCH_ROWS = 2000  # rows per round trip of the server-side cursor: memory is bounded by this, not by the result
STATEMENT_TIMEOUT = "900s"  # a month-end report may be long, but never holds a replica connection forever


def source_url(tenant: TenantInfo) -> str:
    """Reports read from the replica named in the tenant registry, or from the primary when there is none."""
    return tenant.replica_url or tenant.shard_url


@contextmanager
def report_session(tenant: TenantInfo) -> Iterator[Session]:
    """A read-only transaction on the tenant's schema (search_path is set by the platform's session hook)."""
    with Session(engine_for(source_url(tenant)), info={"schema": tenant.schema}) as s:
        try:
            # Read-only even on the primary: a reviewed report cannot write, and a bug in one cannot either.
            s.execute(text("SET TRANSACTION READ ONLY"))
            s.execute(text("SELECT set_config('statement_timeout', :t, true)"), {"t": STATEMENT_TIMEOUT})
            yield s
        finally:
            s.rollback()


def missing_tables(s: Session, report: Report) -> list[str]:
    if not report.needs:
        return []
    rows = s.execute(text("SELECT t, to_regclass(t) IS NULL FROM unnest(CAST(:names AS text[])) AS t"),
                     {"names": list(report.needs)})
    return [name for name, missing in rows if missing]


def check_available(s: Session, report: Report) -> None:
    missing = missing_tables(s, report)
    if missing:
        raise DomainError("report-unavailable", f"report {report.name} needs {', '.join(missing)}, not installed",
                          status=409)


def check_office(s: Session, params: dict[str, Any]) -> None:
    office_id = params.get("office_id")
    if office_id is not None and s.execute(text("SELECT 1 FROM offices WHERE id = :id"), {"id": office_id}).first() \
            is None:
        raise invalid("office_id", f"office {office_id} does not exist")


def stream_rows(s: Session, tenant: TenantInfo, report: Report, params: dict[str, Any], offset: int = 0,
                limit: int | None = None) -> Iterator[Sequence[Any]]:
    """The report's rows, fetched FETCH_ROWS at a time through a server-side cursor (never fetchall)."""
    if report.rows is not None:
        rows: Iterator[Sequence[Any]] = report.rows(s, tenant, params)
        for n, row in enumerate(rows):
            if n < offset:
                continue
            if limit is not None and n >= offset + limit:
                return
            yield row
        return
    assert report.sql is not None
    sql = report.sql
    bound = dict(params)
    if limit is not None:
        # The page is cut in the database; every report ends with its ORDER BY, which makes pages stable.
        sql += "\nOFFSET :_offset LIMIT :_limit"
        bound |= {"_offset": offset, "_limit": limit}
    conn = s.connection().execution_options(stream_results=True, max_row_buffer=FETCH_ROWS, yield_per=FETCH_ROWS)
    result = conn.execute(text(sql), bound)
    try:
        for partition in result.partitions(FETCH_ROWS):
            yield from partition
    finally:
        result.close()


def cell(value: Any, kind: str, currency: str | None) -> Any:
    """One value in the API's spelling: money as a decimal string with its currency's digits, dates ISO."""
    if value is None:
        return None
    if kind == "money" and isinstance(value, Decimal):
        return money_str(value, currency_digits(currency) if currency else 2)
    if kind == "percent" and isinstance(value, Decimal):
        return money_str(value, 2)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def formatter(report: Report) -> Any:
    kinds = [c.kind for c in report.columns]
    names = [c.name for c in report.columns]
    currency_at = names.index("currency") if "currency" in names else None

    def fmt(row: Sequence[Any]) -> list[Any]:
        currency = row[currency_at] if currency_at is not None else None
        return [cell(v, k, currency) for v, k in zip(row, kinds, strict=True)]

    return fmt
