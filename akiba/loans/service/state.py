"""A disbursed loan's installments as the replay engine sees them, the events that change them, and the
journal entries that follow a transaction's split."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from akiba.accounting.posting import Entry, Leg, post_entry, post_or_queue, product_mapping, reverse_entries_for_source
from akiba.core.money import ZERO
from akiba.loans import postings
from akiba.loans.allocation import strategy_for
from akiba.loans.models import Loan, LoanCharge, LoanInstallment, LoanTransaction
from akiba.loans.service.recalculation import rebuild_installments, recalculates
from akiba.loans.service.replay import Event, LoanState, Split, Waived, apply_event, outstanding, replay
from akiba.loans.terms import DEFAULT_STRATEGY, Installment

SOURCE = "loan_transaction"
CHARGE_SOURCE = "loan_charge"
ACCRUAL_SOURCE = "loan_accrual"
REPLAYED_TYPES = ("repayment", "prepayment", "waive_interest", "waive_charge", "write_off")
POSTING_TYPES = ("disbursement", "repayment", "prepayment", "write_off", "refund", "waive_interest", "waive_charge",
                 "charge_off")

# The interest a loan has accounted for (accrued by close of business, or settled before it was accrued):
# close of business keeps it in cob_loan_state and accrues only above it, so a command writes it back.
_SAVE_RECOGNISED = text("""
INSERT INTO cob_loan_state (loan_id, as_of, accrued_interest) VALUES (:loan_id, :as_of, :recognised)
ON CONFLICT (loan_id) DO UPDATE SET accrued_interest = excluded.accrued_interest
""")


@dataclass(frozen=True)
class Accounting:
    """What the locking read tells a command about posting: the product's rule and GL mapping and, under accrual
    accounting, the interest the loan has accounted for, its scheduled interest and its last closed day."""

    rule: str
    mapping: dict[str, int] | None = None
    recognised: Decimal = ZERO
    scheduled_interest: Decimal = ZERO
    closed_for: date | None = None


def interest_settled(txn: LoanTransaction) -> Decimal:
    """The interest a transaction took off the loan: paid, forgiven by a payoff, waived or written off."""
    if txn.type in ("repayment", "prepayment"):
        return txn.interest + txn.interest_waived
    if txn.type in ("waive_interest", "write_off"):
        return txn.interest
    return ZERO


@dataclass
class Books:
    """How one command posts: the product's rule, its GL mapping (fetched once when needed) and, under accrual
    accounting, the loan's accrued interest not yet settled (`receivable`) and the interest it has accounted
    for (`recognised` = settled + receivable; never below what close of business accrued)."""

    rule: str
    product_id: int
    office_id: int
    currency: str
    created_by: int | None
    _mapping: dict[str, int] | None = field(default=None, repr=False)
    loan_id: int = 0
    recognised: Decimal = ZERO
    receivable: Decimal = ZERO
    closed_for: date | None = None
    today: date | None = None
    _saved: Decimal = ZERO
    charge_off_id: int | None = None  # transactions after this one post as a charged-off loan's (recovery)

    def recovers(self, txn: LoanTransaction) -> bool:
        """Whether the transaction came after the loan's charge-off: it finds the receivables emptied."""
        if self.charge_off_id is None or txn.type == "charge_off":
            return False
        return txn.id is None or txn.id > self.charge_off_id  # one not stored yet is the newest

    @property
    def charged_off(self) -> bool:
        """A charged-off loan accrues nothing: what it pays of interest and charges is income when paid."""
        return self.charge_off_id is not None

    @property
    def accrual(self) -> bool:
        return self.rule == "accrual_periodic"

    def mapping(self, s: Session) -> dict[str, int]:
        if self._mapping is None:
            self._mapping = product_mapping(s, "loan", self.product_id)
        return self._mapping

    def post(self, s: Session, txn: LoanTransaction, lines: list[postings.Line]) -> None:
        if self.rule == "none" or not lines:
            return
        post_or_queue(s, Entry(self.office_id, self.currency, txn.transaction_date, SOURCE, txn.id,
                               [Leg(ln.gl_account_id, ln.side, ln.amount) for ln in lines], txn.reference,
                               f"Loan {txn.loan_id} {txn.type}", self.created_by))

    def _accrued_part(self, txn: LoanTransaction) -> postings.Accrued:
        """Of the interest the transaction settles, what the receivable holds: paid interest first."""
        receivable = self.receivable
        if txn.type == "charge_off":  # it moves the whole receivable out of the books
            return postings.Accrued(min(txn.interest, receivable))
        if txn.type in ("repayment", "prepayment"):
            paid = min(txn.interest, receivable)
            return postings.Accrued(paid, min(txn.interest_waived, receivable - paid))
        return postings.Accrued(min(interest_settled(txn), receivable))

    def post_transaction(self, s: Session, txn: LoanTransaction, fraud: bool = False) -> None:
        self.post_prepared(s, txn, self.prepare(txn), fraud)

    def prepare(self, txn: LoanTransaction) -> postings.Accrued | None:
        """Accrual accounting: how much of the transaction's interest the receivable holds (stored on it)."""
        if not self.accrual or txn.type not in POSTING_TYPES or txn.type == "disbursement":
            return None
        # After a charge-off no receivable holds anything of the loan: all it settles is income when settled.
        accrued = postings.Accrued() if self.recovers(txn) else self._accrued_part(txn)
        txn.interest_accrued = accrued.interest + accrued.forgiven
        self._settle(interest_settled(txn), txn.interest_accrued)
        return accrued

    def post_prepared(self, s: Session, txn: LoanTransaction, accrued: postings.Accrued | None,
                      fraud: bool = False) -> None:
        if self.rule == "none" or txn.type not in POSTING_TYPES or txn.type == "disbursement":
            return
        amounts = postings.Amounts(txn.principal, txn.interest, txn.fees, txn.penalties, txn.overpayment)
        if txn.type == "refund":
            amounts = postings.Amounts(principal=txn.amount)
        self.post(s, txn, postings.legs_for(txn.type, self.mapping(s), amounts, accrued, self.recovers(txn), fraud))
        self.save(s)

    def unpost(self, s: Session, txn: LoanTransaction, reason: str) -> None:
        if self.rule == "none":
            return
        reverse_entries_for_source(s, SOURCE, txn.id, reason=reason, created_by=self.created_by)
        if self.accrual and txn.type in POSTING_TYPES:
            self._settle(-interest_settled(txn), -txn.interest_accrued)
            txn.interest_accrued = ZERO
            self.save(s)

    def _settle(self, settled: Decimal, from_receivable: Decimal) -> None:
        # What was not accrued yet is accounted for now: close of business must not accrue it again.
        self.receivable -= from_receivable
        self.recognised += settled - from_receivable

    def accrue_penalty(self, s: Session, charge: LoanCharge) -> None:
        """Accrual accounting books a penalty as income when it is charged (its receivable clears when paid); a
        charged-off loan's penalties are income when paid, or booked when its charge-off is undone."""
        if not self.accrual or not charge.penalty or charge.amount == 0 or self.charged_off:
            return
        lines = postings.penalty_accrual(self.mapping(s), charge.amount)
        post_entry(s, office_id=self.office_id, currency=self.currency, transaction_date=charge.charged_on,
                   source=CHARGE_SOURCE, source_id=charge.id,
                   legs=[Leg(ln.gl_account_id, ln.side, ln.amount) for ln in lines],
                   description=f"Loan {charge.loan_id} penalty {charge.name}", created_by=self.created_by)

    def book_penalties_charged_off(self, s: Session, loan: Loan, charge_off: LoanTransaction) -> None:
        """Undoing a charge-off (its latest transaction, so nothing was paid or waived since): the penalties
        charged meanwhile, which nothing booked, go onto the books as they would have when charged."""
        unbooked = loan.penalties_outstanding - charge_off.penalties
        if not self.accrual or unbooked <= 0:
            return
        lines = postings.penalty_accrual(self.mapping(s), unbooked)
        post_entry(s, office_id=self.office_id, currency=self.currency, transaction_date=self.today or date.today(),
                   source=ACCRUAL_SOURCE, source_id=loan.id,
                   legs=[Leg(ln.gl_account_id, ln.side, ln.amount) for ln in lines],
                   description=f"Loan {loan.id} penalties charged while charged off", created_by=self.created_by)

    def true_up(self, s: Session, loan: Loan, rows: list[LoanInstallment]) -> None:
        """After a replay: accrued interest is what close of business earned through its last closed day, or
        what was settled if more; the difference (a reversal brings back interest earned) is posted here. A
        charged-off loan accrues nothing (close of business catches up if the charge-off is undone)."""
        if not self.accrual or self.charged_off:
            return
        from akiba.cob.steps import accrued_through

        earned = ZERO if self.closed_for is None else accrued_through(
            self.closed_for, [(r.from_date, r.due_date, r.interest) for r in rows], loan.digits)
        settled = sum((r.interest for r in rows), ZERO) - loan.interest_outstanding
        difference = max(earned, settled) - self.recognised
        if difference == 0:
            return
        lines = postings.interest_accrual(self.mapping(s), difference)
        post_entry(s, office_id=self.office_id, currency=self.currency,
                   transaction_date=self.closed_for or self.today or loan.last_event_date or date.today(),
                   source=ACCRUAL_SOURCE, source_id=loan.id,
                   legs=[Leg(ln.gl_account_id, ln.side, ln.amount) for ln in lines],
                   description=f"Loan {loan.id} interest accrual adjusted", created_by=self.created_by)
        self.receivable += difference
        self.recognised += difference
        self.save(s)

    @property
    def unsaved(self) -> bool:
        return self.accrual and self.recognised != self._saved

    def saved(self) -> None:
        """The caller wrote `recognised` itself (in a statement of its own)."""
        self._saved = self.recognised

    def save(self, s: Session) -> None:
        """Write the loan's accounted-for interest back for close of business, if it moved."""
        if self.accrual and self.recognised != self._saved:
            s.execute(_SAVE_RECOGNISED, {"loan_id": self.loan_id, "as_of": self.today or date.today(),
                                         "recognised": self.recognised})
            self._saved = self.recognised


