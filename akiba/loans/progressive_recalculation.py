"""Interest recalculation for the progressive schedule, as Fineract's ProgressiveEMICalculator does it.

The model keeps, per repayment period, its EMI and what was paid of its principal and interest, and a list of
balance corrections (principal paid, dated). From these it derives every period's due amounts:

- interest accrues on the actual balance day by day: each period is cut into interest periods at the dates of
  its balance corrections, and each piece earns balance × the period's rate factor pro rata of its days; the
  pieces are summed and the period rounds once;
- a period's due interest is that interest, at most its EMI; when more principal was paid on it than EMI − interest
  leaves room for (an early repayment), it keeps the interest paid, and what it did not take ("unrecognised
  interest") moves to the next period;
- due principal is EMI − due interest (at least the principal paid); the next period opens on the balance the
  corrections and the due principal leave. A late payment corrects the balance at the period's due date, where the
  schedule had already taken the principal off; the principal left unpaid at a due date stays in the balance
  instead (Fineract's overdue balance correction) until it is paid or until the business date (`as_of`, else the
  latest repayment), or with a rest of the repayment period and interest till the rest date, until the due date of
  the period the business date falls in; never past maturity. With a rest of the repayment period, paying it
  counts from the next due date;
- the EMIs stay; the last unpaid period absorbs the difference, so that the due principal still sums to the
  principal. This is Fineract's ADJUST_LAST_UNPAID_PERIOD, the reschedule strategy of its progressive products; the
  request's `reschedule_strategy` (whose choices are the cumulative schedule's) is not read here: principal paid
  ahead on later periods leaves them fully paid, so the loan ends sooner, and a lower balance lowers the interest.

A repayment on date D is spread over the periods oldest first, each in the strategy's component order: a period
already due pays what it owes; the period running on D pays the interest accrued until D and the rest of its EMI
as principal; a later period pays its EMI as principal only (no interest has accrued on it yet).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from akiba.core.money import ZERO
from akiba.loans.allocation import Component, Strategy, strategy_for
from akiba.loans.dates import DueDateAdjuster, PeriodDates, repayment_periods
from akiba.loans.progressive import _year_crossing_fraction, first_period_start, generate_progressive, rate_factor
from akiba.loans.rates import HUNDRED
from akiba.loans.terms import Installment, ScheduleRequest, Transaction

# An EMI change by the last unpaid period can push it under what was already paid of it; Fineract then pins it to
# the paid amount and adjusts again. Each round can only grow the EMI, so a few rounds settle it.
_SETTLE_ROUNDS = 4


@dataclass(frozen=True)
class Correction:
    """A change of the balance from `on` on: principal paid (negative), or overdue principal kept in (positive)."""

    on: date
    amount: Decimal


@dataclass
class ModelPeriod:
    number: int
    rate_start: date  # where the period nominally starts: its rate factor counts from here
    from_date: date  # where interest starts accruing (the disbursement, for the first period)
    due_date: date
    emi: Decimal
    original_emi: Decimal
    paid_principal: Decimal = ZERO
    paid_interest: Decimal = ZERO
    corrections: list[Correction] = field(default_factory=list)
    principal_payments: list[Correction] = field(default_factory=list)  # amounts paid, on their transaction dates
    annual_interest_rate: Decimal | None = None  # a rescheduled period's own rate; None: the loan's

    @property
    def paid(self) -> Decimal:
        return self.paid_principal + self.paid_interest

    @property
    def fully_paid(self) -> bool:
        return self.emi == self.paid

    def holds(self, on: date) -> bool:
        """Whether a balance change on `on` falls in this period: from exclusive (inclusive for the first), due
        inclusive, as Fineract finds the period of a date."""
        after_start = on >= self.from_date if self.number == 1 else on > self.from_date
        return after_start and on <= self.due_date


@dataclass(frozen=True)
class PeriodDues:
    """What one period owes, derived from the model."""

    calculated_interest: Decimal  # accrued in the period, plus what the previous period could not take
    interest: Decimal
    principal: Decimal
    unrecognised_interest: Decimal
    closing_balance: Decimal

    def outstanding_principal(self, period: ModelPeriod) -> Decimal:
        return max(self.principal - period.paid_principal, ZERO)

    def outstanding_interest(self, period: ModelPeriod) -> Decimal:
        return max(self.interest - period.paid_interest, ZERO)


@dataclass
class ProgressiveModel:
    """The interest schedule model of one progressive loan: periods, EMIs, payments and balance corrections."""

    req: ScheduleRequest
    principal: Decimal
    periods: list[ModelPeriod]
    # Rate factors depend on the dates only, so copies share them; the dues are kept from the last settlement.
    factors: dict[tuple[int, date], Decimal] = field(default_factory=dict, repr=False)
    settled: list[PeriodDues] | None = field(default=None, repr=False)
    # The business date of the model: principal overdue before it stays in the balance until then.
    as_of: date | None = None

    @classmethod
    def disbursed(cls, req: ScheduleRequest, principal: Decimal, dates: list[PeriodDates]) -> ProgressiveModel:
        """The model at disbursement: the EMIs of the plain progressive schedule (its last one absorbs rounding)."""
        return cls(req, principal, _plain_periods(req, principal, dates, 0))

    def copy(self) -> ProgressiveModel:
        periods = [replace(p, corrections=list(p.corrections), principal_payments=list(p.principal_payments))
                   for p in self.periods]
        return ProgressiveModel(self.req, self.principal, periods, self.factors, as_of=self.as_of)

    def advance_to(self, on: date) -> None:
        """Move the business date on (never back): overdue principal earns interest until then."""
        if self.as_of is None or on > self.as_of:
            self.as_of = on
            self.settle_last_emi()

    def period(self, number: int) -> ModelPeriod:
        return self.periods[number - 1]

    # -- deriving the due amounts ---------------------------------------------------------------------------

    def dues(self, till: date | None = None) -> list[PeriodDues]:
        """Every period's due amounts; with `till`, interest stops accruing on that day (a what-if as of then)."""
        result: list[PeriodDues] = []
        opening = self.principal
        carried = ZERO
        overdue_until = self._overdue_until()
        overdue: list[Correction] = []  # overdue principal back in the balance, as Fineract's overdue corrections
        for period in self.periods:
            changes = period.corrections + [c for c in overdue if period.from_date <= c.on < period.due_date]
            accrued, closing = self._accrue(period, changes, opening, till)
            calculated = self.req.rounding.money(accrued) + carried
            interest = self._due_interest(period, calculated)
            principal = max(period.emi - interest, period.paid_principal, ZERO)
            closing = max(closing + period.paid_principal - principal, ZERO)
            unrecognised = max(calculated - interest, ZERO)
            result.append(PeriodDues(calculated, interest, principal, unrecognised, closing))
            opening, carried = closing, unrecognised
            if overdue_until is not None and period.due_date < overdue_until:
                overdue += _overdue_corrections(period, principal, overdue_until, self._rest_date)
        return result

    def _overdue_until(self) -> date | None:
        """Until when overdue principal earns interest: the business date, or with a rest of the repayment period
        and interest till the rest date, the due date of the period it falls in; never after maturity."""
        if self.as_of is None:
            return None
        recalculation = self.req.interest_recalculation
        until = self.as_of
        if recalculation is not None and recalculation.rest_frequency == "same_as_repayment" \
                and recalculation.pre_close == "till_rest_frequency_date":
            until = self._rest_date(until)
        return min(until, self.periods[-1].due_date)

    def _rest_date(self, on: date) -> date:
        """From when a payment of overdue principal counts: its date with a daily rest, else the due date of the
        period it falls in (the next rest)."""
        recalculation = self.req.interest_recalculation
        if recalculation is None or recalculation.rest_frequency == "daily":
            return on
        return next((p.due_date for p in self.periods if p.holds(on)), on)

    @staticmethod
    def _due_interest(period: ModelPeriod, calculated: Decimal) -> Decimal:
        room_for_principal = max(period.emi - calculated, ZERO)
        if period.paid_principal > room_for_principal:
            # Paid early beyond what the EMI leaves for principal: the period keeps the interest it was paid.
            return period.paid_interest
        return max(min(calculated, period.emi), period.paid_interest)

    def _accrue(self, period: ModelPeriod, changes: list[Correction], opening: Decimal,
                till: date | None) -> tuple[Decimal, Decimal]:
        """Interest accrued in the period (unrounded) and the balance at its end before its own principal."""
        end = period.due_date if till is None else min(period.due_date, till)
        balance = opening + _sum_on(changes, period.from_date)
        cuts = sorted({c.on for c in changes if period.from_date < c.on < period.due_date})
        accrued = ZERO
        cursor = period.from_date
        for cut in [*cuts, period.due_date]:
            stop = min(cut, end)
            if stop > cursor:
                accrued += self._piece_interest(period, max(balance, ZERO), cursor, stop)
            balance += _sum_on(changes, cut)
            cursor = max(cursor, stop)
        return accrued, balance

    def _piece_interest(self, period: ModelPeriod, balance: Decimal, start: date, stop: date) -> Decimal:
        """balance × (rate factor from `start` to the due date) ÷ its days × the piece's days."""
        ctx = self.req.rate_context
        factor = self._factor_till_due(period, start)
        if start == period.from_date and stop == period.due_date:
            return ctx.multiply(balance, factor)  # the whole period: exactly the plain schedule's product
        days_till_due = Decimal((period.due_date - start).days)
        per_day = ctx.divide(ctx.multiply(balance, factor), days_till_due)
        return ctx.multiply(per_day, Decimal((stop - start).days))

    def _factor_till_due(self, period: ModelPeriod, start: date) -> Decimal:
        key = (period.number, start)
        if key not in self.factors:
            self.factors[key] = self._rate_factor_till_due(period, start)
        return self.factors[key]

    def _rate_factor_till_due(self, period: ModelPeriod, start: date) -> Decimal:
        req = self.req if period.annual_interest_rate is None \
            else replace(self.req, annual_interest_rate=period.annual_interest_rate)
        if start == period.from_date or req.days_in_year != "actual" or period.due_date.year == period.rate_start.year:
            return rate_factor(req, period.rate_start, period.due_date, start)
        # A piece of an actual/actual period across a year end: each year's days over that year's length.
        ctx = req.rate_context
        rate = ctx.divide(req.annual_interest_rate, HUNDRED)
        return ctx.multiply(rate, req.repayment_every * _year_crossing_fraction(start, period.due_date, ctx))

    # -- the EMI of the last unpaid period ---------------------------------------------------------------------

    def settle_last_emi(self, till: date | None = None) -> list[PeriodDues]:
        """Let the last unpaid period's EMI absorb whatever makes the due principal differ from the principal."""
        dues = self._settle(till)
        if till is None:
            self.settled = dues
        return dues

    def _settle(self, till: date | None) -> list[PeriodDues]:
        dues = self.dues(till)
        for _ in range(_SETTLE_ROUNDS):
            last = next((p for p in reversed(self.periods) if not p.fully_paid), None)
            if last is None:
                return dues
            total_interest = sum((d.interest for d in dues), ZERO)
            total_emi = sum((p.emi for p in self.periods), ZERO)
            adjusted = last.emi + self.principal + total_interest - total_emi
            if adjusted == last.emi:
                return dues
            last.emi = max(adjusted, last.paid)
            dues = self.dues(till)
            if adjusted >= last.paid:
                return dues
        return dues

    # -- what a period owes on a date, and paying it -----------------------------------------------------------

    def due_on(self, number: int, on: date) -> PeriodDues:
        """The period's dues for a payment on `on`: interest only as accrued until then (Fineract getDueAmounts)."""
        last_unpaid = next((p.number for p in reversed(self.periods) if not p.fully_paid), None)
        if self.period(number).due_date <= on and number != last_unpaid:
            # Interest stopping on `on` changes only later periods, and only the last unpaid one's EMI.
            return (self.settled or self.settle_last_emi())[number - 1]
        copy = self.copy()
        dues = copy.settle_last_emi(on)
        period = copy.period(number)
        if on <= period.from_date and sum(not p.fully_paid for p in copy.periods) > 1:
            # A period not started yet owes its EMI, but never more principal than the loan has left.
            period.emi = period.original_emi
            left = self.principal - sum((p.paid_principal for p in copy.periods), ZERO)
            own = copy.dues(on)[number - 1]
            period.emi -= max(own.outstanding_principal(period) - max(left, ZERO), ZERO)
            dues = copy.dues(on)
        return dues[number - 1]

    def pay_interest(self, number: int, on: date, amount: Decimal) -> None:
        """Interest paid on the period. Its date is kept in the signature, as Fineract's payInterest has it, so that
        callers name every payment alike; paying interest moves no balance, so nothing here depends on it."""
        self.period(number).paid_interest += amount
        self.settle_last_emi()

    def pay_principal(self, number: int, on: date, amount: Decimal) -> None:
        """Principal paid on the period: the balance falls from the payment date, or from the due date when late."""
        period = self.period(number)
        period.paid_principal += amount
        period.principal_payments.append(Correction(on, amount))
        self._correct_balance(min(on, period.due_date), -amount)
        self.settle_last_emi()

    def _correct_balance(self, on: date, amount: Decimal) -> None:
        holder = next((p for p in self.periods if p.holds(on)), self.periods[-1])
        holder.corrections.append(Correction(on, amount))

    def repay(self, on: date, amount: Decimal, strategy: Strategy) -> Decimal:
        """Spread a repayment over the periods oldest first; answers what none of them could take."""
        remaining = amount
        for period in self.periods:
            if remaining <= 0:
                break
            if period.fully_paid:
                continue
            order = strategy.due_order if period.due_date <= on else strategy.advance_order
            for component in order:
                remaining -= self._pay_component(period, component, on, remaining)
        return remaining

    def _pay_component(self, period: ModelPeriod, component: Component, on: date, available: Decimal) -> Decimal:
        if component not in ("interest", "principal") or available <= 0:
            return ZERO
        dues = self.due_on(period.number, on)
        if component == "interest":
            portion = min(dues.outstanding_interest(period), available)
            if portion > 0:
                self.pay_interest(period.number, on, portion)
        else:
            portion = min(dues.outstanding_principal(period), available)
            if portion > 0:
                self.pay_principal(period.number, on, portion)
        return portion

    # -- a reschedule -----------------------------------------------------------------------------------------

    def reschedule(self, change: TermChange) -> None:
        """The periods after the first `change.keep` give way to those of the change's terms, whose EMIs amortise
        what the kept periods leave of the principal (as Fineract recomputes the EMI of the periods from a rate
        change or added periods on). Principal already paid on a dropped period (paid ahead) is carried onto the
        new periods in order, as if paid on them: the balance fell by it when it was paid."""
        dues = self.settled or self.settle_last_emi()
        kept, dropped = self.periods[: change.keep], self.periods[change.keep:]
        left = self.principal - sum((d.principal for d in dues[: change.keep]), ZERO)
        new = _plain_periods(change.req, left, change.dates, change.keep) if left > 0 else []
        for period in new:
            period.annual_interest_rate = change.req.annual_interest_rate
        _carry_paid_principal(dropped, new)
        self.periods = kept + new
        self.factors = {}  # the dropped periods' factors were cached under the numbers the new ones take
        self.settled = None
        self.settle_last_emi()

    # -- the schedule ------------------------------------------------------------------------------------------

    def installments(self, offset: int = 0) -> list[Installment]:
        """The periods as schedule rows (numbered after `offset` earlier rows), with what each owes."""
        rows: list[Installment] = []
        balance = self.principal
        for period, dues in zip(self.periods, self.dues(), strict=True):
            balance -= dues.principal
            rows.append(Installment.scheduled(period.number + offset, period.from_date, period.due_date,
                                              dues.principal, dues.interest, balance))
        return rows


