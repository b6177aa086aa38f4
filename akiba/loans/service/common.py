"""Helpers every loan command shares: locking, dates, the loan's schedule request, money spelling."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from akiba.core.errors import DomainError, conflict, invalid, not_found
from akiba.core.money import money_str
from akiba.loans.dates import DueDateAdjuster
from akiba.loans.models import Loan, LoanProduct
from akiba.loans.schedule import ScheduleRequest, parse_schedule_request
from akiba.platform.models import TenantSetting


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


def lock_loan(s: Session, loan_id: int) -> tuple[Loan, str, date]:
    """The loan, row-locked so commands on one loan run one after the other, its accounting rule and the
    tenant's business date: one statement."""
    row = s.execute(
        select(Loan, LoanProduct.accounting_rule, TenantSetting.business_date)
        .join(LoanProduct, LoanProduct.id == Loan.product_id)
        .join(TenantSetting, TenantSetting.id == 1)
        .where(Loan.id == loan_id)
        .with_for_update(of=Loan)
    ).first()
    if row is None:
        raise not_found("loan", loan_id)
    return row[0], row[1], row[2]


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