def books_for(loan: Loan, accounting: Accounting | str, created_by: int | None, today: date | None = None) -> Books:
    if isinstance(accounting, str):
        accounting = Accounting(accounting)
    books = Books(accounting.rule, loan.product_id, loan.office_id, loan.currency, created_by, accounting.mapping,
                  loan_id=loan.id, closed_for=accounting.closed_for, today=today, _saved=accounting.recognised,
                  charge_off_id=loan.charge_off_transaction_id)
    if books.accrual:
        # Accounted for = settled + receivable; a loan accounted for less than it settled (booked before this
        # rule) has nothing receivable.
        settled = accounting.scheduled_interest - loan.interest_outstanding
        books.recognised = max(accounting.recognised, settled)
        books.receivable = books.recognised - settled
    return books


def load_installments(s: Session, loan_id: int) -> list[LoanInstallment]:
    return list(s.scalars(select(LoanInstallment).where(LoanInstallment.loan_id == loan_id)
                          .order_by(LoanInstallment.n)))


def to_installment(row: LoanInstallment) -> Installment:
    """The stored row as the engine's installment: amounts due net of waivers, with what was paid."""
    return Installment(
        n=row.n, from_date=row.from_date, due_date=row.due_date, principal=row.principal,
        interest=row.interest - row.waived_interest, outstanding_after=row.outstanding_after,
        fees=row.fees - row.waived_fees, penalties=row.penalties - row.waived_penalties,
        is_down_payment=row.down_payment, paid_principal=row.paid_principal, paid_interest=row.paid_interest,
        paid_fees=row.paid_fees, paid_penalties=row.paid_penalties, in_advance=row.in_advance, late=row.late,
        paid_date=row.paid_date,
    )


