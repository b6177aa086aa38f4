"""Pure: a loan's events (repayments, waivers, charges, write-off) applied in order to its installments.

A loan's state is never edited in place by hand: it is what its events imply. Commands dated on or after the
latest event apply just their own event to the current installments (the fast path); a back-dated command or a
reversal replays every event from the schedule as disbursed, and any transaction whose split changes gets its
journal entries reversed and posted again by the caller. Standard library, `akiba.core` and the engine only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from akiba.core.money import ZERO, quantize
from akiba.loans.allocation import Component, Strategy, allocate_repayment, component_due
from akiba.loans.terms import Installment

EventKind = Literal["repayment", "prepayment", "waive_interest", "waive_charge", "write_off", "charge"]
# Charges of a day apply before that day's payments (a penalty charged today can be paid today).
_KIND_RANK = {"charge": 0}


@dataclass(frozen=True)
class Event:
    key: str  # "t<transaction id>" or "c<charge id>"
    kind: EventKind
    on: date
    amount: Decimal
    installment_n: int | None = None  # charge and waive_charge: the installment carrying the charge
    penalty: bool = False

    @property
    def order(self) -> tuple[date, int, int]:
        return self.on, _KIND_RANK.get(self.kind, 1), int(self.key[1:])


@dataclass(frozen=True)
class Split:
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fees: Decimal = ZERO
    penalties: Decimal = ZERO
    overpayment: Decimal = ZERO
    interest_waived: Decimal = ZERO  # prepayment: the unearned interest it forgave

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.penalties + self.overpayment


@dataclass(frozen=True)
class Waived:
    interest: Decimal = ZERO
    fees: Decimal = ZERO
    penalties: Decimal = ZERO


@dataclass
class LoanState:
    """Installments carry what is due net of waivers; `waived` keeps what was forgiven, row by row."""

    rows: list[Installment]
    waived: list[Waived]
    credit: Decimal = ZERO
    written_off: bool = False
    splits: dict[str, Split] = field(default_factory=dict)

    def index_of(self, n: int) -> int:
        for i, row in enumerate(self.rows):
            if row.n == n:
                return i
        raise KeyError(n)


@dataclass(frozen=True)
class Outstanding:
    principal: Decimal
    interest: Decimal
    fees: Decimal
    penalties: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.penalties


def outstanding(rows: Iterable[Installment], due_before: date | None = None) -> Outstanding:
    """What is left to pay, of every installment or only of those due before a date (the overdue amounts)."""
    kept = [r for r in rows if due_before is None or r.due_date < due_before]
    return Outstanding(
        sum((component_due(r, "principal") for r in kept), ZERO),
        sum((component_due(r, "interest") for r in kept), ZERO),
        sum((component_due(r, "fees") for r in kept), ZERO),
        sum((component_due(r, "penalties") for r in kept), ZERO),
    )


def days_in_arrears(rows: Iterable[Installment], business_date: date) -> int:
    """CONTRACT.md: business date minus the due date of the oldest unpaid installment due before it (else 0)."""
    for row in sorted(rows, key=lambda r: r.due_date):
        if row.due_date < business_date and row.outstanding > 0:
            return (business_date - row.due_date).days
    return 0


def _paid_split(before: Sequence[Installment], after: Sequence[Installment], overpaid: Decimal) -> Split:
    def paid(rows: Sequence[Installment], name: str) -> Decimal:
        return sum((getattr(r, name) for r in rows), ZERO)

    return Split(
        principal=paid(after, "paid_principal") - paid(before, "paid_principal"),
        interest=paid(after, "paid_interest") - paid(before, "paid_interest"),
        fees=paid(after, "paid_fees") - paid(before, "paid_fees"),
        penalties=paid(after, "paid_penalties") - paid(before, "paid_penalties"),
        overpayment=overpaid,
    )


def _repay(state: LoanState, event: Event, strategy: Strategy) -> Split:
    before = state.rows
    state.rows, overpaid = allocate_repayment(list(before), event.amount, event.on, strategy)
    state.credit += overpaid
    return _paid_split(before, state.rows, overpaid)


def _waive_interest(state: LoanState, amount: Decimal, newest_first: bool = False) -> Decimal:
    """Forgive interest still due, oldest installment first (or newest first); answer what was forgiven."""
    left = amount
    order = range(len(state.rows) - 1, -1, -1) if newest_first else range(len(state.rows))
    for i in order:
        if left <= 0:
            break
        row = state.rows[i]
        cut = min(component_due(row, "interest"), left)
        if cut > 0:
            state.rows[i] = replace(row, interest=row.interest - cut)
            state.waived[i] = replace(state.waived[i], interest=state.waived[i].interest + cut)
            left -= cut
    return amount - left


def _charge(state: LoanState, event: Event) -> Split:
    i = state.index_of(event.installment_n or state.rows[-1].n)
    row = state.rows[i]
    if event.penalty:
        state.rows[i] = replace(row, penalties=row.penalties + event.amount, paid_date=None)
        return Split(penalties=event.amount)
    state.rows[i] = replace(row, fees=row.fees + event.amount, paid_date=None)
    return Split(fees=event.amount)


def _waive_charge(state: LoanState, event: Event) -> Split:
    i = state.index_of(event.installment_n or state.rows[-1].n)
    row = state.rows[i]
    component: Component = "penalties" if event.penalty else "fees"
    cut = min(event.amount, component_due(row, component))
    if cut <= 0:
        return Split()
    waived = state.waived[i]
    if event.penalty:
        state.rows[i] = replace(row, penalties=row.penalties - cut)
        state.waived[i] = replace(waived, penalties=waived.penalties + cut)
        return Split(penalties=cut)
    state.rows[i] = replace(row, fees=row.fees - cut)
    state.waived[i] = replace(waived, fees=waived.fees + cut)
    return Split(fees=cut)


def _settle_paid_dates(state: LoanState, on: date) -> None:
    # A waiver can finish an installment: it is then settled on the waiver's date.
    for i, row in enumerate(state.rows):
        if row.outstanding == 0 and row.paid_date is None:
            state.rows[i] = replace(row, paid_date=on)


def accrued_interest(row: Installment, waived: Waived, on: date, digits: int) -> Decimal:
    """Interest of the installment earned up to `on`: all of it once due, a share by days while running."""
    scheduled = row.interest + waived.interest
    if on >= row.due_date:
        return scheduled
    if on <= row.from_date or row.days == 0:
        return ZERO
    return quantize(scheduled * (on - row.from_date).days / row.days, digits, ROUND_HALF_EVEN)


def unearned_interest(state: LoanState, on: date, digits: int) -> Decimal:
    """Interest still due that is not earned by `on`: what paying off the loan that day forgives."""
    total = ZERO
    for row, waived in zip(state.rows, state.waived, strict=True):
        due = component_due(row, "interest")
        earned_unpaid = max(accrued_interest(row, waived, on, digits) - waived.interest - row.paid_interest, ZERO)
        total += max(due - earned_unpaid, ZERO)
    return total


def payoff_amounts(state: LoanState, on: date, digits: int) -> Outstanding:
    """What closes the loan on `on`: principal left, earned interest, and charges due by then."""
    left = outstanding(state.rows)
    future_fees = sum((component_due(r, "fees") for r in state.rows if r.from_date >= on and r.due_date > on), ZERO)
    return Outstanding(left.principal, left.interest - unearned_interest(state, on, digits),
                       left.fees - future_fees, left.penalties)


def _prepay(state: LoanState, event: Event, strategy: Strategy, digits: int) -> Split:
    forgiven = _waive_interest(state, unearned_interest(state, event.on, digits), newest_first=True)
    future = [i for i, r in enumerate(state.rows) if r.from_date >= event.on and r.due_date > event.on]
    for i in future:  # installment fees of periods not begun are not owed on a payoff
        row = state.rows[i]
        cut = component_due(row, "fees")
        if cut > 0:
            state.rows[i] = replace(row, fees=row.fees - cut)
            state.waived[i] = replace(state.waived[i], fees=state.waived[i].fees + cut)
    return replace(_repay(state, event, strategy), interest_waived=forgiven)


def apply_event(state: LoanState, event: Event, strategy: Strategy, digits: int) -> Split:
    """Apply one event to the state in place and answer its split."""
    if event.kind == "repayment":
        split = _repay(state, event, strategy)
    elif event.kind == "prepayment":
        split = _prepay(state, event, strategy, digits)
    elif event.kind == "waive_interest":
        split = Split(interest=_waive_interest(state, event.amount))
    elif event.kind == "charge":
        split = _charge(state, event)
    elif event.kind == "waive_charge":
        split = _waive_charge(state, event)
    else:  # write_off: what is still owed is written off; the rows keep it for the record
        left = outstanding(state.rows)
        split = Split(left.principal, left.interest, left.fees, left.penalties)
        state.written_off = True
    if event.kind in ("waive_interest", "waive_charge", "prepayment"):
        _settle_paid_dates(state, event.on)
    state.splits[event.key] = split
    return split


def replay(base: Sequence[Installment], events: Iterable[Event], strategy: Strategy, digits: int) -> LoanState:
    """Every event in date order over the schedule as disbursed."""
    state = LoanState(list(base), [Waived() for _ in base])
    for event in sorted(events, key=lambda e: e.order):
        apply_event(state, event, strategy, digits)
    return state