@dataclass(frozen=True)
class TermChange:
    """A reschedule as the model applies it once its date `on` is reached: the first `keep` periods stay, the rest
    are `dates` on the terms of `req` (its rate and grace on principal)."""

    on: date
    keep: int
    req: ScheduleRequest
    dates: list[PeriodDates]


def _plain_periods(req: ScheduleRequest, principal: Decimal, dates: list[PeriodDates],
                   offset: int) -> list[ModelPeriod]:
    """Model periods (numbered after `offset`) with the EMIs of the plain progressive schedule for `principal`."""
    plain = generate_progressive(req, principal, dates)
    periods = []
    # A plain schedule that pays off early has fewer rows than periods; the periods after it do not exist.
    for index, (row, period) in enumerate(zip(plain, dates[: len(plain)], strict=True)):
        rate_start = first_period_start(req, period.due_date) if index == 0 else period.from_date
        emi = row.principal + row.interest
        periods.append(ModelPeriod(offset + index + 1, rate_start, period.from_date, period.due_date, emi, emi))
    return periods


def _carry_paid_principal(dropped: list[ModelPeriod], new: list[ModelPeriod]) -> None:
    """Dropped periods start on the reschedule's date, so nothing paid before it was interest on them."""
    payments = sorted((c for p in dropped for c in p.principal_payments), key=lambda c: c.on)
    targets = iter(new)
    period = next(targets, None)
    for payment in payments:
        amount = payment.amount
        while amount > 0 and period is not None:
            portion = min(amount, period.emi - period.paid_principal)
            if portion > 0:
                period.paid_principal += portion
                period.principal_payments.append(Correction(payment.on, portion))
                amount -= portion
            if period.paid_principal >= period.emi:
                period = next(targets, None)


