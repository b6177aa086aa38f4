"""Helpers every loan command shares: locking, dates, the loan's schedule request, money spelling."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Integer, Select, bindparam, case, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.orm import Session, aliased

from akiba.accounting.models import ProductGLMapping
from akiba.cob.models import CobMark, LoanArrears
from akiba.core.errors import DomainError, conflict, invalid, not_found
from akiba.core.money import money_str
from akiba.loans.dates import DueDateAdjuster
from akiba.loans.models import Loan, LoanInstallment, LoanProduct
from akiba.loans.schedule import ScheduleRequest, parse_schedule_request
from akiba.loans.service.state import Accounting
from akiba.platform.models import TenantSetting

ONE_DAY = timedelta(days=1)


def business_date(s: Session) -> date:
    value = s.scalar(select(TenantSetting.business_date).where(TenantSetting.id == 1))
    assert value is not None, "every tenant has its settings row from creation"
    return value


def get_product(s: Session, product_id: int) -> LoanProduct:
    product = s.get(LoanProduct, product_id)
    if product is None:
        raise not_found("loan-product", product_id)
    return product


def get_loan(s: Session, loan_id: int) -> Loan:
    loan = s.get(Loan, loan_id)
    if loan is None:
        raise not_found("loan", loan_id)
    return loan


@cache
def _locking_read(installments: bool = False) -> Select[Any]:
    """The loan (locked just before), with its product's rule and GL mapping, the business date and close-of-business
    state (the day it was last closed for, the interest it has accounted for) and its scheduled interest."""
    mapping = (select(func.jsonb_object_agg(ProductGLMapping.movement, ProductGLMapping.gl_account_id))
               .where(ProductGLMapping.product_type == "loan", ProductGLMapping.product_id == Loan.product_id)
               .scalar_subquery())
    recognised = select(LoanArrears.accrued_interest).where(LoanArrears.loan_id == Loan.id).scalar_subquery()
    closed_for = (select(CobMark.closed_for).where(CobMark.kind == "loan", CobMark.entity_id == Loan.id)
                  .scalar_subquery())
    every = aliased(LoanInstallment)  # not the outer query's installments (auto-correlation would take them)
    scheduled = select(func.sum(every.interest)).where(every.loan_id == Loan.id).correlate(Loan).scalar_subquery()
    stmt = (
        select(Loan, LoanProduct.accounting_rule, TenantSetting.business_date, mapping, recognised, closed_for,
               case((LoanProduct.accounting_rule == "accrual_periodic", scheduled)))
        .join(LoanProduct, LoanProduct.id == Loan.product_id)
        .join(TenantSetting, TenantSetting.id == 1)
        .where(Loan.id == func.any(bindparam("loan_ids", type_=ARRAY(Integer))))
    )
    if installments:  # each column of the installments as one array: one row, no JSON decoded per installment
        rows = aliased(LoanInstallment)
        arrays = (select(*[func.array_agg(aggregate_order_by(getattr(rows, c), rows.n)).label(c)
                           for c in _INSTALLMENT_COLUMNS])
                  .where(rows.loan_id == Loan.id).correlate(Loan).lateral())
        stmt = stmt.add_columns(*[arrays.c[c] for c in _INSTALLMENT_COLUMNS]).join(arrays, true())
    return stmt


_INSTALLMENT_COLUMNS = ("n", "from_date", "due_date", "down_payment", "principal", "interest", "outstanding_after",
                        "scheduled_fees", "fees", "penalties", "paid_principal", "paid_interest", "paid_fees",
                        "paid_penalties", "waived_interest", "waived_fees", "waived_penalties", "in_advance", "late",
                        "paid_date")


def _installments(arrays: Sequence[list[Any] | None]) -> list[Any]:
    """The installments from the read's arrays as plain read-only rows with the table's attribute names (no ORM
    object: the caller writes with SQL, and building 120 mapped objects costs more than the whole read)."""
    if not arrays or arrays[0] is None:
        return []
    return [SimpleNamespace(**dict(zip(_INSTALLMENT_COLUMNS, values, strict=True)))
            for values in zip(*arrays, strict=True)]


def behind(loan: Loan, closed_for: date | None, today: date) -> bool:
    """Whether close of business has closed this loan before but not for the day before the business date.

    As Fineract's inline COB: a loan never closed (disbursed since the last run, or a tenant that runs no
    close) is not behind; the next run closes it as of its day, which catches up every state it keeps.
    """
    return loan.status == "active" and closed_for is not None and closed_for < today - ONE_DAY


def lock_loan(s: Session, loan_id: int, inline_close: bool = True) -> tuple[Loan, Accounting, date]:
    """The loan, row-locked so commands on one loan run one after the other, how it is accounted for and the
    tenant's business date: two statements (the lock, then the read). A loan close of business has left behind
    is closed first (inline close, akiba.cob.service.ensure_closed), then read again."""
    loan, accounting, today, _ = _lock(s, loan_id, inline_close, installments=False)
    return loan, accounting, today


def lock_loan_with_installments(s: Session, loan_id: int) -> tuple[Loan, Accounting, date, list[Any]]:
    """`lock_loan` and the loan's installments in order, read by the same statement."""
    return _lock(s, loan_id, True, installments=True)


