"""Disbursement: the schedule is fixed, installments stored, cash leaves the fund source; and its undo."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from akiba.accounting.posting import Leg, post_entry
from akiba.core.errors import invalid
from akiba.core.money import ZERO, quantize
from akiba.loans import postings
from akiba.loans.models import Loan, LoanCharge, LoanInstallment, LoanProductCharge, LoanTransaction
from akiba.loans.queries import loan_view
from akiba.loans.schedule import ScheduleRequest, down_payment_amount, generate_schedule
from akiba.loans.schemas import Disburse, Note
from akiba.loans.service.common import (
    check_date,
    due_date_adjuster,
    lock_loan,
    refuse_charged_off,
    require_status,
    schedule_request,
)
from akiba.loans.service.products import product_charges
from akiba.loans.service.replay import Event
from akiba.loans.service.state import (
    ACCRUAL_SOURCE,
    Books,
    apply,
    books_for,
    current_state,
    load_installments,
    record_split,
    settle,
)
from akiba.loans.terms import Installment
from akiba.platform.commands import command, emit
from akiba.platform.context import Principal

HUNDRED = Decimal(100)


def _percent(base: Decimal, percent: Decimal, digits: int) -> Decimal:
    # A percentage charge is rounded once, half-even to the currency, where it is computed.
    return quantize(base * percent / HUNDRED, digits, ROUND_HALF_EVEN)


def installment_fee(charges: list[LoanProductCharge], row: Installment, digits: int) -> Decimal:
    if row.is_down_payment:
        return ZERO
    total = ZERO
    for c in charges:
        if c.charge_time == "installment":
            total += c.amount if c.calculation == "flat" else _percent(row.principal + row.interest, c.amount, digits)
    return total


def _disbursement_fees(s: Session, loan: Loan, charges: list[LoanProductCharge], amount: Decimal) -> Decimal:
    total = ZERO
    for c in charges:
        if c.charge_time != "disbursement":
            continue
        fee = c.amount if c.calculation == "flat" else _percent(amount, c.amount, loan.digits)
        s.add(LoanCharge(loan_id=loan.id, product_charge_id=c.id, name=c.name, charge_time=c.charge_time,
                         penalty=c.penalty, amount=fee, charged_on=loan.disbursed_on))
        total += fee
    if total >= amount:
        raise invalid("amount", "the disbursement fees would take the whole amount")
    return total


def _store_installments(s: Session, loan: Loan, rows: tuple[Installment, ...],
                        charges: list[LoanProductCharge]) -> None:
    values = []
    for r in rows:
        fee = installment_fee(charges, r, loan.digits)
        values.append({"loan_id": loan.id, "n": r.n, "from_date": r.from_date, "due_date": r.due_date,
                       "down_payment": r.is_down_payment, "principal": r.principal, "interest": r.interest,
                       "outstanding_after": r.outstanding_after, "scheduled_fees": fee, "fees": fee})
    s.execute(insert(LoanInstallment), values)


def _transaction(loan: Loan, who: Principal, kind: str, data: Any, amount: Decimal) -> LoanTransaction:
    return LoanTransaction(loan_id=loan.id, type=kind, transaction_date=getattr(data, "transaction_date", None)
                           or data.disbursed_on, amount=amount, payment_type=getattr(data, "payment_type", None),
                           reference=getattr(data, "reference", None), note=getattr(data, "note", None),
                           created_by=who.user_id)


@command("loans:disburse", resource="loan", payload=Disburse)
def disburse_loan(s: Session, who: Principal, data: Disburse, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, rule, today = lock_loan(s, loan_id)
    require_status(loan, "approved")
    assert loan.approved_on is not None and loan.approved_principal is not None
    check_date("disbursed_on", data.disbursed_on, today, loan.approved_on, "the approval on")
    amount = data.amount or loan.approved_principal
    if amount > loan.approved_principal:
        raise invalid("amount", f"must not be above the approved principal {loan.approved_principal}")
    req = schedule_request(loan, amount, data.disbursed_on)
    schedule = generate_schedule(req, due_date_adjuster(s, loan.office_id))
    charges = product_charges(s, loan.product_id)
    loan.status, loan.disbursed_on, loan.disbursed_principal = "active", data.disbursed_on, amount
    loan.last_event_date = data.disbursed_on
    _store_installments(s, loan, schedule.installments, charges)
    fees = _disbursement_fees(s, loan, charges, amount)
    txn = _transaction(loan, who, "disbursement", data, amount)
    txn.fees = fees
    s.add(txn)
    s.flush()
    books = books_for(loan, rule, who.user_id, today)
    if rule.rule != "none":
        books.post(s, txn, postings.disbursement(books.mapping(s), amount, fees))
    if not _auto_down_payment(s, loan, books, req, who):
        settle(loan, current_state(loan, load_installments(s, loan.id)))
    emit(s, "loan.disbursed", "loan", loan.id, {"amount": str(amount), "disbursed_on": data.disbursed_on})
    return loan_view(s, loan)


def _auto_down_payment(s: Session, loan: Loan, books: Books, req: ScheduleRequest, who: Principal) -> bool:
    """A product with an automatic down payment collects it at disbursement, as a repayment of its own."""
    if req.down_payment is None or not req.down_payment.auto_repayment:
        return False
    amount = down_payment_amount(req)
    if amount <= 0:
        return False
    txn = LoanTransaction(loan_id=loan.id, type="repayment", transaction_date=loan.disbursed_on, amount=amount,
                          note="down payment", created_by=who.user_id)
    s.add(txn)
    s.flush()
    applied = apply(s, loan, books, Event(f"t{txn.id}", "repayment", txn.transaction_date, amount))
    if not applied.replayed:  # a replay (interest recalculation) recorded and posted it already
        record_split(txn, applied.state.splits[f"t{txn.id}"])
        books.post_transaction(s, txn)
    return True


@command("loans:undo-disbursal", resource="loan", payload=Note, permission="loans:disburse")
def undo_disbursal(s: Session, who: Principal, data: Note, loan_id: int | None) -> dict[str, Any]:
    """Back to approved: every transaction is reversed (journal reversals) and the schedule dropped."""
    assert loan_id is not None
    loan, rule, today = lock_loan(s, loan_id)
    require_status(loan, "active", "overpaid")
    refuse_charged_off(loan, "undoing its disbursal")
    books = books_for(loan, rule, who.user_id, today)
    txns = s.scalars(select(LoanTransaction).where(LoanTransaction.loan_id == loan.id,
                                                   LoanTransaction.reversed.is_(False)))
    for txn in txns:
        books.unpost(s, txn, "Disbursal undone")
        txn.reversed, txn.reversed_on = True, today
    _undo_accruals(s, loan, books, today)
    s.execute(delete(LoanInstallment).where(LoanInstallment.loan_id == loan.id))
    s.execute(update(LoanCharge).where(LoanCharge.loan_id == loan.id).values(active=False))
    loan.status, loan.disbursed_on, loan.disbursed_principal, loan.last_event_date = "approved", None, None, None
    loan.principal_outstanding = loan.interest_outstanding = ZERO
    loan.fees_outstanding = loan.penalties_outstanding = loan.credit_balance = ZERO
    emit(s, "loan.disbursal_undone", "loan", loan.id, {"note": data.note})
    return loan_view(s, loan)


def _undo_accruals(s: Session, loan: Loan, books: Books, today: date) -> None:
    """Accrual accounting: with every transaction unposted, take back the interest close of business accrued
    and the penalties booked when charged (their entries are shared by many loans, so they are not reversed)."""
    if not books.accrual:
        return
    penalties = s.scalar(select(func.coalesce(func.sum(LoanCharge.amount), 0)).where(
        LoanCharge.loan_id == loan.id, LoanCharge.penalty.is_(True), LoanCharge.active.is_(True),
        LoanCharge.installment_n.is_not(None))) or ZERO
    mapping = books.mapping(s)
    lines = [*postings.interest_accrual(mapping, -books.receivable),
             postings.Line(mapping["penalty_income"], "debit", Decimal(penalties)),
             postings.Line(mapping["penalty_receivable"], "credit", Decimal(penalties))]
    kept = [ln for ln in lines if ln.amount != 0]
    if kept:
        post_entry(s, office_id=loan.office_id, currency=loan.currency, transaction_date=today, source=ACCRUAL_SOURCE,
                   source_id=loan.id, legs=[Leg(ln.gl_account_id, ln.side, ln.amount) for ln in kept],
                   description=f"Loan {loan.id} accruals taken back: disbursal undone", created_by=books.created_by)
    books.receivable = books.recognised = ZERO
    books.save(s)
