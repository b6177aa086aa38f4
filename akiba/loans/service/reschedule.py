"""Reschedule: the installments due on or after a date are computed anew by the schedule engine the loan was built
with, from the principal they carry, with a new rate, term, first due date or grace on principal.

Fineract does this through a reschedule request that a second person approves; here it is one command with a
permission of its own (loans:reschedule), so maker-checker can be turned on for it alone (PUT
/api/v1/maker-checker/loans:reschedule). Installments with anything paid or waived are never changed. Nothing is
posted under cash accounting: a reschedule changes interest still to be earned, not the books (under accrual
accounting the interest accrued for the running period is trued up if its installment's interest changed).

Each reschedule is recorded (`LoanReschedule`, beside its zero `reschedule` transaction) with what the loan had
before: its rate, number of repayments, the installments replaced and the installments its charges were on.

Undo (POST /loans/{id}/reschedule/undo, command and permission loans:reschedule-undo, maker-checker capable on its
own) takes back the latest reschedule not undone, as Fineract lets a reschedule request be rejected: allowed while
nothing happened on the loan since (no transaction made or reversed, no charge added), it puts back exactly the
installments replaced (dates, principal, interest, fees), the rate and the number of repayments, marks the
reschedule transaction reversed and reverses the accrual true-up entry the reschedule posted. An earlier reschedule
can be undone after the later one.

A loan that recalculates its interest rebuilds its installments from its terms and payments after every event, so
a reschedule of such a loan (cumulative or progressive schedule) changes the terms the rebuild uses, as
Fineract's reschedule adds term variations to the loan that each regeneration of its schedule applies: from the
first rescheduled installment on, the installments are those of the reschedule's rate, number of
installments, first due date and grace on principal for the principal the kept installments leave, recalculated
from the payments by the same rules (`akiba.loans.rescheduled`). The reschedule itself is such a rebuild as of the
business date; an undo drops the reschedule's terms and rebuilds the installments the same way. Principal paid
ahead before a reschedule's start carries over as a lower balance to reschedule (the new installments are
computed for it), not as a credit on particular installments.

On a progressive schedule the reschedule is an event of the loan's one interest model, as Fineract's
ProgressiveEMICalculator takes a rate change or added periods (`akiba.loans.rescheduled`): the new rate counts from
the start of the first rescheduled period (the last kept due date; a rate change in the middle of a period, which
Fineract allows, is not offered, as `from_date` names installments), the EMI of the rescheduled periods is that of
a progressive loan of the principal the kept periods leave, over the new number of periods, first due date and
grace on principal; the kept periods keep their EMIs, and later payments move interest across the whole model.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from akiba.accounting.models import JournalEntry
from akiba.accounting.posting import reverse_entry
from akiba.core.errors import conflict, invalid
from akiba.core.money import ZERO
from akiba.loans.dates import DueDateAdjuster
from akiba.loans.models import Loan, LoanCharge, LoanInstallment, LoanReschedule, LoanTransaction
from akiba.loans.queries import loan_view
from akiba.loans.rescheduled import Segment, rescheduled_preview
from akiba.loans.schedule import MAX_TERM, ScheduleRequest, generate_schedule
from akiba.loans.schemas import Note, Reschedule
from akiba.loans.service.common import due_date_adjuster, lock_loan, require_status, schedule_request
from akiba.loans.service.disbursement import installment_fee
from akiba.loans.service.payments import installment_for
from akiba.loans.service.products import product_charges
from akiba.loans.service.recalculation import recalculates
from akiba.loans.service.replay import Event
from akiba.loans.service.state import (
    ACCRUAL_SOURCE,
    Books,
    apply,
    books_for,
    current_state,
    load_installments,
    settle,
)
from akiba.loans.terms import Schedule, Transaction
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


def _describe(data: Reschedule, loan: Loan, old: list[LoanInstallment], req: ScheduleRequest) -> str:
    rate = f", rate {loan.annual_interest_rate.normalize():f}%" if data.new_interest_rate is not None else ""
    return (f"installments from {old[0].due_date.isoformat()}: {len(old)} -> {req.number_of_repayments}, first due "
            f"{req.first_repayment_date.isoformat() if req.first_repayment_date else ''}{rate}"
            + (f"; {data.note}" if data.note else ""))[:500]


# What an undo puts back of each installment a reschedule replaced (nothing was paid or waived of them).
_SNAPSHOT_COLUMNS = ("n", "from_date", "due_date", "down_payment", "principal", "interest", "outstanding_after",
                     "scheduled_fees", "fees", "penalties")
_DATE_COLUMNS = ("from_date", "due_date")
_MONEY_COLUMNS = ("principal", "interest", "outstanding_after", "scheduled_fees", "fees", "penalties")


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


def _snapshot(s: Session, loan: Loan, changed: list[LoanInstallment]) -> dict[str, Any]:
    """What an undo needs to put the loan back: its terms, the installments replaced, where its charges sit, and
    its live transactions (one reversed later means the loan changed since)."""
    charges = s.execute(select(LoanCharge.id, LoanCharge.installment_n).where(
        LoanCharge.loan_id == loan.id, LoanCharge.active.is_(True)))
    live = s.scalars(select(LoanTransaction.id).where(LoanTransaction.loan_id == loan.id,
                                                      LoanTransaction.reversed.is_(False)))
    return {"annual_interest_rate": str(loan.annual_interest_rate), "number_of_repayments": loan.number_of_repayments,
            "installments": [{c: _json(getattr(row, c)) for c in _SNAPSHOT_COLUMNS} for row in changed],
            "charges": {str(charge_id): n for charge_id, n in charges}, "transactions": sorted(live)}


def _changes(req: ScheduleRequest) -> dict[str, Any]:
    assert req.first_repayment_date is not None
    return {"annual_interest_rate": str(req.annual_interest_rate), "number_of_repayments": req.number_of_repayments,
            "first_repayment_date": req.first_repayment_date.isoformat(),
            "grace_on_principal": req.grace_on_principal}


def _replace_installments(s: Session, loan: Loan, req: ScheduleRequest, changed: list[LoanInstallment]) -> None:
    """A loan with a fixed schedule: the changed installments give way to the new ones."""
    new = _new_rows(s, loan, req, changed[0].n)
    for row in changed:
        s.delete(row)
    s.flush()
    s.add_all(new)
    _rehome_charges(s, loan, changed[0].n, new)


def _settle_and_true_up(s: Session, loan: Loan, books: Books) -> None:
    every = load_installments(s, loan.id)
    settle(loan, current_state(loan, every))
    books.true_up(s, loan, every)


def _rebuild(s: Session, loan: Loan, books: Books, today: date, reason: str) -> None:
    """A recalculating loan: its installments rebuilt from its terms (its reschedules included) and payments."""
    apply(s, loan, books, Event("t0", "repayment", today, ZERO), reason=reason)


def _latest_accrual_entry(s: Session, loan: Loan) -> int | None:
    return s.scalar(select(func.max(JournalEntry.id)).where(JournalEntry.source == ACCRUAL_SOURCE,
                                                            JournalEntry.source_id == loan.id))


@command("loans:reschedule", resource="loan", payload=Reschedule)
def reschedule(s: Session, who: Principal, data: Reschedule, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, accounting, today = lock_loan(s, loan_id)
    require_status(loan, "active")
    recalculating = recalculates(loan)
    assert loan.disbursed_on is not None
    # Built before the installments change: it derives the interest settled so far from the schedule as read.
    books = books_for(loan, accounting, who.user_id, today)
    rows = load_installments(s, loan.id)
    kept, changed = _split_at(rows, data.from_date)
    start = kept[-1].due_date if kept else loan.disbursed_on
    kept_repayments = sum(1 for r in kept if not r.down_payment)
    req = _request(loan, data, start, kept_repayments, changed)
    before = _snapshot(s, loan, changed)
    loan.annual_interest_rate = req.annual_interest_rate
    loan.number_of_repayments = kept_repayments + req.number_of_repayments
    txn = LoanTransaction(loan_id=loan.id, type="reschedule", transaction_date=today, amount=ZERO,
                          note=_describe(data, loan, changed, req), created_by=who.user_id)
    s.add(txn)
    s.flush()
    # Flushed before a rebuild: a recalculating loan's rebuild reads the reschedule's terms from it.
    record = LoanReschedule(loan_id=loan.id, transaction_id=txn.id, first_n=changed[0].n, start=start,
                            changes=_changes(req), before=before)
    s.add(record)
    s.flush()
    recognised = books.recognised
    if recalculating:
        _rebuild(s, loan, books, today, f"reschedule {txn.id}")
    else:
        _replace_installments(s, loan, req, changed)
        s.flush()
        _settle_and_true_up(s, loan, books)
    record.accrual_adjustment = books.recognised - recognised
    if record.accrual_adjustment != 0:
        record.accrual_entry_id = _latest_accrual_entry(s, loan)
    emit(s, "loan.rescheduled", "loan", loan.id, {
        "transaction_id": txn.id, "from_date": data.from_date, "installments_before": len(changed),
        "installments_after": req.number_of_repayments, "annual_interest_rate": str(req.annual_interest_rate)})
    return loan_view(s, loan)


# --- undo -------------------------------------------------------------------------------------------------------


def _latest_reschedule(s: Session, loan: Loan) -> LoanReschedule:
    record = s.scalar(select(LoanReschedule).where(LoanReschedule.loan_id == loan.id,
                                                   LoanReschedule.undone_on.is_(None))
                      .order_by(LoanReschedule.id.desc()).limit(1))
    if record is None:
        raise conflict("loan-not-rescheduled", f"loan {loan.id} has no reschedule to undo")
    return record


def _refuse_changes_since(s: Session, loan: Loan, record: LoanReschedule) -> None:
    """The loan must be as the reschedule left it: no transaction made or reversed, no charge added or removed."""
    later = s.scalar(select(LoanTransaction).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.reversed.is_(False),
        LoanTransaction.id > record.transaction_id).order_by(LoanTransaction.id).limit(1))
    if later is not None:
        raise conflict("loan-changed-since-reschedule",
                       f"a {later.type} on {later.transaction_date.isoformat()} (transaction {later.id}) came after "
                       "the reschedule; undo it first")
    live = set(s.scalars(select(LoanTransaction.id).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.reversed.is_(False),
        LoanTransaction.id < record.transaction_id)))
    gone = sorted(set(record.before["transactions"]) - live)
    if gone:
        raise conflict("loan-changed-since-reschedule",
                       f"transaction {gone[0]} was reversed after the reschedule; the reschedule cannot be undone")
    charges = set(s.scalars(select(LoanCharge.id).where(LoanCharge.loan_id == loan.id,
                                                        LoanCharge.active.is_(True))))
    added = sorted(charges - {int(k) for k in record.before["charges"]})
    if added or len(charges) != len(record.before["charges"]):
        what = f"charge {added[0]} was added" if added else "a charge was removed"
        raise conflict("loan-changed-since-reschedule", f"{what} after the reschedule; undo it first")


def _reverse_accrual(s: Session, loan: Loan, books: Books, record: LoanReschedule) -> None:
    """The reschedule's accrual true-up taken back by a reversal entry; the interest accounted for with it."""
    if record.accrual_entry_id is None:
        return
    reverse_entry(s, record.accrual_entry_id, reason=f"Loan {loan.id} reschedule undone",
                  created_by=books.created_by)
    books.receivable -= record.accrual_adjustment
    books.recognised -= record.accrual_adjustment
    books.save(s)


