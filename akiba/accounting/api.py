"""Accounting endpoints (thin: parse, check permission, call the service or the report)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import select

from akiba.accounting import posting, queries, reports, service
from akiba.accounting.chart import ACCOUNTING_RULES, FINANCIAL_ACTIVITIES
from akiba.accounting.models import AccountingClosure, FinancialActivityMapping, GLAccount, JournalEntry, JournalLine
from akiba.accounting.schemas import (
    ActivityMappingIn,
    ActivityMappingSet,
    ClosureCreate,
    ClosureOut,
    GLAccountCreate,
    GLAccountOut,
    GLAccountUpdate,
    GLType,
    GLUsage,
    JournalEntryCreate,
    OpeningBalancesCreate,
    ProductMappingIn,
    ProductMappingSet,
    ReverseIn,
)
from akiba.core.errors import invalid
from akiba.platform.commands import execute
from akiba.platform.context import IdemKey, Principal, require, runtime
from akiba.platform.pagination import Page, page_params, paginate

router = APIRouter(prefix="/api/v1", tags=["accounting"])
Format = Annotated[Literal["json", "csv"], Query()]
CurrencyQ = Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")]
OfficeQ = Annotated[int | None, Query(ge=1)]
ProductType = Literal["loan", "savings"]
Activity = Literal["opening_balance_contra", "retained_earnings", "asset_transfer", "liability_transfer"]


# --- chart of accounts ------------------------------------------------------------------------------------------

@router.post("/gl-accounts", status_code=201, response_model=GLAccountOut)
def create_gl_account(request: Request, body: GLAccountCreate, idem: IdemKey = None,
                      who: Principal = require("gl:create")) -> JSONResponse:
    return execute(runtime(request), who, "gl:create", body, idempotency_key=idem)


@router.get("/gl-accounts")
def list_gl_accounts(request: Request, page: Annotated[Page, Depends(page_params)],
                     type: GLType | None = None, usage: GLUsage | None = None,
                     tag: Annotated[str | None, Query(max_length=50)] = None, enabled: bool | None = None,
                     who: Principal = require("gl:read")) -> dict[str, Any]:
    stmt = select(GLAccount)
    if type is not None:
        stmt = stmt.where(GLAccount.type == type)
    if usage is not None:
        stmt = stmt.where(GLAccount.usage == usage)
    if tag is not None:
        stmt = stmt.where(GLAccount.tags.contains([tag]))
    if enabled is not None:
        stmt = stmt.where(GLAccount.enabled.is_(enabled))
    with runtime(request).session(who.tenant) as s:
        return paginate(s, stmt, GLAccount.id, page, GLAccountOut.model_validate)


@router.get("/gl-accounts/{account_id}", response_model=GLAccountOut)
def get_gl_account(request: Request, account_id: int, who: Principal = require("gl:read")) -> GLAccountOut:
    with runtime(request).session(who.tenant) as s:
        return GLAccountOut.model_validate(service.get_gl_account(s, account_id))


@router.put("/gl-accounts/{account_id}", response_model=GLAccountOut)
def update_gl_account(request: Request, account_id: int, body: GLAccountUpdate,
                      who: Principal = require("gl:update")) -> JSONResponse:
    return execute(runtime(request), who, "gl:update", body, resource_id=account_id)


@router.post("/gl-accounts/{account_id}/disable", response_model=GLAccountOut)
def disable_gl_account(request: Request, account_id: int, who: Principal = require("gl:update")) -> JSONResponse:
    return execute(runtime(request), who, "gl:disable", resource_id=account_id)


@router.post("/gl-accounts/{account_id}/enable", response_model=GLAccountOut)
def enable_gl_account(request: Request, account_id: int, who: Principal = require("gl:update")) -> JSONResponse:
    return execute(runtime(request), who, "gl:enable", resource_id=account_id)


@router.delete("/gl-accounts/{account_id}")
def delete_gl_account(request: Request, account_id: int, who: Principal = require("gl:delete")) -> JSONResponse:
    return execute(runtime(request), who, "gl:delete", resource_id=account_id)


# --- journal ------------------------------------------------------------------------------------------------------

@router.post("/journal-entries", status_code=201)
def create_journal_entry(request: Request, body: JournalEntryCreate, idem: IdemKey = None,
                         who: Principal = require("journal:create")) -> JSONResponse:
    return execute(runtime(request), who, "journal:create", body, idempotency_key=idem)


@router.get("/journal-entries/{entry_id}")
def get_journal_entry(request: Request, entry_id: int, who: Principal = require("journal:read")) -> Any:
    with runtime(request).session(who.tenant) as s:
        return jsonable_encoder(queries.entry_view(s, entry_id))


@router.get("/journal-entries")
def list_journal_entries(
    request: Request, page: Annotated[Page, Depends(page_params)], office_id: OfficeQ = None,
    gl_code: Annotated[str | None, Query(max_length=50)] = None,
    source: Annotated[str | None, Query(max_length=30)] = None, source_id: int | None = None,
    since: Annotated[date | None, Query(alias="from")] = None, to: date | None = None,
    who: Principal = require("journal:read"),
) -> Any:
    stmt = select(JournalEntry)
    if office_id is not None:
        stmt = stmt.where(JournalEntry.office_id == office_id)
    if source is not None:
        stmt = stmt.where(JournalEntry.source == source)
    if source_id is not None:
        stmt = stmt.where(JournalEntry.source_id == source_id)
    if since is not None:
        stmt = stmt.where(JournalEntry.transaction_date >= since)
    if to is not None:
        stmt = stmt.where(JournalEntry.transaction_date <= to)
    with runtime(request).session(who.tenant) as s:
        if gl_code is not None:
            account = queries.account_by_code(s, gl_code)
            stmt = stmt.where(JournalEntry.id.in_(
                select(JournalLine.entry_id).where(JournalLine.gl_account_id == account.id)))
        listed = paginate(s, stmt, JournalEntry.id, page, lambda e: e)
        return jsonable_encoder({"items": queries.entry_views(s, listed["items"]),
                                 "next_cursor": listed["next_cursor"]})


@router.post("/journal-entries/{entry_id}/reverse", status_code=201)
def reverse_journal_entry(request: Request, entry_id: int, body: ReverseIn | None = None, idem: IdemKey = None,
                          who: Principal = require("journal:reverse")) -> JSONResponse:
    return execute(runtime(request), who, "journal:reverse", body or ReverseIn(), resource_id=entry_id,
                   idempotency_key=idem)


@router.post("/accounting/opening-balances", status_code=201)
def import_opening_balances(request: Request, body: OpeningBalancesCreate, idem: IdemKey = None,
                            who: Principal = require("journal:create")) -> JSONResponse:
    return execute(runtime(request), who, "journal:opening-balances", body, idempotency_key=idem)


# --- closures -----------------------------------------------------------------------------------------------------

@router.post("/accounting/closures", status_code=201, response_model=ClosureOut)
def create_closure(request: Request, body: ClosureCreate, idem: IdemKey = None,
                   who: Principal = require("accounting:close")) -> JSONResponse:
    return execute(runtime(request), who, "accounting:close", body, idempotency_key=idem)


@router.get("/accounting/closures")
def list_closures(request: Request, page: Annotated[Page, Depends(page_params)], office_id: OfficeQ = None,
                  who: Principal = require("accounting:read")) -> dict[str, Any]:
    stmt = select(AccountingClosure)
    if office_id is not None:
        stmt = stmt.where(AccountingClosure.office_id == office_id)
    with runtime(request).session(who.tenant) as s:
        return paginate(s, stmt, AccountingClosure.id, page, ClosureOut.model_validate)


@router.delete("/accounting/closures/{closure_id}", response_model=ClosureOut)
def delete_latest_closure(request: Request, closure_id: int,
                          who: Principal = require("accounting:close")) -> JSONResponse:
    return execute(runtime(request), who, "accounting:reopen", resource_id=closure_id)


# --- statements ---------------------------------------------------------------------------------------------------

def _csv(rows: Iterable[list[Any]], filename: str) -> StreamingResponse:
    def chunks() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for i, row in enumerate(rows):
            writer.writerow(row)
            if i % 500 == 499:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(chunks(), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})


@router.get("/accounting/trial-balance")
def get_trial_balance(request: Request, as_of: date, currency: CurrencyQ = None, office_id: OfficeQ = None,
                      consolidated: bool = True, format: Format = "json",
                      who: Principal = require("accounting:read")) -> Response:
    with runtime(request).session(who.tenant) as s:
        report = reports.trial_balance_report(s, reports.scope(s, who.tenant, currency, office_id, consolidated),
                                              as_of)
    if format == "csv":
        return _csv(reports.trial_balance_csv(report), f"trial-balance-{as_of}")
    return JSONResponse(jsonable_encoder(report))


@router.get("/accounting/balance-sheet")
def get_balance_sheet(request: Request, as_of: date, currency: CurrencyQ = None, office_id: OfficeQ = None,
                      consolidated: bool = True, format: Format = "json",
                      who: Principal = require("accounting:read")) -> Response:
    with runtime(request).session(who.tenant) as s:
        report = reports.balance_sheet_report(s, reports.scope(s, who.tenant, currency, office_id, consolidated),
                                              as_of)
    if format == "csv":
        return _csv(reports.balance_sheet_csv(report), f"balance-sheet-{as_of}")
    return JSONResponse(jsonable_encoder(report))


@router.get("/accounting/income-statement")
def get_income_statement(request: Request, since: Annotated[date, Query(alias="from")], to: date,
                         currency: CurrencyQ = None, office_id: OfficeQ = None, consolidated: bool = True,
                         format: Format = "json",
                         who: Principal = require("accounting:read")) -> Response:
    with runtime(request).session(who.tenant) as s:
        report = reports.income_statement_report(
            s, reports.scope(s, who.tenant, currency, office_id, consolidated), since, to)
    if format == "csv":
        return _csv(reports.income_statement_csv(report), f"income-statement-{since}-{to}")
    return JSONResponse(jsonable_encoder(report))


@router.get("/accounting/general-ledger")
def get_general_ledger(request: Request, gl_code: Annotated[str, Query(min_length=1, max_length=50)],
                       since: Annotated[date, Query(alias="from")], to: date, currency: CurrencyQ = None,
                       office_id: OfficeQ = None, consolidated: bool = True,
                       format: Format = "json",
                       who: Principal = require("accounting:read")) -> Response:
    if since > to:
        raise invalid("from", "must not be after to")
    rt = runtime(request)
    if format == "csv":
        # The session lives as long as the stream: lines come from a server-side cursor.
        def stream() -> Iterator[list[Any]]:
            with rt.session(who.tenant) as s:
                sc = reports.scope(s, who.tenant, currency, office_id, consolidated)
                yield from reports.general_ledger_csv(reports.general_ledger_report(s, sc, gl_code, since, to))

        rows = stream()
        first = next(rows)  # errors (unknown account or office) surface before the response starts
        return _csv(_prepend(first, rows), f"general-ledger-{gl_code}-{since}-{to}")
    with rt.session(who.tenant) as s:
        sc = reports.scope(s, who.tenant, currency, office_id, consolidated)
        report = reports.general_ledger_report(s, sc, gl_code, since, to)
        header = next(report)
        lines = list(report)
    closing = lines[-1]["balance"] if lines else header["opening_balance"]
    return JSONResponse(jsonable_encoder({**header, "lines": lines, "closing_balance": closing}))


def _prepend(first: list[Any], rest: Iterator[list[Any]]) -> Iterator[list[Any]]:
    yield first
    yield from rest


# --- GL mappings --------------------------------------------------------------------------------------------------

@router.get("/accounting/product-mappings/defaults")
def get_default_mapping(request: Request, product_type: ProductType,
                        accounting_rule: Literal["none", "cash", "accrual_periodic"],
                        who: Principal = require("gl:read")) -> dict[str, Any]:
    assert accounting_rule in ACCOUNTING_RULES
    with runtime(request).session(who.tenant) as s:
        mapping = posting.default_mapping(s, product_type, accounting_rule)
        return {"product_type": product_type, "accounting_rule": accounting_rule,
                "mapping": service.mapping_view(s, mapping)}


@router.get("/accounting/product-mappings/{product_type}/{product_id}")
def get_product_mapping(request: Request, product_type: ProductType, product_id: int,
                        who: Principal = require("gl:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return service.product_mapping_view(s, product_type, product_id)


@router.put("/accounting/product-mappings/{product_type}/{product_id}")
def put_product_mapping(request: Request, product_type: ProductType, product_id: Annotated[int, Path(ge=1)],
                        body: ProductMappingIn, who: Principal = require("gl:update")) -> JSONResponse:
    payload = ProductMappingSet(product_type=product_type, product_id=product_id, mapping=body.mapping)
    return execute(runtime(request), who, "gl:map-product", payload, resource_id=product_id)


@router.get("/accounting/financial-activity-mappings")
def list_activity_mappings(request: Request, who: Principal = require("gl:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        rows = s.execute(select(FinancialActivityMapping.activity, GLAccount.gl_code)
                         .join(GLAccount, GLAccount.id == FinancialActivityMapping.gl_account_id)
                         .order_by(FinancialActivityMapping.activity)).all()
    mapped = {r.activity: r.gl_code for r in rows}
    return {"items": [{"activity": a, "gl_code": mapped.get(a)} for a in sorted(FINANCIAL_ACTIVITIES)]}


@router.put("/accounting/financial-activity-mappings/{activity}")
def put_activity_mapping(request: Request, activity: Activity, body: ActivityMappingIn,
                         who: Principal = require("gl:update")) -> JSONResponse:
    return execute(runtime(request), who, "gl:map-activity", ActivityMappingSet(activity=activity,
                                                                                 gl_code=body.gl_code))
