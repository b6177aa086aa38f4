"""Money on an active loan: repayments, payoff, waivers, charges, write-off, refunds and reversals.

Each command locks the loan row first, so two commands on one loan run one after the other and each sees the
other's effect (two simultaneous repayments both apply, once each).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from akiba.accounting import posting as ledger
from akiba.core.errors import DomainError, at, conflict, invalid, not_found
from akiba.core.money import ZERO, quantize
from akiba.loans.allocation import component_due, strategy_for
from akiba.loans.models import Loan, LoanCharge, LoanInstallment, LoanProductCharge, LoanTransaction
from akiba.loans.queries import charge_view, transaction_view
from akiba.loans.schemas import (
    AdjustTransaction,
    ChargeAdd,
    Prepayment,
    Refund,
    Repayment,
    ReverseTransaction,
    WaiveCharge,
    WaiveInterest,
    WriteOff,
)
from akiba.loans.service.common import (
    check_after_charge_off,
    check_date,
    lock_loan,
    lock_loan_with_installments,
    lock_loans_with_installments,
    refuse_charged_off,
    require_status,
)
from akiba.loans.service.recalculation import recalculated_payoff, recalculates
from akiba.loans.service.replay import Event, Outstanding, apply_event, payoff_amounts
from akiba.loans.service.state import (
    Books,
    apply,
    books_for,
    charge_event,
    current_state,
    load_installments,
    record_split,
    settle,
    transaction_event,
)
from akiba.loans.terms import DEFAULT_STRATEGY
from akiba.platform.commands import command, emit, emit_many
from akiba.platform.context import Principal

HUNDRED = Decimal(100)


def _new_transaction(s: Session, loan: Loan, who: Principal, kind: str, on: date, amount: Decimal,
                     data: Any = None, charge_id: int | None = None) -> LoanTransaction:
    txn = LoanTransaction(loan_id=loan.id, type=kind, transaction_date=on, amount=amount, charge_id=charge_id,
                          payment_type=getattr(data, "payment_type", None), reference=getattr(data, "reference", None),
                          note=getattr(data, "note", None), created_by=who.user_id)
    s.add(txn)
    s.flush()
    return txn


def _record(s: Session, loan: Loan, books: Books, txn: LoanTransaction, event: Event) -> None:
    """Apply the transaction's event; on the fast path store its split and post it (a replay did both)."""
    applied = apply(s, loan, books, event)
    if not applied.replayed:
        record_split(txn, applied.state.splits[event.key])
        books.post_transaction(s, txn)


def _check_money_date(field: str, on: date, loan: Loan, today: date) -> None:
    assert loan.disbursed_on is not None
    check_date(field, on, today, loan.disbursed_on, "the disbursement on")
    check_after_charge_off(field, on, loan)


def _check_amount_digits(amount: Decimal, loan: Loan) -> None:
    if amount != quantize(amount, loan.digits):
        raise invalid("amount", f"must have at most {loan.digits} decimal places")


def _check_repayment(loan: Loan, data: Repayment, today: date) -> None:
    require_status(loan, "active", "overpaid")
    _check_money_date("transaction_date", data.transaction_date, loan, today)
    _check_amount_digits(data.amount, loan)


def _replayed(loan: Loan, data: Repayment) -> bool:
    """A back-dated repayment replays the loan's history; a recalculating loan's installments follow every one."""
    back_dated = loan.last_event_date is not None and data.transaction_date < loan.last_event_date
    return back_dated or recalculates(loan)


