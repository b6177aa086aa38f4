"""Reschedule: the installments due on or after a date are computed anew by the schedule engine the loan was built
with, from the principal they carry, with a new rate, term, first due date or grace on principal.

Fineract does this through a reschedule request that a second person approves; here it is one command with a
permission of its own (loans:reschedule), so maker-checker can be turned on for it alone (PUT
/api/v1/maker-checker/loans:reschedule). Installments with anything paid or waived are never changed. Nothing is
posted under cash accounting: a reschedule changes interest still to be earned, not the books (under accrual
accounting the interest accrued for the running period is trued up if its installment's interest changed).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from akiba.core.errors import conflict, invalid
from akiba.core.money import ZERO
from akiba.loans.models import Loan, LoanCharge, LoanInstallment, LoanTransaction
from akiba.loans.queries import loan_view
from akiba.loans.schedule import MAX_TERM, ScheduleRequest, generate_schedule
from akiba.loans.schemas import Reschedule
from akiba.loans.service.common import due_date_adjuster, lock_loan, require_status, schedule_request
from akiba.loans.service.disbursement import installment_fee
from akiba.loans.service.payments import installment_for
from akiba.loans.service.products import product_charges
from akiba.loans.service.recalculation import recalculates
from akiba.loans.service.state import books_for, current_state, load_installments, settle
from akiba.platform.commands import command, emit
from akiba.platform.context import Principal

# A bound on how far a first due date may move keeps every later due date a valid date.
_LONGEST_SHIFT = timedelta(days=3660)


def _untouched(row: LoanInstallment) -> bool:
    return all(v == ZERO for v in (row.paid_principal, row.paid_interest, row.paid_fees, row.paid_penalties,
                                   row.waived_interest, row.waived_fees, row.waived_penalties, row.in_advance))


def _split_at(rows: list[LoanInstallment], from_date: date) -> tuple[list[LoanInstallment], list[LoanInstallment]]:
    """The installments kept and those to compute anew (due on or after `from_date`, all unpaid)."""
    first = next((i for i, r in enumerate(rows) if not r.down_payment and r.due_date >= from_date), None)
    if first is None:
        raise invalid("from_date", "no installment is due on or after it")
    for row in rows[first:]:
        if not _untouched(row):
            raise invalid("from_date", f"installment {row.n} due on {row.due_date.isoformat()} has payments or "
                                       "waivers; reschedule from a later date")
    return rows[:first], rows[first:]


def _count_after(data: Reschedule, kept_repayments: int, changed: int) -> int:
    """How many installments replace the changed ones."""
    if data.extra_terms is not None and data.new_number_of_repayments is not None:
        raise invalid("extra_terms", "give extra_terms or new_number_of_repayments, not both")
    if data.new_number_of_repayments is not None:
        if data.new_number_of_repayments <= kept_repayments:
            raise invalid("new_number_of_repayments", f"must be more than the {kept_repayments} installments kept")
        return data.new_number_of_repayments - kept_repayments
    return changed + (data.extra_terms or 0)


def _request(loan: Loan, data: Reschedule, start: date, kept_repayments: int,
             changed: list[LoanInstallment]) -> ScheduleRequest:
    """The engine's request for the rest of the loan: its own terms, from `start` (the last kept due date or the
    disbursement), for the principal the changed installments carry."""
    if not any(v is not None for v in (data.new_interest_rate, data.extra_terms, data.new_number_of_repayments,
                                       data.new_first_due_date, data.grace_on_principal)):
        raise invalid("from_date", "name at least one change: new_interest_rate, extra_terms, "
                                   "new_number_of_repayments, new_first_due_date or grace_on_principal")
    count = _count_after(data, kept_repayments, len(changed))
    if count > MAX_TERM:
        raise invalid("extra_terms" if data.extra_terms is not None else "new_number_of_repayments",
                      f"the installments rescheduled must be at most {MAX_TERM}")
    grace = data.grace_on_principal or 0
    if grace >= count:
        raise invalid("grace_on_principal", f"must be less than the {count} installments rescheduled")
    first_due = data.new_first_due_date or changed[0].due_date
    if first_due <= start:
        raise invalid("new_first_due_date", f"must be after {start.isoformat()}, the due date before it")
    if first_due > start + _LONGEST_SHIFT:
        raise invalid("new_first_due_date", f"must be within {_LONGEST_SHIFT.days} days of {start.isoformat()}")
    principal = sum((r.principal for r in changed), ZERO)
    if principal <= 0:
        raise invalid("from_date", "the installments from it carry no principal to reschedule")
    base = schedule_request(loan, principal, start)
    # The original down payment and grace on interest belonged to the start of the loan, not to its rest.
    return replace(base, number_of_repayments=count, first_repayment_date=first_due, grace_on_principal=grace,
                   grace_on_interest=0, down_payment=None,
                   annual_interest_rate=(base.annual_interest_rate if data.new_interest_rate is None
                                         else data.new_interest_rate))


def _new_rows(s: Session, loan: Loan, req: ScheduleRequest, first_n: int) -> list[LoanInstallment]:
    charges = product_charges(s, loan.product_id)
    rows = []
    for k, r in enumerate(generate_schedule(req, due_date_adjuster(s, loan.office_id)).installments):
        fee = installment_fee(charges, r, loan.digits)
        rows.append(LoanInstallment(loan_id=loan.id, n=first_n + k, from_date=r.from_date, due_date=r.due_date,
                                    down_payment=False, principal=r.principal, interest=r.interest,
                                    outstanding_after=r.outstanding_after, scheduled_fees=fee, fees=fee,
                                    penalties=ZERO))
    return rows


def _rehome_charges(s: Session, loan: Loan, first_n: int, rows: list[LoanInstallment]) -> None:
    """Charges on the changed installments move to the new installment whose period holds their date."""
    charges = s.scalars(select(LoanCharge).where(LoanCharge.loan_id == loan.id, LoanCharge.active.is_(True),
                                                 LoanCharge.installment_n >= first_n))
    by_n = {r.n: r for r in rows}
    for charge in charges:
        charge.installment_n = installment_for(rows, charge.charged_on)
        row = by_n[charge.installment_n]
        if charge.penalty:
            row.penalties += charge.amount
        else:
            row.fees += charge.amount


def _describe(data: Reschedule, loan: Loan, old: list[LoanInstallment], new: list[LoanInstallment]) -> str:
    rate = f", rate {loan.annual_interest_rate.normalize():f}%" if data.new_interest_rate is not None else ""
    return (f"installments from {old[0].due_date.isoformat()}: {len(old)} -> {len(new)}, first due "
            f"{new[0].due_date.isoformat()}{rate}" + (f"; {data.note}" if data.note else ""))[:500]


@command("loans:reschedule", resource="loan", payload=Reschedule)
def reschedule(s: Session, who: Principal, data: Reschedule, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, accounting, today = lock_loan(s, loan_id)
    require_status(loan, "active")
    if recalculates(loan):  # its installments are rebuilt from its terms at every payment: a reschedule would not last
        raise conflict("loan-recalculates-interest",
                       f"loan {loan.id} recalculates its interest from its payments; it cannot be rescheduled")
    assert loan.disbursed_on is not None
    # Built before the installments change: it derives the interest settled so far from the schedule as read.
    books = books_for(loan, accounting, who.user_id, today)
    rows = load_installments(s, loan.id)
    kept, changed = _split_at(rows, data.from_date)
    start = kept[-1].due_date if kept else loan.disbursed_on
    req = _request(loan, data, start, sum(1 for r in kept if not r.down_payment), changed)
    new = _new_rows(s, loan, req, changed[0].n)
    for row in changed:
        s.delete(row)
    s.flush()
    s.add_all(new)
    _rehome_charges(s, loan, changed[0].n, new)
    loan.annual_interest_rate = req.annual_interest_rate
    loan.number_of_repayments = sum(1 for r in [*kept, *new] if not r.down_payment)
    s.flush()
    every = load_installments(s, loan.id)
    settle(loan, current_state(loan, every))
    books.true_up(s, loan, every)
    txn = LoanTransaction(loan_id=loan.id, type="reschedule", transaction_date=today, amount=ZERO,
                          note=_describe(data, loan, changed, new), created_by=who.user_id)
    s.add(txn)
    s.flush()
    emit(s, "loan.rescheduled", "loan", loan.id, {
        "transaction_id": txn.id, "from_date": data.from_date, "installments_before": len(changed),
        "installments_after": len(new), "annual_interest_rate": str(req.annual_interest_rate)})
    return loan_view(s, loan)

