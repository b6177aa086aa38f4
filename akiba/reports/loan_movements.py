"""A loan's movements as its statement shows them (pure): what the borrower owes, line by line.

The running balance is the total the borrower owes at that date (Mexico's "saldo al corte", the balance a
CONDUSEF statement carries): principal outstanding, plus the interest, fees and penalties charged and not
yet paid or waived, less any overpayment held for the borrower. Interest and installment fees are charged
when their installment falls due; a charge added to a loan (a specified-date fee, a late-payment penalty)
when it is charged. Interest not yet due is not owed yet: it enters the balance on its due date, or earlier
when a payment or a waiver settles it before then (so a payment in advance charges and pays it the same
day). Interest a payoff forgives, never having fallen due, is never charged.

For each component c (interest, fees, penalties), with T_c(d) what has fallen due by day d (the installments
due by then, at their amounts before waivers as the schedule stands now, plus the charges made by then) and
S_c(d) what was paid or waived by day d, the amount charged by day d is max(T_c(d), S_c(d)); a day's charge
line is its increase. With payments allocated oldest installment first, the balance of any day is then the
loan summary's principal outstanding plus the interest, fees and penalties of the installments due by then
and unpaid (what GET /loans/{id} shows as overdue the next day): what was paid ahead never makes it lower.

A write-off credits the whole balance and ends all charging. A reversed transaction shows twice: on its date
as it was booked, and on its reversal date as the opposite line; in between it moves the balance as it did
then (the loan's other figures are today's, replayed without it).

Standard library and `akiba.core` only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from akiba.core.money import money_str

ZERO = Decimal(0)
COMPONENTS = ("interest", "fees", "penalties")
_SETTLING = ("repayment", "prepayment", "waive_interest", "waive_charge")
_WAIVERS = ("waive_interest", "waive_charge")
_LABELS = {"disbursement": "Disbursement", "repayment": "Repayment", "prepayment": "Payoff",
           "waive_interest": "Interest waived", "waive_charge": "Charge waived", "write_off": "Written off",
           "refund": "Refund of overpayment", "charge_off": "Charged off (still owed)",
           "reschedule": "Schedule changed"}
_CHARGE_WORDS = {"interest": "Interest", "fees": "Fees", "penalties": "Penalties"}


@dataclass(frozen=True)
class Row:
    """An installment as stored: its amounts before waivers, and what was waived (or forgiven by a payoff)."""

    n: int
    due_date: date
    interest: Decimal
    fees: Decimal
    penalties: Decimal
    waived_interest: Decimal = ZERO
    waived_fees: Decimal = ZERO
    waived_penalties: Decimal = ZERO


@dataclass(frozen=True)
class Due:
    """What an installment charges on its due date: its interest and own fees, before waivers, after payoffs."""

    n: int
    due_date: date
    interest: Decimal
    fees: Decimal
    penalties: Decimal


@dataclass(frozen=True)
class Charge:
    """A fee or penalty added to an installment, owed from the day it was charged."""

    id: int
    charged_on: date
    name: str
    penalty: bool
    amount: Decimal
    installment_n: int


@dataclass(frozen=True)
class Txn:
    id: int
    type: str
    on: date
    amount: Decimal
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fees: Decimal = ZERO
    penalties: Decimal = ZERO
    overpayment: Decimal = ZERO
    interest_waived: Decimal = ZERO
    reference: str | None = None
    charge_id: int | None = None  # waive_charge: the charge waived
    reversed_on: date | None = None  # set when reversed

    @property
    def ref(self) -> str:
        return self.reference or f"T{self.id}"


@dataclass
class Line:
    """One line of a statement, loan or savings (akiba.reports.statements calls it Movement)."""

    on: date
    description: str
    reference: str
    debit: Decimal
    credit: Decimal
    balance: Decimal = ZERO
    principal: Decimal | None = None  # loans: the principal balance after this line (the "saldo insoluto")


@dataclass
class Totals:
    """What the period charged, paid and waived, by component (the statement's summary block)."""

    charged: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(COMPONENTS, ZERO))
    paid: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(("principal", *COMPONENTS), ZERO))
    waived: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(COMPONENTS, ZERO))
    written_off: Decimal = ZERO


@dataclass
class History:
    opening: Decimal
    opening_principal: Decimal
    lines: list[Line]
    totals: Totals


class _Book:
    """The running state while walking the loan's days in order."""

    def __init__(self, digits: int) -> None:
        self.digits = digits
        self.principal = ZERO
        self.credit = ZERO  # overpaid, owed back to the borrower
        self.suspense = ZERO  # what reversed transactions moved until their reversal
        self.charged = dict.fromkeys(COMPONENTS, ZERO)
        self.settled = dict.fromkeys(COMPONENTS, ZERO)
        self.written_off = False

    @property
    def balance(self) -> Decimal:
        unpaid = sum((self.charged[c] - self.settled[c] for c in COMPONENTS), ZERO)
        return self.principal + unpaid - self.credit + self.suspense