def _lock(s: Session, loan_id: int, inline_close: bool,
          installments: bool) -> tuple[Loan, Accounting, date, list[Any]]:
    # The lock first, then the read: a statement that waited for the lock would still see every other table
    # (installments, accrued interest) as they were before the command it waited for committed.
    if s.scalar(select(Loan.id).where(Loan.id == loan_id).with_for_update()) is None:
        raise not_found("loan", loan_id)
    rows = s.execute(_locking_read(installments), {"loan_ids": [loan_id]}).all()
    _outdate_snapshots(s, [(loan_id, rows[0][5], rows[0][2])])
    if inline_close and behind(rows[0][0], rows[0][5], rows[0][2]):
        from akiba.cob.service import ensure_closed

        ensure_closed(s, loan_id)
        rows = s.execute(_locking_read(installments).execution_options(populate_existing=True),
                         {"loan_ids": [loan_id]}).all()
    return _read(rows[0], installments)


def _read(row: Any, installments: bool) -> tuple[Loan, Accounting, date, list[Any]]:
    loan, rule, today, mapping, recognised, closed_for, scheduled = row[:7]
    accounting = Accounting(rule, {str(k): int(v) for k, v in mapping.items()} if mapping else None,
                            Decimal(recognised or 0), Decimal(scheduled or 0), closed_for)
    return loan, accounting, today, _installments(row[7:]) if installments else []


@dataclass(frozen=True)
class LockedLoan:
    loan: Loan
    accounting: Accounting
    today: date
    installments: list[Any]
    behind: bool  # close of business has left it behind: a command must close it first (inline close)


def lock_loans_with_installments(s: Session, loan_ids: Iterable[int]) -> dict[int, LockedLoan]:
    """`lock_loan_with_installments` for many loans in two statements: locked in id order (no deadlock between
    commands on several loans), then read. A missing id is simply absent; a loan left behind by close of business
    is read as it is and marked, for the caller to lock it alone (which closes it first)."""
    wanted = sorted(set(loan_ids))
    s.execute(select(Loan.id).where(Loan.id.in_(wanted)).order_by(Loan.id).with_for_update())
    found = {}
    for row in s.execute(_locking_read(True), {"loan_ids": wanted}):
        loan, accounting, today, installments = _read(row, True)
        found[loan.id] = LockedLoan(loan, accounting, today, installments, behind(loan, accounting.closed_for, today))
    _outdate_snapshots(s, [(i, f.accounting.closed_for, f.today) for i, f in found.items()])
    return found