def current_state(loan: Loan, rows: list[LoanInstallment]) -> LoanState:
    return LoanState([to_installment(r) for r in rows],
                     [Waived(r.waived_interest, r.waived_fees, r.waived_penalties) for r in rows],
                     credit=loan.credit_balance, written_off=loan.status == "written_off")


def as_disbursed(rows: list[LoanInstallment]) -> list[Installment]:
    return [Installment(n=r.n, from_date=r.from_date, due_date=r.due_date, principal=r.principal,
                        interest=r.interest, outstanding_after=r.outstanding_after, fees=r.scheduled_fees,
                        is_down_payment=r.down_payment) for r in rows]


def save_state(rows: list[LoanInstallment], state: LoanState) -> None:
    """Write the replayed amounts back; the ORM updates only the rows that changed."""
    for stored, row, waived in zip(rows, state.rows, state.waived, strict=True):
        changes = {
            "fees": row.fees + waived.fees, "penalties": row.penalties + waived.penalties,
            "waived_interest": waived.interest, "waived_fees": waived.fees, "waived_penalties": waived.penalties,
            "paid_principal": row.paid_principal, "paid_interest": row.paid_interest, "paid_fees": row.paid_fees,
            "paid_penalties": row.paid_penalties, "in_advance": row.in_advance, "late": row.late,
            "paid_date": row.paid_date,
        }
        for name, value in changes.items():
            if getattr(stored, name) != value:
                setattr(stored, name, value)


