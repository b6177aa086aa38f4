"""Savings account lifecycle: open (submit), approve, reject, activate, block and unblock, holds."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from akiba.clients.models import Client, Group
from akiba.core.errors import DomainError, conflict, invalid
from akiba.core.money import ZERO, money_str
from akiba.platform.commands import command, emit
from akiba.platform.context import Principal
from akiba.platform.provisioning import business_date
from akiba.savings.models import SavingsAccount, SavingsHold, SavingsProduct
from akiba.savings.schemas import (
    AccountCreate,
    ActivateIn,
    ApproveIn,
    BlockIn,
    HoldIn,
    RejectIn,
    ReleaseHoldCommand,
)
from akiba.savings.service.common import (
    account_summary,
    available_balance,
    check_amount_digits,
    lock_account,
    product_of,
    record,
    require_status,
)


def _holder_office(s: Session, data: AccountCreate) -> int:
    """The office of the client or group the account is for; the holder must be active by submission."""
    if (data.client_id is None) == (data.group_id is None):
        raise invalid("client_id", "give exactly one of client_id and group_id")
    holder: Client | Group | None
    if data.client_id is not None:
        holder, field = s.get(Client, data.client_id), "client_id"
    else:
        holder, field = s.get(Group, data.group_id), "group_id"
    if holder is None:
        raise invalid(field, f"{field.removesuffix('_id')} {data.client_id or data.group_id} does not exist")
    if holder.status != "active":
        raise conflict(f"{field.removesuffix('_id')}-not-active", f"the {field.removesuffix('_id')} is {holder.status}")
    if holder.activation_date is not None and data.submitted_on < holder.activation_date:
        raise invalid("submitted_on", f"is before the {field.removesuffix('_id')}'s activation on "
                                      f"{holder.activation_date}")
    return holder.office_id


def _check_not_future(s: Session, day: date, field: str) -> None:
    today = business_date(s)
    if day > today:
        raise invalid(field, f"is after the business date {today}")


@command("savings:create", resource="savings_account", payload=AccountCreate, status=201)
def create_account(s: Session, _: Principal, data: AccountCreate, __: int | None) -> dict[str, Any]:
    product = s.get(SavingsProduct, data.product_id)
    if product is None:
        raise invalid("product_id", f"savings product {data.product_id} does not exist")
    office_id = _holder_office(s, data)
    _check_not_future(s, data.submitted_on, "submitted_on")
    if data.external_id and s.scalar(select(SavingsAccount.id).where(SavingsAccount.external_id == data.external_id)):
        raise conflict("external-id-taken", f"external_id {data.external_id!r} is in use")
    account = SavingsAccount(
        client_id=data.client_id, group_id=data.group_id, office_id=office_id, product_id=product.id,
        external_id=data.external_id, currency=product.currency, digits=product.digits, status="submitted",
        submitted_on=data.submitted_on,
        annual_interest_rate=product.annual_interest_rate if data.annual_interest_rate is None
        else data.annual_interest_rate,
        interest_calculation=product.interest_calculation, compounding=product.compounding,
        posting=product.posting, days_in_year=product.days_in_year, rounding=product.rounding,
        min_balance_for_interest=product.min_balance_for_interest, rate_tiers=list(product.rate_tiers),
        # Copied like the credit terms: a later product change leaves running accounts' overdraft rate alone.
        overdraft_interest_rate=product.overdraft_interest_rate if product.allow_overdraft else None,
        debit_blocked=False, credit_blocked=False, balance=ZERO, on_hold=ZERO,
    )
    s.add(account)
    s.flush()
    account.account_no = f"{account.id:09d}"
    emit(s, "savings_account.submitted", "savings_account", account.id, {"product_id": product.id})
    return account_summary(account, product)


@command("savings:approve", resource="savings_account", payload=ApproveIn)
def approve_account(s: Session, _: Principal, data: ApproveIn, account_id: int | None) -> dict[str, Any]:
    assert account_id is not None
    account = lock_account(s, account_id)
    require_status(account, "submitted")
    if data.approved_on < account.submitted_on:
        raise invalid("approved_on", f"is before the submission on {account.submitted_on}")
    _check_not_future(s, data.approved_on, "approved_on")
    account.status, account.approved_on = "approved", data.approved_on
    emit(s, "savings_account.approved", "savings_account", account.id, {"approved_on": data.approved_on})
    return account_summary(account, product_of(s, account))


@command("savings:reject", permission="savings:approve", resource="savings_account", payload=RejectIn)
def reject_account(s: Session, _: Principal, data: RejectIn, account_id: int | None) -> dict[str, Any]:
    assert account_id is not None
    account = lock_account(s, account_id)
    require_status(account, "submitted")
    if data.rejected_on < account.submitted_on:
        raise invalid("rejected_on", f"is before the submission on {account.submitted_on}")
    _check_not_future(s, data.rejected_on, "rejected_on")
    account.status, account.rejected_on = "rejected", data.rejected_on
    emit(s, "savings_account.rejected", "savings_account", account.id, {"reason": data.reason})
    return account_summary(account, product_of(s, account))


def lock_in_end(start: date, period: int, unit: str) -> date:
    if unit == "days":
        return start + timedelta(days=period)
    if unit == "weeks":
        return start + timedelta(weeks=period)
    months = period * (12 if unit == "years" else 1)
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@command("savings:activate", resource="savings_account", payload=ActivateIn)
def activate_account(s: Session, who: Principal, data: ActivateIn, account_id: int | None) -> dict[str, Any]:
    assert account_id is not None
    account = lock_account(s, account_id)
    require_status(account, "approved")
    product = product_of(s, account)
    if account.approved_on and data.activated_on < account.approved_on:
        raise invalid("activated_on", f"is before the approval on {account.approved_on}")
    _check_not_future(s, data.activated_on, "activated_on")
    minimum = product.min_opening_balance or ZERO
    if minimum > 0 and (data.opening_deposit or ZERO) < minimum:
        raise invalid("opening_deposit", f"the product needs an opening deposit of at least "
                                         f"{money_str(minimum, account.digits)}")
    account.status, account.activated_on = "active", data.activated_on
    if product.lock_in_period and product.lock_in_unit:
        account.lock_in_until = lock_in_end(data.activated_on, product.lock_in_period, product.lock_in_unit)
    if data.opening_deposit:
        check_amount_digits(data.opening_deposit, account, "opening_deposit")
        record(s, account, product, who, "deposit", data.activated_on, data.opening_deposit,
               description="opening deposit")
    emit(s, "savings_account.activated", "savings_account", account.id, {"activated_on": data.activated_on})
    return account_summary(account, product)


def _set_blocks(s: Session, account_id: int, kind: str, value: bool) -> dict[str, Any]:
    account = lock_account(s, account_id)
    require_status(account, "active")
    if kind in ("credit", "both"):
        account.credit_blocked = value
    if kind in ("debit", "both"):
        account.debit_blocked = value
    event = "savings_account.blocked" if value else "savings_account.unblocked"
    emit(s, event, "savings_account", account.id, {"kind": kind})
    return account_summary(account, product_of(s, account))


@command("savings:block", resource="savings_account", payload=BlockIn)
def block_account(s: Session, _: Principal, data: BlockIn, account_id: int | None) -> dict[str, Any]:
    assert account_id is not None
    return _set_blocks(s, account_id, data.kind, True)


@command("savings:unblock", permission="savings:block", resource="savings_account", payload=BlockIn)
def unblock_account(s: Session, _: Principal, data: BlockIn, account_id: int | None) -> dict[str, Any]:
    assert account_id is not None
    return _set_blocks(s, account_id, data.kind, False)


def hold_view(hold: SavingsHold, digits: int) -> dict[str, Any]:
    return {"id": hold.id, "account_id": hold.account_id, "amount": money_str(hold.amount, digits),
            "reason": hold.reason, "placed_on": hold.placed_on, "released_on": hold.released_on,
            "status": hold.status}


@command("savings:hold", resource="savings_account", payload=HoldIn, status=201)
def place_hold(s: Session, _: Principal, data: HoldIn, account_id: int | None) -> dict[str, Any]:
    assert account_id is not None
    account = lock_account(s, account_id)
    require_status(account, "active")
    check_amount_digits(data.amount, account)
    placed_on = data.placed_on or business_date(s)
    if placed_on < (account.activated_on or placed_on):
        raise invalid("placed_on", f"is before the account's activation on {account.activated_on}")
    _check_not_future(s, placed_on, "placed_on")
    product = product_of(s, account)
    # A hold reserves money that is there: it may not exceed what is available now.
    if data.amount > available_balance(account, product):
        raise DomainError("insufficient-funds", f"only {money_str(available_balance(account, product), account.digits)}"
                          " is available to hold", status=409)
    hold = SavingsHold(account_id=account.id, amount=data.amount, reason=data.reason, placed_on=placed_on,
                       status="active")
    s.add(hold)
    account.on_hold += data.amount
    s.flush()
    emit(s, "savings_account.hold_placed", "savings_account", account.id, {"hold_id": hold.id})
    return {**hold_view(hold, account.digits), "account": account_summary(account, product)}


@command("savings:release_hold", permission="savings:hold", resource="savings_account",
         payload=ReleaseHoldCommand)
def release_hold(s: Session, _: Principal, data: ReleaseHoldCommand, account_id: int | None) -> dict[str, Any]:
    assert account_id is not None
    account = lock_account(s, account_id)
    hold = s.get(SavingsHold, data.hold_id)
    if hold is None or hold.account_id != account.id:
        raise DomainError("savings-hold-not-found", f"hold {data.hold_id} is not on account {account.id}", 404)
    if hold.status != "active":
        raise conflict("savings-hold-released", f"hold {hold.id} is already released")
    released_on = data.released_on or business_date(s)
    if released_on < hold.placed_on:
        raise invalid("released_on", f"is before the hold was placed on {hold.placed_on}")
    hold.status, hold.released_on = "released", released_on
    account.on_hold -= hold.amount
    emit(s, "savings_account.hold_released", "savings_account", account.id, {"hold_id": hold.id})
    return {**hold_view(hold, account.digits), "account": account_summary(account, product_of(s, account))}