def _outdate_snapshots(s: Session, loans: list[tuple[int, date | None, date]]) -> None:
    """A loan the running close of business has closed for today (closed_for is the business date) was also
    snapshotted by it; a command about to change it drops that row (akiba.cob.service.snapshot_outdated)."""
    closed_today = [loan_id for loan_id, closed_for, today in loans if closed_for is not None and closed_for >= today]
    if closed_today:
        from akiba.cob.service import snapshot_outdated

        snapshot_outdated(s, closed_today, loans[0][2])


def require_status(loan: Loan, *allowed: str) -> None:
    if loan.status not in allowed:
        raise conflict(f"loan-not-{allowed[0]}".replace("_", "-"),
                       f"loan {loan.id} is {loan.status}; this needs it to be {' or '.join(allowed)}")


def check_date(field: str, value: date, today: date, not_before: date | None = None,
               not_before_what: str = "") -> None:
    """A command's date: never after the business date, never before the step it follows."""
    if value > today:
        raise invalid(field, f"must not be after the business date {today.isoformat()}")
    if not_before is not None and value < not_before:
        raise invalid(field, f"must not be before {not_before_what} {not_before.isoformat()}")


def check_after_charge_off(field: str, value: date, loan: Loan) -> None:
    """A charged-off loan takes nothing dated before its charge-off (which would replay transactions booked
    before it): undo the charge-off first."""
    if loan.charged_off_on is not None and value < loan.charged_off_on:
        raise invalid(field, f"must not be before the loan's charge-off on {loan.charged_off_on.isoformat()}")


def refuse_charged_off(loan: Loan, what: str) -> None:
    if loan.charged_off_on is not None:
        raise conflict("loan-charged-off", f"loan {loan.id} is charged off; undo the charge-off before {what}")


def money(amount: Decimal | None, digits: int) -> str | None:
    return None if amount is None else money_str(amount, digits)


def schedule_request(loan: Loan, principal: Decimal, disbursed_on: date) -> ScheduleRequest:
    """The engine's request for this loan: its terms, an amount and the disbursement date."""
    body: dict[str, Any] = {**loan.terms, "principal": str(principal), "currency": loan.currency,
                            "digits": loan.digits, "annual_interest_rate": str(loan.annual_interest_rate),
                            "number_of_repayments": loan.number_of_repayments,
                            "expected_disbursement_date": disbursed_on.isoformat()}
    first = loan.terms.get("first_repayment_date")
    if first is not None and date.fromisoformat(first) <= disbursed_on:
        body["first_repayment_date"] = None  # disbursed later than planned: periods run from the disbursement
    return parse_schedule_request(body)


def due_date_adjuster(s: Session, office_id: int) -> DueDateAdjuster | None:
    """The tenant's working days and holidays, when the organisation feature provides them."""
    try:
        from akiba.org.service import due_date_adjuster as org_adjuster
    except ImportError:  # pragma: no cover - organisation calendar not installed
        return None
    try:
        return org_adjuster(s, office_id)
    except (AssertionError, DomainError):
        return None


def borrower_office(s: Session, client_id: int | None, group_id: int | None) -> tuple[int, date | None]:
    """The office of the borrower and the date it became active (a loan cannot be submitted before)."""
    from akiba.clients.models import Client, Group

    if client_id is not None:
        client = s.get(Client, client_id)
        if client is None:
            raise invalid("client_id", f"client {client_id} does not exist")
        if client.status != "active":
            raise invalid("client_id", f"client {client_id} is {client.status}, not active")
        return client.office_id, client.activation_date
    assert group_id is not None
    group = s.get(Group, group_id)
    if group is None or group.level != "group":
        raise invalid("group_id", f"group {group_id} does not exist")
    if group.status != "active":
        raise invalid("group_id", f"group {group_id} is {group.status}, not active")
    return group.office_id, group.activation_date
