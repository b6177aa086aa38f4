"""Loan applications: submit, modify while submitted, approve (and undo), reject, withdraw, loan officers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from akiba.core.errors import conflict, invalid
from akiba.loans.models import Loan, LoanOfficerAssignment, LoanProduct
from akiba.loans.queries import loan_view
from akiba.loans.schemas import Approve, AssignOfficer, LoanCreate, LoanModify, Reject, Withdraw
from akiba.loans.service.common import (
    borrower_office,
    check_date,
    get_product,
    lock_loan,
    require_status,
    schedule_request,
)
from akiba.platform.commands import command, emit
from akiba.platform.context import Principal

# Settings a loan may set for itself at submission; everything else comes from the product.
_OVERRIDABLE = ("repayment_every", "first_repayment_date", "grace_on_principal", "grace_on_interest")


def _in_range(field: str, value: Decimal | int, low: Decimal | int, high: Decimal | int) -> None:
    if not low <= value <= high:
        raise invalid(field, f"must be between {low} and {high} for this product")


def _check_against_product(loan: Loan, product: LoanProduct) -> None:
    if not product.active:
        raise invalid("product_id", f"loan product {product.id} is inactive")
    _in_range("principal", loan.principal, product.min_principal, product.max_principal)
    _in_range("number_of_repayments", loan.number_of_repayments, product.min_number_of_repayments,
              product.max_number_of_repayments)
    _in_range("annual_interest_rate", loan.annual_interest_rate, product.min_annual_interest_rate,
              product.max_annual_interest_rate)
    if loan.expected_disbursement_date < loan.submitted_on:
        raise invalid("expected_disbursement_date", "must not be before submitted_on")
    schedule_request(loan, loan.principal, loan.expected_disbursement_date)  # the engine names any bad setting


def _terms(product: LoanProduct, data: LoanCreate | LoanModify, base: dict[str, Any]) -> dict[str, Any]:
    terms = dict(base)
    for name in _OVERRIDABLE:
        if name in data.model_fields_set:
            value = getattr(data, name)
            terms[name] = value.isoformat() if isinstance(value, date) else value
    terms.setdefault("first_repayment_date", None)
    terms["in_multiples_of"] = product.in_multiples_of
    return terms


def _check_officer(s: Session, staff_id: int | None, office_id: int, field: str) -> None:
    if staff_id is None:
        return
    from akiba.org.service import ensure_loan_officer

    ensure_loan_officer(s, staff_id, office_id, field)


def _check_external_id(s: Session, external_id: str | None, own_id: int = 0) -> None:
    if external_id and s.scalar(select(Loan.id).where(Loan.external_id == external_id, Loan.id != own_id)):
        raise conflict("external-id-taken", f"external_id {external_id!r} is in use")


@command("loans:create", resource="loan", payload=LoanCreate, status=201)
def submit_loan(s: Session, who: Principal, data: LoanCreate, _: int | None) -> dict[str, Any]:
    if (data.client_id is None) == (data.group_id is None):
        raise invalid("client_id", "give a client_id or a group_id (one of them)")
    product = s.get(LoanProduct, data.product_id)
    if product is None:
        raise invalid("product_id", f"loan product {data.product_id} does not exist")
    office_id, active_since = borrower_office(s, data.client_id, data.group_id)
    if active_since is not None and data.submitted_on < active_since:
        raise invalid("submitted_on", f"must not be before the borrower's activation on {active_since}")
    _check_external_id(s, data.external_id)
    _check_officer(s, data.loan_officer_id, office_id, "loan_officer_id")
    loan = Loan(
        external_id=data.external_id, client_id=data.client_id, group_id=data.group_id, product_id=product.id,
        office_id=office_id, loan_officer_id=data.loan_officer_id, status="submitted", currency=product.currency,
        digits=product.digits, principal=data.principal,
        annual_interest_rate=product.annual_interest_rate if data.annual_interest_rate is None
        else data.annual_interest_rate,
        number_of_repayments=data.number_of_repayments or product.number_of_repayments,
        terms=_terms(product, data, product.schedule_settings), submitted_on=data.submitted_on,
        expected_disbursement_date=data.expected_disbursement_date,
    )
    _check_against_product(loan, product)
    s.add(loan)
    s.flush()
    if loan.loan_officer_id is not None:
        s.add(LoanOfficerAssignment(loan_id=loan.id, staff_id=loan.loan_officer_id, from_date=loan.submitted_on))
    emit(s, "loan.submitted", "loan", loan.id, {"principal": str(loan.principal), "product_id": product.id})
    return loan_view(s, loan)


@command("loans:update", resource="loan", payload=LoanModify)
def modify_loan(s: Session, who: Principal, data: LoanModify, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, _, _ = lock_loan(s, loan_id)
    require_status(loan, "submitted")
    product = get_product(s, loan.product_id)
    for name in ("principal", "submitted_on", "expected_disbursement_date", "number_of_repayments",
                 "annual_interest_rate", "external_id"):
        if name in data.model_fields_set:
            value = getattr(data, name)
            if value is None and name != "external_id":
                raise invalid(name, "cannot be null")
            setattr(loan, name, value)
    _check_external_id(s, loan.external_id, own_id=loan.id)
    loan.terms = _terms(product, data, loan.terms)
    if "loan_officer_id" in data.model_fields_set and data.loan_officer_id != loan.loan_officer_id:
        _reassign(s, loan, data.loan_officer_id, loan.submitted_on)
    _check_against_product(loan, product)
    emit(s, "loan.modified", "loan", loan.id, {"fields": sorted(data.model_fields_set)})
    return loan_view(s, loan)


@command("loans:approve", resource="loan", payload=Approve)
def approve_loan(s: Session, who: Principal, data: Approve, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, _, today = lock_loan(s, loan_id)
    require_status(loan, "submitted")
    check_date("approved_on", data.approved_on, today, loan.submitted_on, "the submission on")
    amount = data.approved_principal or loan.principal
    if amount > loan.principal:
        raise invalid("approved_principal", "must not be above the principal applied for")
    if data.expected_disbursement_date is not None:
        if data.expected_disbursement_date < data.approved_on:
            raise invalid("expected_disbursement_date", "must not be before approved_on")
        loan.expected_disbursement_date = data.expected_disbursement_date
    loan.status, loan.approved_on, loan.approved_principal = "approved", data.approved_on, amount
    emit(s, "loan.approved", "loan", loan.id, {"approved_principal": str(amount), "approved_on": data.approved_on})
    return loan_view(s, loan)


@command("loans:undo-approval", resource="loan", permission="loans:approve")
def undo_approval(s: Session, who: Principal, _: None, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, _rule, _today = lock_loan(s, loan_id)
    require_status(loan, "approved")
    loan.status, loan.approved_on, loan.approved_principal = "submitted", None, None
    emit(s, "loan.approval_undone", "loan", loan.id, {})
    return loan_view(s, loan)


@command("loans:reject", resource="loan", payload=Reject)
def reject_loan(s: Session, who: Principal, data: Reject, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, _, today = lock_loan(s, loan_id)
    require_status(loan, "submitted")
    check_date("rejected_on", data.rejected_on, today, loan.submitted_on, "the submission on")
    loan.status, loan.rejected_on = "rejected", data.rejected_on
    emit(s, "loan.rejected", "loan", loan.id, {"rejected_on": data.rejected_on, "note": data.note})
    return loan_view(s, loan)


@command("loans:withdraw", resource="loan", payload=Withdraw, permission="loans:update")
def withdraw_loan(s: Session, who: Principal, data: Withdraw, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, _, today = lock_loan(s, loan_id)
    require_status(loan, "submitted")
    check_date("withdrawn_on", data.withdrawn_on, today, loan.submitted_on, "the submission on")
    loan.status, loan.withdrawn_on = "withdrawn", data.withdrawn_on
    emit(s, "loan.withdrawn", "loan", loan.id, {"withdrawn_on": data.withdrawn_on})
    return loan_view(s, loan)


def _reassign(s: Session, loan: Loan, staff_id: int | None, on: date) -> None:
    _check_officer(s, staff_id, loan.office_id, "staff_id")
    s.execute(update(LoanOfficerAssignment).where(LoanOfficerAssignment.loan_id == loan.id,
                                                  LoanOfficerAssignment.to_date.is_(None)).values(to_date=on))
    if staff_id is not None:
        s.add(LoanOfficerAssignment(loan_id=loan.id, staff_id=staff_id, from_date=on))
    loan.loan_officer_id = staff_id


@command("loans:assign-officer", resource="loan", payload=AssignOfficer, permission="loans:update")
def assign_officer(s: Session, who: Principal, data: AssignOfficer, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, _, today = lock_loan(s, loan_id)
    if loan.status in ("rejected", "withdrawn", "closed"):
        raise conflict("loan-not-open", f"loan {loan.id} is {loan.status}")
    check_date("assigned_on", data.assigned_on, today, loan.submitted_on, "the submission on")
    _reassign(s, loan, data.staff_id, data.assigned_on)
    emit(s, "loan.officer_assigned", "loan", loan.id, {"staff_id": data.staff_id, "on": data.assigned_on})
    return loan_view(s, loan)