def _restore_installments(s: Session, loan: Loan, record: LoanReschedule) -> None:
    for row in load_installments(s, loan.id):
        if row.n >= record.first_n:
            s.delete(row)
    s.flush()
    s.add_all(LoanInstallment(loan_id=loan.id, **_stored_row(stored)) for stored in record.before["installments"])
    placed = {int(k): n for k, n in record.before["charges"].items()}
    for charge in s.scalars(select(LoanCharge).where(LoanCharge.loan_id == loan.id, LoanCharge.active.is_(True))):
        charge.installment_n = placed[charge.id]


def _stored_row(stored: dict[str, Any]) -> dict[str, Any]:
    row = dict(stored)
    for name in _DATE_COLUMNS:
        row[name] = date.fromisoformat(row[name])
    for name in _MONEY_COLUMNS:
        row[name] = Decimal(row[name])
    return row


@command("loans:reschedule-undo", resource="loan", payload=Note)
def undo_reschedule(s: Session, who: Principal, data: Note, loan_id: int | None) -> dict[str, Any]:
    assert loan_id is not None
    loan, accounting, today = lock_loan(s, loan_id)
    require_status(loan, "active")
    record = _latest_reschedule(s, loan)
    _refuse_changes_since(s, loan, record)
    books = books_for(loan, accounting, who.user_id, today)
    _reverse_accrual(s, loan, books, record)
    txn = s.get(LoanTransaction, record.transaction_id)
    assert txn is not None
    txn.reversed, txn.reversed_on = True, today
    if data.note:
        txn.note = f"{txn.note}; undone: {data.note}"[:500]
    record.undone_on, record.undone_by = today, who.user_id
    loan.annual_interest_rate = Decimal(record.before["annual_interest_rate"])
    loan.number_of_repayments = record.before["number_of_repayments"]
    s.flush()
    if recalculates(loan):
        _rebuild(s, loan, books, today, f"undo of reschedule {txn.id}")
    else:
        _restore_installments(s, loan, record)
        s.flush()
        _settle_and_true_up(s, loan, books)
    emit(s, "loan.reschedule_undone", "loan", loan.id, {"transaction_id": txn.id, "first_n": record.first_n})
    return loan_view(s, loan)


# --- the terms of a rescheduled loan that recalculates its interest -----------------------------------------------


def rescheduled_schedule(s: Session, loan: Loan, req: ScheduleRequest, transactions: list[Transaction],
                         adjust: DueDateAdjuster | None) -> Schedule | None:
    """The schedule of a recalculating loan with reschedules not undone (None without): `req` is the loan's request
    as of now, whose rate and number of repayments are the latest reschedule's."""
    records = list(s.scalars(select(LoanReschedule).where(LoanReschedule.loan_id == loan.id,
                                                          LoanReschedule.undone_on.is_(None))
                             .order_by(LoanReschedule.id)))
    if not records:
        return None
    first = records[0].before
    disbursed = replace(req, annual_interest_rate=Decimal(first["annual_interest_rate"]),
                        number_of_repayments=first["number_of_repayments"])
    return rescheduled_preview(disbursed, [_segment(r) for r in records], transactions, adjust)


def _segment(record: LoanReschedule) -> Segment:
    changes = record.changes
    return Segment(record.first_n, record.start, Decimal(changes["annual_interest_rate"]),
                   changes["number_of_repayments"], date.fromisoformat(changes["first_repayment_date"]),
                   changes["grace_on_principal"])
