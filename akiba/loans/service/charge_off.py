"""Charge-off: the loan stays active and collectable, but what it owes leaves the portfolio for the charge-off
expense (as Fineract's charge-off, unlike a write-off, which ends the loan); a charge-off for fraud (reason code
"fraud") goes to the fraud charge-off expense. Repayments after it post the principal they settle to recovery
income and the interest and charges to the income from charge-off accounts (`Books.recovers`); undoing it is the
reversal of its transaction, allowed while it is the loan's latest (`payments.reverse_transaction`).

Under accrual accounting (as Fineract's AccrualBasedAccountingProcessorForLoan) the charge-off also moves the
interest accrued and the penalties booked out of their receivables into the income from charge-off interest and
penalties; close of business then accrues nothing for the loan, and its penalties are income when paid. Undoing the
charge-off puts the receivables back, books the penalties charged meanwhile, and the next close catches up the
interest earned while it stood."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from akiba.loans.models import LoanTransaction
from akiba.loans.queries import transaction_view
from akiba.loans.schemas import ChargeOff
from akiba.loans.service.common import check_date, lock_loan, refuse_charged_off, require_status
from akiba.loans.service.state import books_for
from akiba.platform.commands import command, emit
from akiba.platform.context import Principal

FRAUD = "fraud"  # the reason code of a charge-off for fraud


@command("loans:charge-off", resource="loan", payload=ChargeOff, status=201)
def charge_off(s: Session, who: Principal, data: ChargeOff, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, accounting, today = lock_loan(s, loan_id)
    require_status(loan, "active")
    refuse_charged_off(loan, "charging it off again")
    latest = s.scalar(select(func.max(LoanTransaction.transaction_date)).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.reversed.is_(False)))
    check_date("transaction_date", data.transaction_date, today, latest, "the loan's latest transaction on")
    txn = LoanTransaction(
        loan_id=loan.id, type="charge_off", transaction_date=data.transaction_date, note=data.reason,
        amount=loan.principal_outstanding + loan.interest_outstanding + loan.fees_outstanding
        + loan.penalties_outstanding, principal=loan.principal_outstanding, interest=loan.interest_outstanding,
        fees=loan.fees_outstanding, penalties=loan.penalties_outstanding, created_by=who.user_id)
    s.add(txn)
    s.flush()
    books_for(loan, accounting, who.user_id, today).post_transaction(s, txn, fraud=data.reason_code == FRAUD)
    loan.charged_off_on, loan.charge_off_transaction_id = data.transaction_date, txn.id
    emit(s, "loan.charged_off", "loan", loan.id, {"transaction_id": txn.id, "principal": str(txn.principal),
                                                  "reason_code": data.reason_code})
    return transaction_view(txn, loan)