@command("loans:repay", resource="loan", payload=Repayment, status=201)
def repay(s: Session, who: Principal, data: Repayment, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, rule, today, rows = lock_loan_with_installments(s, loan_id)
    _check_repayment(loan, data, today)
    books = books_for(loan, rule, who.user_id, today)
    if _replayed(loan, data):
        txn = _new_transaction(s, loan, who, "repayment", data.transaction_date, data.amount, data)
        _record(s, loan, books, txn, transaction_event(txn))
    else:
        [txn] = _write_repayments(s, [_prepare_repayment(s, loan, books, rows, who, data)])
    emit(s, "loan.repayment", "loan", loan.id, {"transaction_id": txn.id, "amount": str(data.amount)})
    return transaction_view(txn, loan)


@dataclass(frozen=True)
class RepaymentLine:
    loan_id: int
    data: Repayment
    place: str = ""  # where the line sits in the caller's request ("repayments.3"), to name it in a refusal


def repay_lines(s: Session, who: Principal, lines: Sequence[RepaymentLine]) -> list[dict[str, Any]]:
    """Repayments on many loans (a collection sheet), each as `repay` makes it, all or none.

    The loans are locked and read in two statements, the repayments written in one round trip, their events in
    one statement and their journal entries in one, at the end. A line that needs the loan's history replayed (back-
    dated, recalculating, a second line on one loan) or a loan close of business left behind goes through `repay`
    itself, after the others."""
    found = lock_loans_with_installments(s, [line.loan_id for line in lines])
    prepared: dict[int, _Prepared] = {}
    one_by_one: list[int] = []
    for i, line in enumerate(lines):
        locked = found.get(line.loan_id)
        if (locked is None or locked.behind or _replayed(locked.loan, line.data)
                or any(p.loan.id == line.loan_id for p in prepared.values())):
            one_by_one.append(i)
            continue
        try:
            _check_repayment(locked.loan, line.data, locked.today)
        except DomainError as error:
            raise at(line.place, error) from None
        books = books_for(locked.loan, locked.accounting, who.user_id, locked.today)
        prepared[i] = _prepare_repayment(s, locked.loan, books, locked.installments, who, line.data)
    answers: dict[int, dict[str, Any]] = {}
    with ledger.postings_queued(s):
        for i, txn in zip(prepared, _write_repayments(s, list(prepared.values())), strict=True):
            answers[i] = transaction_view(txn, prepared[i].loan)
        emit_many(s, [("loan.repayment", "loan", lines[i].loan_id,
                       {"transaction_id": answers[i]["id"], "amount": str(lines[i].data.amount)}) for i in prepared])
        for i in one_by_one:
            try:
                answers[i] = repay(s, who, lines[i].data, lines[i].loan_id)
            except DomainError as error:
                raise at(lines[i].place, error) from None
    return [answers[i] for i in range(len(lines))]


# The repayment, its installments and the loan's totals in one statement (the split is computed before). Sent with
# the driver's own parameter style: a collection sheet sends it once per loan in one round trip (a pipeline).
_REPAY = """
WITH txn AS (
  INSERT INTO loan_transactions (loan_id, type, transaction_date, amount, principal, interest, fees, penalties,
                                 overpayment, interest_waived, interest_accrued, payment_type, reference, note,
                                 reversed, created_by)
  VALUES (%(loan_id)s, 'repayment', %(on)s, %(amount)s, %(principal)s, %(interest)s, %(fees)s, %(penalties)s,
          %(overpayment)s, 0, %(interest_accrued)s, %(payment_type)s, %(reference)s, %(note)s, false, %(created_by)s)
  RETURNING id
), installments AS (
  UPDATE loan_installments i
     SET paid_principal = u.principal, paid_interest = u.interest, paid_fees = u.fees, paid_penalties = u.penalties,
         in_advance = u.in_advance, late = u.late, paid_date = u.paid_date
    FROM unnest(%(ns)s::integer[], %(principals)s::numeric[], %(interests)s::numeric[], %(fees_paid)s::numeric[],
                %(penalties_paid)s::numeric[], %(in_advance)s::numeric[], %(lates)s::numeric[],
                %(paid_dates)s::date[])
         AS u(n, principal, interest, fees, penalties, in_advance, late, paid_date)
   WHERE i.loan_id = %(loan_id)s AND i.n = u.n
), accounted AS (  -- accrual products: the interest the loan has accounted for, for close of business
  INSERT INTO cob_loan_state (loan_id, as_of, accrued_interest)
  SELECT %(loan_id)s, %(today)s::date, %(recognised)s WHERE %(save_recognised)s::boolean
  ON CONFLICT (loan_id) DO UPDATE SET accrued_interest = excluded.accrued_interest
), loan AS (
  UPDATE loans SET principal_outstanding = %(principal_outstanding)s, interest_outstanding = %(interest_outstanding)s,
                   fees_outstanding = %(fees_outstanding)s, penalties_outstanding = %(penalties_outstanding)s,
                   credit_balance = %(credit_balance)s, status = %(status)s, closed_on = %(closed_on)s,
                   written_off_on = %(written_off_on)s, last_event_date = %(last_event_date)s
   WHERE id = %(loan_id)s
)
SELECT id FROM txn
"""


@dataclass(frozen=True)
class _Prepared:
    loan: Loan
    books: Books
    txn: LoanTransaction
    accrued: Any
    params: dict[str, Any]


def _prepare_repayment(s: Session, loan: Loan, books: Books, rows: list[Any], who: Principal,
                       data: Repayment) -> _Prepared:
    """A repayment dated on or after the loan's latest event: the split, the installments and the loan's totals
    computed in Python (the loan is detached, so the ORM writes nothing; `_write_repayments` does)."""
    s.expunge(loan)
    state = current_state(loan, rows)
    before = list(state.rows)
    strategy = strategy_for(loan.terms.get("transaction_processing_strategy") or DEFAULT_STRATEGY)
    split = apply_event(state, Event("t0", "repayment", data.transaction_date, data.amount), strategy, loan.digits)
    txn = LoanTransaction(loan_id=loan.id, type="repayment", transaction_date=data.transaction_date,
                          amount=data.amount, interest_waived=ZERO, interest_accrued=ZERO, charge_id=None,
                          payment_type=data.payment_type, reference=data.reference, note=data.note,
                          reversed=False, reversed_on=None, created_by=who.user_id)
    record_split(txn, split)
    accrued = books.prepare(txn)
    loan.last_event_date = max(d for d in (loan.last_event_date, data.transaction_date) if d is not None)
    settle(loan, state)
    changed = [row for old, row in zip(before, state.rows, strict=True) if old != row]
    return _Prepared(loan, books, txn, accrued, {
        "loan_id": loan.id, "on": data.transaction_date, "amount": data.amount, "principal": txn.principal,
        "interest": txn.interest, "fees": txn.fees, "penalties": txn.penalties, "overpayment": txn.overpayment,
        "interest_accrued": txn.interest_accrued, "payment_type": txn.payment_type, "reference": txn.reference,
        "note": txn.note, "created_by": txn.created_by,
        "ns": [r.n for r in changed], "principals": [r.paid_principal for r in changed],
        "interests": [r.paid_interest for r in changed], "fees_paid": [r.paid_fees for r in changed],
        "penalties_paid": [r.paid_penalties for r in changed], "in_advance": [r.in_advance for r in changed],
        "lates": [r.late for r in changed], "paid_dates": [r.paid_date for r in changed],
        "principal_outstanding": loan.principal_outstanding, "interest_outstanding": loan.interest_outstanding,
        "fees_outstanding": loan.fees_outstanding, "penalties_outstanding": loan.penalties_outstanding,
        "credit_balance": loan.credit_balance, "status": loan.status, "closed_on": loan.closed_on,
        "written_off_on": loan.written_off_on, "last_event_date": loan.last_event_date,
        "today": books.today, "recognised": books.recognised, "save_recognised": books.unsaved,
    })


def _write_repayments(s: Session, prepared: list[_Prepared]) -> list[LoanTransaction]:
    """Write prepared repayments (one statement each, sent in one round trip) and post their journal entries."""
    if not prepared:
        return []
    driver = s.connection().connection.driver_connection
    assert driver is not None, "a session in a transaction has its connection"
    with driver.cursor() as cursor:
        cursor.executemany(_REPAY, [p.params for p in prepared], returning=True)
        ids = []
        while True:
            ids.append(int(cursor.fetchone()[0]))
            if not cursor.nextset():
                break
    for p, txn_id in zip(prepared, ids, strict=True):
        p.txn.id = txn_id
        p.books.saved()
        p.books.post_prepared(s, p.txn, p.accrued)
    return [p.txn for p in prepared]


def payoff_quote(s: Session, loan: Loan, on: date) -> Outstanding:
    rows = load_installments(s, loan.id)
    quote = payoff_amounts(current_state(loan, rows), on, loan.digits)
    if recalculates(loan):  # the engine knows what interest stops at a payoff
        return recalculated_payoff(s, loan, rows, quote, on)
    return quote


@command("loans:prepay", resource="loan", payload=Prepayment, status=201, permission="loans:repay")
def prepay(s: Session, who: Principal, data: Prepayment, loan_id: int | None) -> dict[str, Any]:
    """Pay the loan off: the payoff amount of the day, with the interest not yet earned forgiven."""
    assert loan_id is not None
    loan, rule, today = lock_loan(s, loan_id)
    require_status(loan, "active")
    _check_money_date("transaction_date", data.transaction_date, loan, today)
    if loan.last_event_date is not None and data.transaction_date < loan.last_event_date:
        raise invalid("transaction_date", f"a payoff cannot precede the loan's latest event on {loan.last_event_date}")
    quote = payoff_quote(s, loan, data.transaction_date)
    if data.amount is not None and data.amount != quote.total:
        raise invalid("amount", f"the payoff amount on {data.transaction_date} is {quote.total}")
    txn = _new_transaction(s, loan, who, "prepayment", data.transaction_date, quote.total, data)
    _record(s, loan, books_for(loan, rule, who.user_id, today), txn, transaction_event(txn))
    emit(s, "loan.prepaid", "loan", loan.id, {"transaction_id": txn.id, "amount": str(quote.total)})
    return transaction_view(txn, loan)


@command("loans:waive-interest", resource="loan", payload=WaiveInterest, status=201, permission="loans:waive")
def waive_interest(s: Session, who: Principal, data: WaiveInterest, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, rule, today = lock_loan(s, loan_id)
    require_status(loan, "active")
    _check_money_date("transaction_date", data.transaction_date, loan, today)
    _check_amount_digits(data.amount, loan)
    if data.amount > loan.interest_outstanding:
        raise invalid("amount", f"must not be above the interest outstanding {loan.interest_outstanding}")
    txn = _new_transaction(s, loan, who, "waive_interest", data.transaction_date, data.amount, data)
    _record(s, loan, books_for(loan, rule, who.user_id, today), txn, transaction_event(txn))
    emit(s, "loan.interest_waived", "loan", loan.id, {"transaction_id": txn.id, "amount": str(txn.amount)})
    return transaction_view(txn, loan)


def installment_for(rows: list[LoanInstallment], due: date) -> int:
    """The installment a charge due on a date belongs to: the period containing it, else the last one."""
    for row in rows:
        if row.from_date < due <= row.due_date:
            return row.n
    return rows[0].n if due <= rows[0].from_date else rows[-1].n


@command("loans:add-charge", resource="loan", payload=ChargeAdd, status=201, permission="loans:update")
def add_charge(s: Session, who: Principal, data: ChargeAdd, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, rule, today = lock_loan(s, loan_id)
    require_status(loan, "active")
    assert loan.disbursed_on is not None
    if data.due_date < loan.disbursed_on:
        raise invalid("due_date", "must not be before the disbursement")
    check_after_charge_off("due_date", data.due_date, loan)
    _check_amount_digits(data.amount, loan)
    rows = load_installments(s, loan.id)
    charge = LoanCharge(loan_id=loan.id, name=data.name, charge_time="specified_due_date", penalty=data.penalty,
                        amount=data.amount, charged_on=data.due_date,
                        installment_n=installment_for(rows, data.due_date))
    s.add(charge)
    s.flush()
    books = books_for(loan, rule, who.user_id, today)
    apply(s, loan, books, charge_event(charge))
    books.accrue_penalty(s, charge)
    emit(s, "loan.charge_added", "loan", loan.id, {"charge_id": charge.id, "amount": str(data.amount)})
    return charge_view(charge, loan.digits)


@command("loans:waive-charge", resource="loan", payload=WaiveCharge, status=201, permission="loans:waive")
def waive_charge(s: Session, who: Principal, data: WaiveCharge, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, rule, today = lock_loan(s, loan_id)
    require_status(loan, "active")
    _check_money_date("transaction_date", data.transaction_date, loan, today)
    charge = s.get(LoanCharge, data.charge_id)
    if charge is None or charge.loan_id != loan.id or not charge.active:
        raise invalid("charge_id", f"loan {loan.id} has no charge {data.charge_id}")
    if charge.waived or charge.installment_n is None:
        raise conflict("charge-not-waivable", f"charge {charge.id} is waived already or was paid at disbursement")
    charge.waived = True
    txn = _new_transaction(s, loan, who, "waive_charge", data.transaction_date, charge.amount, charge_id=charge.id)
    _record(s, loan, books_for(loan, rule, who.user_id, today), txn, transaction_event(txn, charge))
    emit(s, "loan.charge_waived", "loan", loan.id, {"charge_id": charge.id, "transaction_id": txn.id})
    return transaction_view(txn, loan)


@command("loans:writeoff", resource="loan", payload=WriteOff, status=201)
def write_off(s: Session, who: Principal, data: WriteOff, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, rule, today = lock_loan(s, loan_id)
    require_status(loan, "active")
    refuse_charged_off(loan, "writing it off")  # its principal has left the portfolio already
    _check_money_date("transaction_date", data.transaction_date, loan, today)
    if loan.last_event_date is not None and data.transaction_date < loan.last_event_date:
        raise invalid("transaction_date", f"must not precede the loan's latest event on {loan.last_event_date}")
    txn = _new_transaction(s, loan, who, "write_off", data.transaction_date, ZERO, data)
    _record(s, loan, books_for(loan, rule, who.user_id, today), txn, transaction_event(txn))
    loan.written_off_on = data.transaction_date
    emit(s, "loan.written_off", "loan", loan.id, {"transaction_id": txn.id, "principal": str(txn.principal)})
    return transaction_view(txn, loan)


@command("loans:refund", resource="loan", payload=Refund, status=201, permission="loans:repay")
def refund(s: Session, who: Principal, data: Refund, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, rule, today = lock_loan(s, loan_id)
    require_status(loan, "overpaid")
    _check_money_date("transaction_date", data.transaction_date, loan, today)
    if data.amount > loan.credit_balance:
        raise invalid("amount", f"must not be above the credit balance {loan.credit_balance}")
    txn = _new_transaction(s, loan, who, "refund", data.transaction_date, data.amount, data)
    books_for(loan, rule, who.user_id, today).post_transaction(s, txn)
    loan.credit_balance -= data.amount
    if loan.credit_balance == 0:
        loan.status, loan.closed_on = "closed", data.transaction_date
    emit(s, "loan.refund", "loan", loan.id, {"transaction_id": txn.id, "amount": str(data.amount)})
    return transaction_view(txn, loan)


_REVERSIBLE = ("repayment", "prepayment", "waive_interest", "waive_charge", "write_off", "refund", "charge_off")


def _reverse(s: Session, loan: Loan, books: Books, transaction_id: int, today: date) -> LoanTransaction:
    txn = s.get(LoanTransaction, transaction_id)
    if txn is None or txn.loan_id != loan.id:
        raise not_found("loan-transaction", transaction_id)
    if txn.reversed:
        raise conflict("transaction-already-reversed", f"transaction {txn.id} is reversed already")
    if txn.type not in _REVERSIBLE:
        raise conflict("transaction-not-reversible", f"a {txn.type} is undone with its own command")
    if txn.type == "charge_off":
        check_charge_off_is_last(s, loan, txn)
    elif loan.charge_off_transaction_id is not None and txn.id < loan.charge_off_transaction_id:
        raise conflict("loan-charged-off", f"transaction {txn.id} precedes the loan's charge-off; undo that first")
    txn.reversed, txn.reversed_on = True, today
    books.unpost(s, txn, f"Loan transaction {txn.id} reversed")
    if txn.type == "waive_charge" and txn.charge_id is not None:
        charge = s.get(LoanCharge, txn.charge_id)
        if charge is not None:
            charge.waived = False
    return txn


def check_charge_off_is_last(s: Session, loan: Loan, txn: LoanTransaction) -> None:
    """A charge-off is undone only while no transaction (reschedules included) came after it."""
    later = s.scalar(select(LoanTransaction.id).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.reversed.is_(False), LoanTransaction.id != txn.id,
        (LoanTransaction.transaction_date > txn.transaction_date)
        | ((LoanTransaction.transaction_date == txn.transaction_date) & (LoanTransaction.id > txn.id))).limit(1))
    if later is not None:
        raise conflict("charge-off-not-last", f"transaction {later} came after the charge-off; undo it first")


def _replay_after(s: Session, loan: Loan, books: Books, on: date, reason: str) -> None:
    if loan.status == "written_off":
        loan.status = "active"  # the replay decides again whether a write-off still stands
    apply(s, loan, books, Event("t0", "repayment", on, ZERO), reason=reason)
    if loan.credit_balance < 0:
        raise conflict("refund-exceeds-credit", "the loan refunded more than its payments would then leave over")


@command("loans:reverse-transaction", resource="loan", payload=ReverseTransaction, permission="loans:reverse")
def reverse_transaction(s: Session, who: Principal, data: ReverseTransaction, loan_id: int | None) -> dict[str, Any]:
    """Undo a past transaction: its journal entries are reversed and every later one is replayed."""
    assert loan_id is not None
    loan, rule, today = lock_loan(s, loan_id)
    require_status(loan, "active", "overpaid", "closed", "written_off")
    books = books_for(loan, rule, who.user_id, today)
    txn = _reverse(s, loan, books, data.transaction_id, today)
    if txn.type == "charge_off":  # it changed no installment: nothing to replay
        loan.charged_off_on = loan.charge_off_transaction_id = None
        books.book_penalties_charged_off(s, loan, txn)
    else:
        _replay_after(s, loan, books, txn.transaction_date, f"reversal of transaction {txn.id}")
    emit(s, "loan.transaction_reversed", "loan", loan.id, {"transaction_id": txn.id})
    return transaction_view(txn, loan)


@command("loans:adjust-transaction", resource="loan", payload=AdjustTransaction, status=201,
         permission="loans:reverse")
def adjust_transaction(s: Session, who: Principal, data: AdjustTransaction, loan_id: int | None) -> dict[str, Any]:
    """Replace a repayment by another date or amount: a reversal and a new repayment, later ones replayed."""
    assert loan_id is not None
    loan, rule, today = lock_loan(s, loan_id)
    require_status(loan, "active", "overpaid", "closed")
    _check_money_date("transaction_date", data.transaction_date, loan, today)
    _check_amount_digits(data.amount, loan)
    books = books_for(loan, rule, who.user_id, today)
    old = _reverse(s, loan, books, data.transaction_id, today)
    if old.type != "repayment":
        raise conflict("transaction-not-adjustable", "only repayments are adjusted; reverse the others")
    new = _new_transaction(s, loan, who, "repayment", data.transaction_date, data.amount, data)
    new.payment_type, new.reference = old.payment_type, old.reference
    _replay_after(s, loan, books, min(old.transaction_date, new.transaction_date), f"adjustment of {old.id}")
    emit(s, "loan.transaction_adjusted", "loan", loan.id, {"reversed_id": old.id, "transaction_id": new.id})
    return transaction_view(new, loan)


# --- close of business ------------------------------------------------------------------------------------------


def _overdue_candidates(s: Session, as_of: date, loan_ids: list[int] | None) -> list[Any]:
    stmt = (
        select(LoanInstallment, LoanProductCharge)
        .join(Loan, Loan.id == LoanInstallment.loan_id)
        .join(LoanProductCharge, (LoanProductCharge.product_id == Loan.product_id)
              & (LoanProductCharge.charge_time == "overdue_installment"))
        .where(Loan.status == "active", LoanInstallment.paid_date.is_(None), LoanInstallment.due_date < as_of)
        .where(~select(LoanCharge.id).where(
            LoanCharge.loan_id == LoanInstallment.loan_id, LoanCharge.installment_n == LoanInstallment.n,
            LoanCharge.product_charge_id == LoanProductCharge.id).exists())
        .order_by(LoanInstallment.loan_id, LoanInstallment.n)
    )
    if loan_ids is not None:
        stmt = stmt.where(Loan.id.in_(loan_ids))
    return list(s.execute(stmt).all())


def apply_overdue_penalties(s: Session, as_of: date, loan_ids: list[int] | None = None) -> int:
    """Close of business: charge each product's late payment penalty once per installment overdue past its
    grace days on `as_of`. Running it twice for a day charges nothing twice. Answers the number charged."""
    charged = 0
    by_loan: dict[int, list[Any]] = {}
    for row in _overdue_candidates(s, as_of, loan_ids):
        by_loan.setdefault(row[0].loan_id, []).append(row)
    for loan_id, rows in by_loan.items():
        loan, rule, today = lock_loan(s, loan_id, inline_close=False)  # close of business calls this
        books = books_for(loan, rule, None, today)
        for installment, definition in rows:
            penalty_day = installment.due_date + timedelta(days=definition.grace_days + 1)
            if penalty_day > as_of:
                continue
            overdue = component_due(current_state(loan, [installment]).rows[0], "principal") + \
                component_due(current_state(loan, [installment]).rows[0], "interest")
            amount = definition.amount if definition.calculation == "flat" else \
                quantize(overdue * definition.amount / HUNDRED, loan.digits, ROUND_HALF_EVEN)
            if amount <= 0:
                continue
            charge = LoanCharge(loan_id=loan.id, product_charge_id=definition.id, name=definition.name,
                                charge_time="overdue_installment", penalty=True, amount=amount,
                                charged_on=penalty_day, installment_n=installment.n)
            s.add(charge)
            s.flush()
            apply(s, loan, books, charge_event(charge))
            books.accrue_penalty(s, charge)
            charged += 1
    return charged


__all__ = ["DomainError", "apply_overdue_penalties", "payoff_quote"]
