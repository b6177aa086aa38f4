"""Savings endpoints (thin: parse, check permission, call the service)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from akiba.platform.commands import execute
from akiba.platform.context import IdemKey, Principal, require, runtime
from akiba.platform.pagination import Page, page_params, paginate
from akiba.savings import queries, service
from akiba.savings.models import SavingsAccount, SavingsProduct
from akiba.savings.schemas import (
    AccountCreate,
    ActivateIn,
    ApproveIn,
    BlockIn,
    CloseIn,
    HoldIn,
    PostInterestIn,
    ProductCreate,
    ProductUpdate,
    RejectIn,
    ReleaseHoldCommand,
    ReleaseHoldIn,
    ReverseCommand,
    ReverseIn,
    TransactionIn,
    TransferIn,
)
from akiba.savings.service.common import account_summary, product_of

router = APIRouter(prefix="/api/v1", tags=["savings"])


# --- products -------------------------------------------------------------------------------------------------


@router.post("/savings-products", status_code=201)
def create_product(request: Request, body: ProductCreate, idem: IdemKey = None,
                   who: Principal = require("savingsproducts:create")) -> JSONResponse:
    return execute(runtime(request), who, "savingsproducts:create", body, idempotency_key=idem)


@router.put("/savings-products/{product_id}")
def update_product(request: Request, product_id: int, body: ProductUpdate,
                   who: Principal = require("savingsproducts:update")) -> JSONResponse:
    return execute(runtime(request), who, "savingsproducts:update", body, resource_id=product_id)


@router.get("/savings-products/{product_id}")
def get_product(request: Request, product_id: int, who: Principal = require("savingsproducts:read")) -> Any:
    with runtime(request).session(who.tenant) as s:
        return service.products.product_view(s, service.get_product(s, product_id))


@router.get("/savings-products")
def list_products(request: Request, page: Annotated[Page, Depends(page_params)],
                  who: Principal = require("savingsproducts:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return paginate(s, select(SavingsProduct), SavingsProduct.id, page,
                        lambda p: service.products.product_view(s, p))


# --- accounts -------------------------------------------------------------------------------------------------


@router.post("/savings-accounts", status_code=201)
def create_account(request: Request, body: AccountCreate, idem: IdemKey = None,
                   who: Principal = require("savings:create")) -> JSONResponse:
    return execute(runtime(request), who, "savings:create", body, idempotency_key=idem)


@router.get("/savings-accounts/{account_id}")
def get_account(request: Request, account_id: int, as_of: Annotated[date | None, Query()] = None,
                who: Principal = require("savings:read")) -> Any:
    with runtime(request).session(who.tenant) as s:
        return queries.account_detail(s, account_id, as_of)


@router.get("/savings-accounts")
def list_accounts(request: Request, page: Annotated[Page, Depends(page_params)],
                  client_id: Annotated[int | None, Query()] = None, group_id: Annotated[int | None, Query()] = None,
                  who: Principal = require("savings:read")) -> dict[str, Any]:
    stmt = select(SavingsAccount)
    if client_id is not None:
        stmt = stmt.where(SavingsAccount.client_id == client_id)
    if group_id is not None:
        stmt = stmt.where(SavingsAccount.group_id == group_id)
    with runtime(request).session(who.tenant) as s:
        return paginate(s, stmt, SavingsAccount.id, page, lambda a: account_summary(a, product_of(s, a)))


def _account_command(path: str, name: str, payload: type, permission: str, status: int = 200) -> None:
    """One POST /savings-accounts/{id}/<path> endpoint running command ``name``."""

    def endpoint(request: Request, account_id: int, body: payload, idem: IdemKey = None,  # type: ignore[valid-type]
                 who: Principal = require(permission)) -> JSONResponse:
        return execute(runtime(request), who, name, body, resource_id=account_id, idempotency_key=idem)

    endpoint.__annotations__["body"] = payload  # the real class, not the string "payload" (postponed annotations)
    endpoint.__name__ = f"savings_{path.replace('-', '_')}"
    router.add_api_route(f"/savings-accounts/{{account_id}}/{path}", endpoint, methods=["POST"],
                         status_code=status, name=endpoint.__name__)


_account_command("approve", "savings:approve", ApproveIn, "savings:approve")
_account_command("reject", "savings:reject", RejectIn, "savings:approve")
_account_command("activate", "savings:activate", ActivateIn, "savings:activate")
_account_command("deposits", "savings:deposit", TransactionIn, "savings:deposit", 201)
_account_command("withdrawals", "savings:withdraw", TransactionIn, "savings:withdraw", 201)
_account_command("post-interest", "savings:post_interest", PostInterestIn, "savings:post_interest", 201)
_account_command("close", "savings:close", CloseIn, "savings:close")
_account_command("block", "savings:block", BlockIn, "savings:block")
_account_command("unblock", "savings:unblock", BlockIn, "savings:block")
_account_command("holds", "savings:hold", HoldIn, "savings:hold", 201)


@router.post("/savings-accounts/{account_id}/holds/{hold_id}/release")
def release_hold(request: Request, account_id: int, hold_id: int, body: ReleaseHoldIn | None = None,
                 idem: IdemKey = None, who: Principal = require("savings:hold")) -> JSONResponse:
    command = ReleaseHoldCommand(hold_id=hold_id, released_on=body.released_on if body else None)
    return execute(runtime(request), who, "savings:release_hold", command, resource_id=account_id,
                   idempotency_key=idem)


@router.post("/savings-accounts/{account_id}/transactions/{transaction_id}/reverse")
def reverse_transaction(request: Request, account_id: int, transaction_id: int, body: ReverseIn | None = None,
                        idem: IdemKey = None, who: Principal = require("savings:reverse")) -> JSONResponse:
    command = ReverseCommand(transaction_id=transaction_id, reason=body.reason if body else "")
    return execute(runtime(request), who, "savings:reverse", command, resource_id=account_id, idempotency_key=idem)


@router.post("/savings-transfers", status_code=201)
def transfer(request: Request, body: TransferIn, idem: IdemKey = None,
             who: Principal = require("savings:transfer")) -> JSONResponse:
    return execute(runtime(request), who, "savings:transfer", body, idempotency_key=idem)