def transaction_event(txn: LoanTransaction, charge: LoanCharge | None = None) -> Event:
    if txn.type == "waive_charge":
        assert charge is not None
        # A charge can be waived before it falls due; the waiver then takes effect when the charge does.
        on = max(txn.transaction_date, charge.charged_on)
        return Event(f"t{txn.id}", "waive_charge", on, charge.amount, charge.installment_n, charge.penalty)
    return Event(f"t{txn.id}", txn.type, txn.transaction_date, txn.amount)  # type: ignore[arg-type]


def charge_event(charge: LoanCharge) -> Event:
    return Event(f"c{charge.id}", "charge", charge.charged_on, charge.amount, charge.installment_n, charge.penalty)


def split_of(txn: LoanTransaction) -> Split:
    return Split(txn.principal, txn.interest, txn.fees, txn.penalties, txn.overpayment, txn.interest_waived)


def record_split(txn: LoanTransaction, split: Split) -> None:
    txn.principal, txn.interest, txn.fees, txn.penalties = split.principal, split.interest, split.fees, split.penalties
    txn.overpayment, txn.interest_waived = split.overpayment, split.interest_waived
    if txn.type in ("write_off", "waive_interest", "waive_charge"):
        txn.amount = split.total


@dataclass
class Applied:
    state: LoanState
    replayed: bool


def apply(s: Session, loan: Loan, books: Books, event: Event, reason: str = "") -> Applied:
    """Bring the loan's installments up to date with a new event (already stored) or a reversal.

    The fast path applies the event to the current installments. A back-dated event, or a reversal (event
    kind "write_off" is never back-dated here; reversals pass `reason`), replays every event, and each earlier
    transaction whose split moved gets its journal entries reversed and posted anew. A loan with interest
    recalculation always replays, over installments first recalculated from its payments (recalculation.py),
    until it is charged off.
    """
    rows = load_installments(s, loan.id)
    strategy = strategy_for(loan.terms.get("transaction_processing_strategy") or DEFAULT_STRATEGY)
    # Its installments follow every event (always the replay); not after a charge-off, as Fineract: what was booked
    # before it must not be split anew once the portfolio and receivables were emptied.
    recalculating = recalculates(loan) and loan.charge_off_transaction_id is None
    fast = not recalculating and not reason and (loan.last_event_date is None or event.on >= loan.last_event_date)
    if fast:
        state = current_state(loan, rows)
        apply_event(state, event, strategy, loan.digits)
    else:
        default_reason = "interest recalculation" if recalculating else "back-dated transaction"
        state, rows = _replay_all(s, loan, books, rows, reason or default_reason, recalculating)
    save_state(rows, state)
    if fast:
        loan.last_event_date = max(d for d in (loan.last_event_date, event.on) if d is not None)
    settle(loan, state)
    if not fast:
        books.true_up(s, loan, rows)
    return Applied(state, not fast)