def _sum_on(corrections: list[Correction], on: date) -> Decimal:
    return sum((c.amount for c in corrections if c.on == on), ZERO)


def _overdue_corrections(period: ModelPeriod, due_principal: Decimal, until: date,
                         rest_date: Callable[[date], date]) -> list[Correction]:
    """The period's principal left unpaid at its due date stays in the balance from then until it is paid (from the
    `rest_date` of the payment), or until `until`: Fineract treats what is overdue as paid on the business date."""
    unpaid = due_principal - sum((c.amount for c in period.principal_payments if c.on <= period.due_date), ZERO)
    if unpaid <= 0:
        return []
    corrections = [Correction(period.due_date, unpaid)]
    for payment in sorted(period.principal_payments, key=lambda c: c.on):
        counts_from = rest_date(payment.on)
        if period.due_date < payment.on and counts_from < until and unpaid > 0:
            paid = min(payment.amount, unpaid)
            corrections.append(Correction(counts_from, -paid))
            unpaid -= paid
    if unpaid > 0:
        corrections.append(Correction(until, -unpaid))
    return corrections


def recalculate_progressive_rows(
    req: ScheduleRequest,
    principal: Decimal,
    down_payment: Decimal,
    transactions: list[Transaction],
    adjust_due_date: DueDateAdjuster | None = None,
    changes: Sequence[TermChange] = (),
) -> list[Installment]:
    """The repayment rows of a progressive loan after its repayments (date order), numbered after the down payment
    installment when there is one: being due at disbursement, it takes the first `down_payment` of the money.

    `changes` (reschedules, in the order they were made) apply in that order, each after the repayments up to its
    date (and the earlier changes' dates), before the later ones, as Fineract processes a loan's events by date."""
    model = ProgressiveModel.disbursed(req, principal, repayment_periods(req, adjust_due_date))
    strategy = strategy_for(req.transaction_processing_strategy)
    pending = list(changes)
    reached: date | None = None  # a change never applies before an earlier one
    owed_down_payment = down_payment
    for transaction in transactions:
        reached = _apply_changes_before(model, pending, transaction.date, reached)
        to_down_payment = min(owed_down_payment, transaction.amount)
        owed_down_payment -= to_down_payment
        model.advance_to(transaction.date)
        model.repay(transaction.date, transaction.amount - to_down_payment, strategy)
    _apply_changes_before(model, pending, None, reached)
    if req.as_of is not None:
        model.advance_to(req.as_of)
    return model.installments(offset=1 if req.down_payment is not None else 0)


def _apply_changes_before(model: ProgressiveModel, pending: list[TermChange], before: date | None,
                          reached: date | None) -> date | None:
    """Apply (and take off `pending`) the changes due before a transaction on `before` (all with None)."""
    while pending:
        on = max(pending[0].on, reached) if reached else pending[0].on
        if before is not None and on >= before:
            break
        if model.req.as_of is not None:
            # Principal overdue at the change earns interest until then, as it will in the final schedule.
            model.advance_to(min(on, model.req.as_of))
        model.reschedule(pending.pop(0))
        reached = on
    return reached