def _charge_description(component: str, day: date, dues: Sequence[Due], charges: Sequence[Charge]) -> tuple[str, str]:
    falling = [d.n for d in dues if d.due_date == day]
    names = [c.name for c in charges if c.charged_on == day and c.penalty == (component == "penalties")]
    if component != "interest" and names:
        return f"{_CHARGE_WORDS[component]} charged: {', '.join(names)}", ""
    if falling:
        which = ", ".join(str(n) for n in falling)
        return f"{_CHARGE_WORDS[component]} due, installment {which}", f"I{falling[0]}"
    return f"{_CHARGE_WORDS[component]} charged (settled before due)", ""


def _transaction_lines(t: Txn, book: _Book, totals: Totals) -> list[Line]:
    """Apply one live (not reversed) transaction to the book; answer its lines."""
    d = book.digits
    label = _LABELS.get(t.type, t.type)
    if t.type == "disbursement":
        book.principal += t.amount
        lines = [Line(t.on, label, t.ref, t.amount, ZERO)]
        if t.fees:  # up-front fees, withheld from the amount paid out
            totals.charged["fees"] += t.fees
            totals.paid["fees"] += t.fees
            lines += [Line(t.on, "Disbursement fees charged", t.ref, t.fees, ZERO),
                      Line(t.on, "Disbursement fees paid (withheld)", t.ref, ZERO, t.fees)]
        return lines
    if t.type in ("charge_off", "reschedule"):  # nothing the borrower owes changes
        return [Line(t.on, label, t.ref, ZERO, ZERO)]
    if t.type == "refund":
        book.credit -= t.amount
        return [Line(t.on, label, t.ref, t.amount, ZERO)]
    if t.type == "write_off":
        owed = book.balance - book.suspense
        book.principal = book.credit = ZERO
        book.settled = dict(book.charged)
        book.written_off = True
        totals.written_off += owed
        return [Line(t.on, label, t.ref, max(-owed, ZERO), max(owed, ZERO))]
    for c in COMPONENTS:
        book.settled[c] += getattr(t, c)
        (totals.waived if t.type in _WAIVERS else totals.paid)[c] += getattr(t, c)
    book.principal -= t.principal
    book.credit += t.overpayment
    totals.paid["principal"] += t.principal
    if t.type in _WAIVERS:
        return [Line(t.on, label, t.ref, ZERO, t.amount)]
    parts = [(name, getattr(t, name)) for name in ("principal", *COMPONENTS, "overpayment")]
    split = ", ".join(f"{name} {money_str(v, d)}" for name, v in parts if v)
    forgiven = f"; unearned interest not charged {money_str(t.interest_waived, d)}" if t.interest_waived else ""
    return [Line(t.on, f"{label}" + (f": {split}" if split else "") + forgiven, t.ref, ZERO, t.amount)]


def _booked_sign(t: Txn) -> Decimal:
    """+1 when the transaction, as booked, raised what is owed (a disbursement, a refund), -1 when it lowered it."""
    return Decimal(1) if t.type in ("disbursement", "refund") else Decimal(-1)


def _reversed_lines(t: Txn, day: date, book: _Book) -> list[Line]:
    moved = ZERO if t.type in ("charge_off", "reschedule") else t.amount * _booked_sign(t)
    lines = []
    if t.on == day:
        book.suspense += moved
        label = _LABELS.get(t.type, t.type)
        lines.append(Line(day, f"{label} (reversed later)", t.ref, max(moved, ZERO), max(-moved, ZERO)))
    if t.reversed_on is not None and max(t.reversed_on, t.on) == day:
        book.suspense -= moved
        lines.append(Line(day, f"Reversal of {t.ref}", t.ref, max(-moved, ZERO), max(moved, ZERO)))
    return lines


class _Fallen:
    """T_c and S_c kept cumulatively: each day adds what falls due, is charged, paid or waived on it."""

    def __init__(self, dues: Sequence[Due], charges: Sequence[Charge], live: Sequence[Txn]) -> None:
        self.due: dict[date, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(COMPONENTS, ZERO))
        self.paid: dict[date, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(COMPONENTS, ZERO))
        for d in dues:
            for c in COMPONENTS:
                self.due[d.due_date][c] += getattr(d, c)
        for ch in charges:
            self.due[ch.charged_on]["penalties" if ch.penalty else "fees"] += ch.amount
        for t in live:
            if t.type in _SETTLING:
                for c in COMPONENTS:
                    self.paid[t.on][c] += getattr(t, c)
        self.fallen = dict.fromkeys(COMPONENTS, ZERO)
        self.settled = dict.fromkeys(COMPONENTS, ZERO)

    @property
    def days(self) -> set[date]:
        return set(self.due) | set(self.paid)

    def through(self, day: date) -> dict[str, Decimal]:
        """max(T_c, S_c) through `day` (days must come in order)."""
        for c in COMPONENTS:
            self.fallen[c] += self.due[day][c] if day in self.due else ZERO
            self.settled[c] += self.paid[day][c] if day in self.paid else ZERO
        return {c: max(self.fallen[c], self.settled[c]) for c in COMPONENTS}


