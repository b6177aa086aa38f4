"""Interest recalculation on a real loan: its installments rebuilt from the repayments actually made.

A loan whose terms carry `interest_recalculation` (declining balance, interest-bearing) does not keep the schedule
fixed at disbursement: after every event the pure engine (`akiba.loans.recalculation`) recomputes the
installments from the loan's live repayments as of the business date, exactly as the schedule preview does with
the same transactions and `as_of`. The caller then replays every event over the new installments (the replay
engine of `state.py`), so each transaction's split follows the new schedule, and any transaction whose split moved
has its journal entries reversed and posted again: under cash accounting interest income is always the interest
actually paid. Loans without recalculation never come here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from akiba.core.money import ZERO
from akiba.loans.models import Loan, LoanCharge, LoanInstallment, LoanTransaction
from akiba.loans.recalculation import recalculated_preview
from akiba.loans.schedule import generate_schedule
from akiba.loans.service.replay import Outstanding
from akiba.loans.terms import DEFAULT_STRATEGY, Installment, Schedule, Transaction

# The transactions that pay the loan: the engine sees each as a repayment of its amount on its date.
_PAYING_TYPES = ("repayment", "prepayment")


def recalculates(loan: Loan) -> bool:
    """Whether the loan's interest is recalculated: as the schedule preview decides, from its terms alone (no SQL)."""
    return (loan.terms.get("interest_recalculation") is not None
            and loan.terms.get("interest_type", "declining_balance") == "declining_balance"
            and loan.annual_interest_rate > 0)


def engine_transactions(txns: list[LoanTransaction]) -> list[Transaction]:
    """The live payments of the loan as the engine's repayments, in date order (as the preview sorts them)."""
    paying = [t for t in txns if t.type in _PAYING_TYPES and not t.reversed and t.amount > 0]
    return [Transaction("repayment", t.transaction_date, t.amount)
            for t in sorted(paying, key=lambda t: (t.transaction_date, t.id))]


def recalculated_schedule(s: Session, loan: Loan, txns: list[LoanTransaction], as_of: date) -> Schedule:
    """The loan's schedule given its payments as of `as_of`: the preview's answer for the same request.

    With no payment the preview answers the schedule as disbursed, so this does too (a reversal of the only
    repayment brings the disbursement schedule back)."""
    from akiba.loans.service.common import due_date_adjuster, schedule_request
    from akiba.loans.service.reschedule import rescheduled_schedule

    assert loan.disbursed_on is not None and loan.disbursed_principal is not None
    req = replace(schedule_request(loan, loan.disbursed_principal, loan.disbursed_on), as_of=as_of)
    adjust = due_date_adjuster(s, loan.office_id)
    transactions = engine_transactions(txns)
    rescheduled = rescheduled_schedule(s, loan, req, transactions, adjust)  # its terms from each reschedule on
    if rescheduled is not None:
        return rescheduled
    if not transactions:
        return generate_schedule(req, adjust)
    return recalculated_preview(req, transactions, adjust)


def rebuild_installments(s: Session, loan: Loan, rows: list[LoanInstallment], txns: list[LoanTransaction],
                         charges: list[LoanCharge], as_of: date) -> list[LoanInstallment]:
    """Store the recalculated schedule's due amounts on the loan's installments (paid amounts are left to the
    replay that follows): rows are updated in place, added when the schedule grew back, deleted when it shrank."""
    from akiba.loans.service.disbursement import installment_fee
    from akiba.loans.service.products import product_charges

    schedule = recalculated_schedule(s, loan, txns, as_of)
    product_fees = product_charges(s, loan.product_id)
    stored = {row.n: row for row in rows}
    rebuilt = [_store_row(s, loan, stored.pop(new.n, None), new, installment_fee(product_fees, new, loan.digits))
               for new in schedule.installments]
    for gone in stored.values():
        s.delete(gone)
    last = rebuilt[-1].n
    for charge in charges:  # a charge on an installment the recalculation dropped moves to the last one
        if charge.installment_n is not None and charge.installment_n > last:
            charge.installment_n = last
    return rebuilt


def _store_row(s: Session, loan: Loan, row: LoanInstallment | None, new: Installment,
               fee: Decimal) -> LoanInstallment:
    due = {"from_date": new.from_date, "due_date": new.due_date, "down_payment": new.is_down_payment,
           "principal": new.principal, "interest": new.interest, "outstanding_after": new.outstanding_after,
           "scheduled_fees": fee}
    if row is None:
        # A fresh row: the replay writes fees, penalties, paid, waived and timing amounts.
        row = LoanInstallment(loan_id=loan.id, n=new.n, **due, fees=fee, penalties=ZERO)
        s.add(row)
        return row
    for name, value in due.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    return row


def recalculated_payoff(s: Session, loan: Loan, rows: list[LoanInstallment], quote: Outstanding,
                        on: date) -> Outstanding:
    """The payoff on `on` of a recalculating loan: the principal and interest left once the schedule is
    recalculated for a payoff that day (interest runs to the payment and stops, and earlier payments split anew).

    The engine is asked with one more payment on `on` larger than anything owed (the disbursed principal plus all
    interest scheduled): a payment clears the balance from its date whatever its size, so the schedule it answers
    is the one the payoff itself will produce. The loan's own payments are then applied to that schedule, and
    what they leave is the quote. Charges are as the loan's payoff rules give them (`quote`)."""
    from akiba.loans.schedule import replay
    from akiba.loans.service.common import business_date

    txns = list(s.scalars(select(LoanTransaction).where(LoanTransaction.loan_id == loan.id,
                                                        LoanTransaction.reversed.is_(False))))
    assert loan.disbursed_principal is not None
    ample = loan.disbursed_principal + sum((r.interest for r in rows), ZERO)
    settling = LoanTransaction(type="repayment", transaction_date=on, amount=ample, reversed=False, id=0)
    # As of the day the payoff would be recalculated at: its date, or the business date if later.
    schedule = recalculated_schedule(s, loan, [*txns, settling], max(on, business_date(s)))
    unpaid = replace(schedule, installments=tuple(_unpaid(r) for r in schedule.installments))
    paid = replay(unpaid, engine_transactions(txns), loan.terms.get("transaction_processing_strategy")
                  or DEFAULT_STRATEGY).installments
    waived = sum((r.waived_interest for r in rows), ZERO)
    principal = sum((r.principal - r.paid_principal for r in paid), ZERO)
    interest = sum((r.interest - r.paid_interest for r in paid), ZERO) - waived
    return Outstanding(principal, max(interest, ZERO), quote.fees, quote.penalties)


def _unpaid(row: Installment) -> Installment:
    return replace(row, paid_principal=ZERO, paid_interest=ZERO, paid_fees=ZERO, paid_penalties=ZERO,
                   in_advance=ZERO, late=ZERO, paid_date=None)