def _replay_all(s: Session, loan: Loan, books: Books, rows: list[LoanInstallment], reason: str,
                recalculating: bool = False) -> tuple[LoanState, list[LoanInstallment]]:
    """Every event replayed over the installments as disbursed (as recalculated from the live payments, for a
    loan with interest recalculation); answers the state and the installments it belongs to."""
    txns = list(s.scalars(select(LoanTransaction).where(LoanTransaction.loan_id == loan.id,
                                                        LoanTransaction.reversed.is_(False))
                          .order_by(LoanTransaction.transaction_date, LoanTransaction.id)))
    charges = {c.id: c for c in s.scalars(select(LoanCharge).where(LoanCharge.loan_id == loan.id,
                                                                   LoanCharge.active.is_(True)))}
    if recalculating:
        as_of = books.today or loan.last_event_date or loan.disbursed_on
        assert as_of is not None, "a loan with events is disbursed"
        rows = rebuild_installments(s, loan, rows, txns, list(charges.values()), as_of)
    events = [charge_event(c) for c in charges.values() if c.installment_n is not None]
    events += [transaction_event(t, charges.get(t.charge_id or 0)) for t in txns if t.type in REPLAYED_TYPES]
    if recalculating:  # the recalculated installments carry no interest beyond a payoff: nothing to forgive
        events = [replace(e, kind="repayment") if e.kind == "prepayment" else e for e in events]
    strategy = strategy_for(loan.terms.get("transaction_processing_strategy") or DEFAULT_STRATEGY)
    state = replay(as_disbursed(rows), events, strategy, loan.digits)
    refunded = sum((t.amount for t in txns if t.type == "refund"), ZERO)
    state.credit -= refunded
    for txn in txns:
        new = state.splits.get(f"t{txn.id}")
        if new is None or _same(split_of(txn), new):
            continue
        books.unpost(s, txn, f"Replayed after {reason}")
        record_split(txn, new)
        books.post_transaction(s, txn)
    loan.last_event_date = max((e.on for e in events), default=None)
    return state, rows


def _same(a: Split, b: Split) -> bool:
    return (a.principal, a.interest, a.fees, a.penalties, a.overpayment, a.interest_waived) == (
        b.principal, b.interest, b.fees, b.penalties, b.overpayment, b.interest_waived)


def settle(loan: Loan, state: LoanState) -> None:
    """The loan's running totals and status after its installments changed."""
    left = outstanding(state.rows)
    if state.written_off:
        loan.principal_outstanding = loan.interest_outstanding = ZERO
        loan.fees_outstanding = loan.penalties_outstanding = ZERO
        loan.status = "written_off"
        loan.credit_balance = state.credit
        return
    loan.principal_outstanding, loan.interest_outstanding = left.principal, left.interest
    loan.fees_outstanding, loan.penalties_outstanding = left.fees, left.penalties
    loan.credit_balance = state.credit
    loan.written_off_on = None
    if left.total > 0:
        loan.status, loan.closed_on = "active", None
        return
    paid_dates = [r.paid_date for r in state.rows if r.paid_date is not None]
    if state.credit > 0:
        loan.status, loan.closed_on = "overpaid", None
    else:
        loan.status = "closed"
        loan.closed_on = max(paid_dates) if paid_dates else loan.last_event_date
