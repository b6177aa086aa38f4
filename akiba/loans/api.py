"""Loan endpoints."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from akiba.clients.groups import get_group
from akiba.clients.service import get_client
from akiba.core.errors import DomainError, invalid
from akiba.core.money import money_str
from akiba.loans import queries
from akiba.loans.models import LOAN_STATUSES, LoanProduct
from akiba.loans.schedule import parse_schedule_request, preview, schedule_to_dict
from akiba.loans.schemas import (
    AdjustTransaction,
    Approve,
    AssignOfficer,
    ChargeAdd,
    ChargeOff,
    Disburse,
    LoanCreate,
    LoanModify,
    Note,
    Prepayment,
    ProductCreate,
    ProductUpdate,
    Refund,
    Reject,
    Repayment,
    Reschedule,
    ReverseTransaction,
    WaiveCharge,
    WaiveInterest,
    Withdraw,
    WriteOff,
)
from akiba.loans.service import applications, charge_off, common, disbursement, payments, products, reschedule
from akiba.platform.commands import execute
from akiba.platform.context import IdemKey, Principal, require, runtime
from akiba.platform.pagination import Page, page_params, paginate

# The command modules register their commands on import.
_COMMAND_MODULES = (applications, charge_off, disbursement, payments, products, reschedule)

router = APIRouter(prefix="/api/v1", tags=["loans"])


@router.post("/loans/schedule-preview", summary="Compute a schedule (and what-if repayments); stores nothing")
def schedule_preview(
    request: Request,
    body: Annotated[dict[str, Any], Body(examples=[{
        "principal": "1000.00", "currency": "USD", "digits": 2, "annual_interest_rate": "12",
        "interest_type": "declining_balance", "amortization": "equal_installments",
        "interest_calculation_period": "same_as_repayment", "days_in_year": "365", "days_in_month": "actual",
        "repayment_every": 1, "repayment_frequency": "months", "number_of_repayments": 12,
        "schedule_type": "cumulative", "expected_disbursement_date": "2024-01-01",
    }])],
    who: Principal = require("loans:read"),
) -> dict[str, Any]:
    return schedule_to_dict(preview(parse_schedule_request(body)))


# --- products ---------------------------------------------------------------------------------------------------



@router.post("/loan-products", status_code=201)
def create_product(request: Request, body: ProductCreate, idem: IdemKey = None,
                   who: Principal = require("loanproducts:create")) -> JSONResponse:
    return execute(runtime(request), who, "loanproducts:create", body, idempotency_key=idem)


@router.put("/loan-products/{product_id}")
def update_product(request: Request, product_id: int, body: ProductUpdate,
                   who: Principal = require("loanproducts:update")) -> JSONResponse:
    return execute(runtime(request), who, "loanproducts:update", body, resource_id=product_id)


@router.get("/loan-products/{product_id}")
def get_product(request: Request, product_id: int, who: Principal = require("loanproducts:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return products.product_view(s, common.get_product(s, product_id))


@router.get("/loan-products")
def list_products(request: Request, page: Annotated[Page, Depends(page_params)],
                  who: Principal = require("loanproducts:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return paginate(s, select(LoanProduct), LoanProduct.id, page, lambda p: products.product_view(s, p))


# --- loans: applications ----------------------------------------------------------------------------------------


@router.post("/loans", status_code=201)
def submit_loan(request: Request, body: LoanCreate, idem: IdemKey = None,
                who: Principal = require("loans:create")) -> JSONResponse:
    return execute(runtime(request), who, "loans:create", body, idempotency_key=idem)


@router.put("/loans/{loan_id}")
def modify_loan(request: Request, loan_id: int, body: LoanModify,
                who: Principal = require("loans:update")) -> JSONResponse:
    return execute(runtime(request), who, "loans:update", body, resource_id=loan_id)


def _lifecycle(name: str, payload: type[BaseModel] | None, permission: str, status: int = 200) -> None:
    """One POST /loans/{id}/<step> endpoint per command: parse, check the permission, execute."""
    path = f"/loans/{{loan_id}}/{name}"
    command = COMMANDS[name]
    if payload is None:
        def endpoint_no_body(request: Request, loan_id: int, idem: IdemKey = None,
                             who: Principal = require(permission)) -> JSONResponse:
            return execute(runtime(request), who, command, None, resource_id=loan_id, idempotency_key=idem)

        router.add_api_route(path, endpoint_no_body, methods=["POST"], status_code=status, name=f"loan_{name}")
        return

    def endpoint(request: Request, loan_id: int, body: Any, idem: IdemKey = None,
                 who: Principal = require(permission)) -> JSONResponse:
        return execute(runtime(request), who, command, body, resource_id=loan_id, idempotency_key=idem)

    endpoint.__annotations__["body"] = payload
    router.add_api_route(path, endpoint, methods=["POST"], status_code=status, name=f"loan_{name}")


COMMANDS = {
    "approve": "loans:approve", "undo-approval": "loans:undo-approval", "reject": "loans:reject",
    "withdraw": "loans:withdraw", "disburse": "loans:disburse", "undo-disbursal": "loans:undo-disbursal",
    "repayments": "loans:repay", "prepay": "loans:prepay", "waive-interest": "loans:waive-interest",
    "charges": "loans:add-charge", "waive-charge": "loans:waive-charge", "write-off": "loans:writeoff",
    "refund": "loans:refund", "assign-officer": "loans:assign-officer", "charge-off": "loans:charge-off",
    "reschedule": "loans:reschedule", "reschedule/undo": "loans:reschedule-undo",
}
for _name, _payload, _permission, _status in (
    ("approve", Approve, "loans:approve", 200),
    ("undo-approval", None, "loans:approve", 200),
    ("reject", Reject, "loans:reject", 200),
    ("withdraw", Withdraw, "loans:update", 200),
    ("disburse", Disburse, "loans:disburse", 200),
    ("undo-disbursal", Note, "loans:disburse", 200),
    ("repayments", Repayment, "loans:repay", 201),
    ("prepay", Prepayment, "loans:repay", 201),
    ("waive-interest", WaiveInterest, "loans:waive", 201),
    ("charges", ChargeAdd, "loans:update", 201),
    ("waive-charge", WaiveCharge, "loans:waive", 201),
    ("write-off", WriteOff, "loans:writeoff", 201),
    ("refund", Refund, "loans:repay", 201),
    ("assign-officer", AssignOfficer, "loans:update", 200),
    ("charge-off", ChargeOff, "loans:charge-off", 201),
    ("reschedule", Reschedule, "loans:reschedule", 200),
    ("reschedule/undo", Note, "loans:reschedule-undo", 200),
):
    _lifecycle(_name, _payload, _permission, _status)


class _ReversalNote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=500)


class _Adjustment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    transaction_date: date
    amount: Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=6)]
    note: str | None = Field(default=None, max_length=500)


@router.post("/loans/{loan_id}/transactions/{transaction_id}/undo")
def reverse_transaction(request: Request, loan_id: int, transaction_id: int, body: _ReversalNote | None = None,
                        idem: IdemKey = None, who: Principal = require("loans:reverse")) -> JSONResponse:
    payload = ReverseTransaction(transaction_id=transaction_id, note=body.note if body else None)
    return execute(runtime(request), who, "loans:reverse-transaction", payload, resource_id=loan_id,
                   idempotency_key=idem)


@router.post("/loans/{loan_id}/transactions/{transaction_id}/adjust", status_code=201)
def adjust_transaction(request: Request, loan_id: int, transaction_id: int, body: _Adjustment,
                       idem: IdemKey = None, who: Principal = require("loans:reverse")) -> JSONResponse:
    if isinstance(body.amount, float):  # pragma: no cover - pydantic parses strings to Decimal
        raise invalid("amount", "must be a decimal string")
    payload = AdjustTransaction(transaction_id=transaction_id, transaction_date=body.transaction_date,
                                amount=body.amount, note=body.note)
    return execute(runtime(request), who, "loans:adjust-transaction", payload, resource_id=loan_id,
                   idempotency_key=idem)


# --- loans: reads -----------------------------------------------------------------------------------------------


@router.get("/loans/{loan_id}")
def get_loan(request: Request, loan_id: int, who: Principal = require("loans:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return queries.loan_view(s, common.get_loan(s, loan_id))


@router.get("/loans/{loan_id}/payoff")
def payoff(request: Request, loan_id: int, on: Annotated[date | None, Query(alias="date")] = None,
           who: Principal = require("loans:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        loan = common.get_loan(s, loan_id)
        if loan.status != "active":
            raise DomainError("loan-not-active", f"loan {loan_id} is {loan.status}", status=409)
        when = on or common.business_date(s)
        if loan.disbursed_on is not None and when < loan.disbursed_on:
            raise invalid("date", "must not be before the disbursement")
        quote = payments.payoff_quote(s, loan, when)
        d = loan.digits
        return {"loan_id": loan.id, "date": when, "principal": money_str(quote.principal, d),
                "interest": money_str(quote.interest, d), "fees": money_str(quote.fees, d),
                "penalties": money_str(quote.penalties, d), "total": money_str(quote.total, d)}


@router.get("/loans")
def list_loans(request: Request, page: Annotated[Page, Depends(page_params)],
               status: Annotated[str | None, Query(max_length=16)] = None,
               office_id: int | None = None, loan_officer_id: int | None = None, product_id: int | None = None,
               client_id: int | None = None, group_id: int | None = None,
               external_id: Annotated[str | None, Query(max_length=100)] = None,
               who: Principal = require("loans:read")) -> dict[str, Any]:
    if status is not None and status not in LOAN_STATUSES:
        raise invalid("status", f"must be one of {', '.join(LOAN_STATUSES)}")
    with runtime(request).session(who.tenant) as s:
        return queries.list_loans(s, page, status=status, office_id=office_id, loan_officer_id=loan_officer_id,
                                  product_id=product_id, client_id=client_id, group_id=group_id,
                                  external_id=external_id)


@router.get("/clients/{client_id}/loans")
def client_loans(request: Request, client_id: int, page: Annotated[Page, Depends(page_params)],
                 who: Principal = require("loans:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        get_client(s, client_id)  # an unknown client is a 404, not an empty list
        return queries.list_loans(s, page, client_id=client_id)


@router.get("/groups/{group_id}/loans")
def group_loans(request: Request, group_id: int, page: Annotated[Page, Depends(page_params)],
                who: Principal = require("loans:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        get_group(s, group_id, "group")
        return queries.list_loans(s, page, group_id=group_id)
