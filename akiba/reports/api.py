"""Report, regional report and statement endpoints (thin: parse, check permission, run, stream)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response, StreamingResponse

from akiba.core.errors import DomainError
from akiba.platform.commands import execute
from akiba.platform.context import IdemKey, Principal, PrincipalDep, allowed, require, runtime
from akiba.platform.provisioning import business_date
from akiba.reports import runs, service
from akiba.reports.catalogue import REPORTS
from akiba.reports.exports import csv_stream, file_stream, xlsx_file
from akiba.reports.pdf import statement_pdf
from akiba.reports.registry import Report, get_report
from akiba.reports.runner import check_available, check_office, formatter, report_session, stream_rows
from akiba.reports.statements import Statement, check_period, loan_statement, savings_statement

router = APIRouter(prefix="/api/v1", tags=["reports"])
Format = Literal["json", "csv", "xlsx"]
CONTROL_PARAMS = ("format", "limit", "cursor")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

for _report in REPORTS.values():
    allowed(_report.permission)  # so roles can be given single reports


def _may_read_reports(who: Principal) -> None:
    """Callers without any report permission learn nothing, not even which report names exist."""
    if not (who.can("reports:read") or any(who.can(r.permission) for r in REPORTS.values())):
        raise DomainError("forbidden", "this call needs reports:read or the permission of a report", status=403)


def _may_run(who: Principal, report: Report) -> None:
    if not who.can(report.permission):
        raise DomainError("forbidden", f"this report needs the permission {report.permission}", status=403)


def _report_query(request: Request, drop: tuple[str, ...] = CONTROL_PARAMS) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in drop}


def _attachment(name: str, extension: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}.{extension}"'}


@router.get("/reports")
def list_reports(who: PrincipalDep) -> dict[str, Any]:
    """The catalogue: the reports this caller may run, with their typed parameters."""
    _may_read_reports(who)
    items = [r.describe() for r in sorted(REPORTS.values(), key=lambda r: r.name) if who.can(r.permission)]
    return {"items": items}


@router.get("/reports/{name}", responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def run_report(request: Request, name: str, who: PrincipalDep, format: Format = "json",
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               cursor: Annotated[int, Query(ge=0)] = 0) -> Response:
    _may_read_reports(who)
    report = get_report(name)
    _may_run(who, report)
    query = _report_query(request)
    stack = ExitStack()
    try:
        s = stack.enter_context(report_session(who.tenant))
        check_available(s, report)
        params = report.parse_params(query, lambda: business_date(s))
        check_office(s, params)
        if format == "json":
            return _json_page(s, who, report, params, limit, cursor)
        if format == "xlsx":
            path = xlsx_file(report.title, [c.name for c in report.columns],
                             map(formatter(report), stream_rows(s, who.tenant, report, params)))
            stack.close()
            return StreamingResponse(file_stream(path), media_type=XLSX, headers=_attachment(report.name, "xlsx"))
    except BaseException:
        stack.close()
        raise
    rows = map(formatter(report), stream_rows(s, who.tenant, report, params))
    body = _closing(csv_stream([c.name for c in report.columns], rows), stack)
    return StreamingResponse(body, media_type="text/csv; charset=utf-8", headers=_attachment(report.name, "csv"))


def _closing(chunks: Iterator[bytes], stack: ExitStack) -> Iterator[bytes]:
    """Stream the chunks and end the read transaction when done (or when the client goes away)."""
    try:
        yield from chunks
    finally:
        stack.close()


def _json_page(s: Any, who: Principal, report: Report, params: dict[str, Any], limit: int,
               cursor: int) -> JSONResponse:
    fmt = formatter(report)
    rows = [fmt(r) for r in stream_rows(s, who.tenant, report, params, offset=cursor, limit=limit + 1)]
    more = len(rows) > limit
    return JSONResponse(jsonable_encoder({
        "report": report.name, "parameters": params, "columns": [c.name for c in report.columns],
        "rows": rows[:limit], "next_cursor": cursor + limit if more else None,
    }))


# --- regional aggregation -----------------------------------------------------------------------------------------

@router.get("/platform/reports/{name}", tags=["platform"])
def run_regional_report(request: Request, name: str,
                        tenants: Annotated[str, Query(min_length=2, max_length=10_000)],
                        format: Literal["json", "csv"] = "json",
                        who: Principal = require(service.REGIONAL_PERMISSION)) -> Response:
    """One report over several tenants (each granted the caller's tenant), per-tenant rows plus totals."""
    report = get_report(name)
    tenant_ids = [t.strip().lower() for t in tenants.split(",") if t.strip()]
    targets = service.region_targets(runtime(request).registry, who.tenant, tenant_ids)
    result = service.run_regional(report, targets, _report_query(request, (*CONTROL_PARAMS, "tenants")))
    if format == "csv":
        lines = [*result["rows"], *[["TOTAL", *[t.get(c, "") for c in result["columns"][1:]]]
                                     for t in result["totals"]]]
        return StreamingResponse(csv_stream(result["columns"], lines), media_type="text/csv; charset=utf-8",
                                 headers=_attachment(f"{report.name}-regional", "csv"))
    return JSONResponse(jsonable_encoder(result))


@router.get("/report-grants")
def list_region_grants(request: Request, who: Principal = require("reports:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return service.grants_view(s)


@router.post("/report-grants", status_code=201)
def grant_region(request: Request, body: service.RegionGrantIn,
                 who: Principal = require("reports:grant-region")) -> JSONResponse:
    return execute(runtime(request), who, "reports:grant-region", body)


@router.post("/report-grants/revoke")
def revoke_region(request: Request, body: service.RegionGrantIn,
                  who: Principal = require("reports:revoke-region")) -> JSONResponse:
    return execute(runtime(request), who, "reports:revoke-region", body)


# --- statement settings -------------------------------------------------------------------------------------------

@router.get("/statement-settings")
def get_statement_settings(request: Request, who: Principal = require("statements:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return service.statement_settings(s)


@router.put("/statement-settings")
def put_statement_settings(request: Request, body: service.StatementSettingsIn,
                           who: Principal = require("statements:configure")) -> JSONResponse:
    return execute(runtime(request), who, "statements:configure", body)


# --- statement runs (bulk PDFs by the worker pool) ---------------------------------------------------------------

@router.post("/statements/runs", status_code=202)
def post_statement_run(request: Request, body: runs.StatementRunIn, idem: IdemKey = None,
                       who: Principal = require("statements:generate")) -> JSONResponse:
    """Render every statement of a month to PDF (or join the run already doing it); workers do the rest."""
    rt = runtime(request)
    answer = execute(rt, who, "statements:generate", body, idempotency_key=idem)
    result = json.loads(bytes(answer.body))
    if answer.status_code == 202 and isinstance(result, dict) and result.get("status") == "running":
        runs.enqueue(rt, who.tenant, int(result["id"]))  # after the commit: the jobs find their chunks
    return answer


@router.get("/statements/runs/{run_id}")
def get_statement_run(request: Request, run_id: int, who: Principal = require("statements:read")) -> dict[str, Any]:
    """Progress: accounts done of total, statements written, skipped (already on disk) and failed."""
    with runtime(request).session(who.tenant) as s:
        return runs.run_view(s, run_id)


# --- statements ---------------------------------------------------------------------------------------------------

StatementFormat = Literal["json", "csv", "pdf"]
FromQ = Annotated[date | None, Query(alias="from")]


def _statement_response(st: Statement, format: StatementFormat) -> Response:
    name = f"statement-{st.account_ref}-{st.period_from}-{st.period_to}"
    if format == "pdf":
        return Response(statement_pdf(st), media_type="application/pdf", headers=_attachment(name, "pdf"))
    if format == "csv":
        return StreamingResponse(csv_stream(*_split(st.csv_rows())), media_type="text/csv; charset=utf-8",
                                 headers=_attachment(name, "csv"))
    return JSONResponse(jsonable_encoder(st.view()))


def _split(rows: Iterator[list[Any]]) -> tuple[list[Any], Iterator[list[Any]]]:
    return next(rows), rows


@router.get("/loans/{loan_id}/statement", responses={200: {"content": {"application/pdf": {}, "text/csv": {}}}})
def get_loan_statement(loan_id: int, since: FromQ = None, to: date | None = None, format: StatementFormat = "json",
                       who: Principal = require("loans:read")) -> Response:
    period = check_period(since, to)
    with report_session(who.tenant) as s:
        st = loan_statement(s, loan_id, *period)
    return _statement_response(st, format)


@router.get("/savings-accounts/{account_id}/statement",
            responses={200: {"content": {"application/pdf": {}, "text/csv": {}}}})
def get_savings_statement(account_id: int, since: FromQ = None, to: date | None = None,
                          format: StatementFormat = "json", who: Principal = require("savings:read")) -> Response:
    period = check_period(since, to)
    with report_session(who.tenant) as s:
        st = savings_statement(s, account_id, *period)
    return _statement_response(st, format)