def dues_of(rows: Sequence[Row], charges: Sequence[Charge], live: Sequence[Txn]) -> list[Due]:
    """Each installment's own amounts as they fell due: the stored amounts (before waivers) without the added
    charges (they count from their own date) and without what a payoff forgave (never due, never charged).

    A payoff forgives unearned interest newest installment first, an interest waiver takes the oldest first:
    the interest a row had waived is read as forgiven from the newest rows back, up to the payoffs' total.
    The fees a payoff cut are what a row had waived beyond the charge waivers on it.
    """
    attached: dict[tuple[int, bool], Decimal] = defaultdict(lambda: ZERO)
    for ch in charges:
        attached[(ch.installment_n, ch.penalty)] += ch.amount
    by_charge = {ch.id: ch for ch in charges}
    waived_fee_charges: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for t in live:
        charge = by_charge.get(t.charge_id or 0)
        if t.type == "waive_charge" and charge is not None and not charge.penalty:
            waived_fee_charges[charge.installment_n] += t.fees
    forgiven_left = sum((t.interest_waived for t in live if t.type == "prepayment"), ZERO)
    forgiven: dict[int, Decimal] = {}
    for row in sorted(rows, key=lambda r: r.n, reverse=True):
        forgiven[row.n] = min(row.waived_interest, forgiven_left)
        forgiven_left -= forgiven[row.n]
    return [Due(r.n, r.due_date, r.interest - forgiven[r.n],
                r.fees - attached[(r.n, False)] - (r.waived_fees - waived_fee_charges[r.n]),
                r.penalties - attached[(r.n, True)]) for r in rows]


def loan_history(rows: Sequence[Row], charges: Sequence[Charge], txns: Iterable[Txn], since: date, to: date,
                 digits: int) -> History:
    """The loan's lines from `since` to `to`, with the balance before `since` as the opening."""
    ordered = sorted(txns, key=lambda t: (t.on, t.id))
    live = [t for t in ordered if t.reversed_on is None]
    reversed_ = [t for t in ordered if t.reversed_on is not None]
    by_day: dict[date, list[Txn]] = defaultdict(list)
    for t in live:
        by_day[t.on].append(t)
    dues = dues_of(rows, charges, live)
    fallen = _Fallen(dues, charges, live)
    days = fallen.days | set(by_day) | {t.on for t in reversed_}
    days |= {max(t.reversed_on, t.on) for t in reversed_ if t.reversed_on is not None}
    book, before, during = _Book(digits), Totals(), Totals()
    opening: tuple[Decimal, Decimal] | None = None
    lines: list[Line] = []
    for day in sorted(d for d in days if d <= to):
        if day >= since and opening is None:
            opening = (book.balance, book.principal)
        totals = during if day >= since else before
        day_lines = _day_lines(day, dues, charges, fallen.through(day), by_day[day], reversed_, book, totals)
        if day >= since:
            lines += day_lines
    if opening is None:
        opening = (book.balance, book.principal)
    _fill_running(opening[0], lines)
    return History(opening[0], opening[1], lines, during)


def _fill_running(opening: Decimal, lines: list[Line]) -> None:
    balance = opening
    for line in lines:
        balance += line.debit - line.credit
        line.balance = balance


def _stamped(lines: list[Line], book: _Book) -> list[Line]:
    for line in lines:
        line.principal = book.principal
    return lines


def _day_lines(day: date, dues: Sequence[Due], charges: Sequence[Charge], due_by_now: dict[str, Decimal],
               todays: Sequence[Txn], reversed_: Sequence[Txn], book: _Book, totals: Totals) -> list[Line]:
    """A day: disbursements, then what fell due (or was settled before due), then payments, then reversals."""
    lines: list[Line] = []
    for t in todays:
        if t.type == "disbursement":
            lines += _stamped(_transaction_lines(t, book, totals), book)
    lines += _stamped(_charge_lines(day, dues, charges, due_by_now, book, totals), book)
    for t in todays:
        if t.type != "disbursement":
            lines += _stamped(_transaction_lines(t, book, totals), book)
    for t in reversed_:
        lines += _stamped(_reversed_lines(t, day, book), book)
    return lines


def _charge_lines(day: date, dues: Sequence[Due], charges: Sequence[Charge], due_by_now: dict[str, Decimal],
                  book: _Book, totals: Totals) -> list[Line]:
    if book.written_off:
        return []
    lines = []
    for c in COMPONENTS:
        step = due_by_now[c] - book.charged[c]
        if step == 0:
            continue
        book.charged[c] += step
        totals.charged[c] += step
        description, reference = _charge_description(c, day, dues, charges)
        lines.append(Line(day, description, reference, max(step, ZERO), max(-step, ZERO)))
    return lines
