"""The progressive schedule: an EMI from per-period rate factors, interest on the opening balance of each period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal

from akiba.core.money import ZERO
from akiba.loans.dates import PeriodDates, add_frequency, days_in_month_of, days_in_year_of
from akiba.loans.rates import HUNDRED
from akiba.loans.terms import Installment, ScheduleRequest

ONE = Decimal(1)
Parts = list[tuple[Decimal, Decimal]]  # (principal, interest) of each period


@dataclass(frozen=True)
class RatedPeriod:
    """A repayment period with its rate factor minus one: the share of the principal charged as interest."""

    dates: PeriodDates
    factor: Decimal


def first_period_start(req: ScheduleRequest, first_due: date) -> date:
    """Where the first period nominally starts; later than the disbursement only for a mid-period disbursement."""
    if req.repayment_frequency == "months":
        nominal = add_frequency(first_due, "months", -req.repayment_every)
    else:
        nominal = add_frequency(first_due, req.repayment_frequency, -req.repayment_every)
    return min(nominal, req.expected_disbursement_date)


def _year_crossing_fraction(start: date, end: date, ctx: Context) -> Decimal:
    """Σ(days in each calendar year's slice ÷ that year's length), for actual/actual periods across a year end."""
    total = ZERO
    cursor = start
    for year in range(start.year, end.year + 1):
        slice_end = end if year == end.year else date(year, 12, 31)
        total = ctx.add(total, ctx.divide(Decimal((slice_end - cursor).days), Decimal(days_in_year_of(cursor))))
        cursor = slice_end
    return total


def _days_per_frequency_unit(req: ScheduleRequest, start: date) -> Decimal:
    if req.repayment_frequency == "days":
        return ONE
    if req.repayment_frequency == "weeks":
        return Decimal(7)
    return Decimal(30) if req.days_in_month == "30" else Decimal(days_in_month_of(start))


def rate_factor(req: ScheduleRequest, start: date, end: date, accrual_start: date) -> Decimal:
    """annual × (unit days × every ÷ days in year) × (days accruing ÷ days in the period)."""
    ctx = req.rate_context
    rate = ctx.divide(req.annual_interest_rate, HUNDRED)
    every = Decimal(req.repayment_every)
    if req.days_in_year == "actual" and end.year > start.year:
        return ctx.multiply(rate, every * _year_crossing_fraction(start, end, ctx))
    days_in_year = Decimal(days_in_year_of(start)) if req.days_in_year == "actual" else Decimal(req.days_in_year)
    share_of_year = ctx.divide(ctx.multiply(_days_per_frequency_unit(req, start), every), days_in_year)
    accruing = Decimal((end - accrual_start).days)
    whole = Decimal((end - start).days)
    return ctx.divide(ctx.multiply(ctx.multiply(rate, share_of_year), accruing), whole)


def rated_periods(req: ScheduleRequest, periods: list[PeriodDates]) -> list[RatedPeriod]:
    rated: list[RatedPeriod] = []
    for index, period in enumerate(periods):
        start = first_period_start(req, period.due_date) if index == 0 else period.from_date
        dates = PeriodDates(start, period.due_date)
        rated.append(RatedPeriod(dates, rate_factor(req, start, period.due_date, period.from_date)))
    return rated


def emi_for(req: ScheduleRequest, balance: Decimal, factors: list[Decimal]) -> Decimal:
    """EMI = B × Π(1+f) ÷ F with F₁ = 1, F_k = 1 + F_{k-1}·(1+f_k): the annuity for uneven rate factors."""
    ctx = req.rate_context
    product = ONE
    for factor in factors:
        product = ctx.multiply(product, ctx.add(ONE, factor))
    fn = ONE
    for factor in factors[1:]:
        fn = ctx.add(ONE, ctx.multiply(fn, ctx.add(ONE, factor)))
    emi = req.rounding.money(ctx.divide(ctx.multiply(product, balance), fn))
    return req.rounding.money(req.rounding.multiple(emi, req.installment_in_multiples_of))


def amortise(req: ScheduleRequest, balance: Decimal, emi: Decimal, factors: list[Decimal]) -> Parts:
    """(principal, interest) per period for a given EMI; the last period (or an early payoff) takes the rest."""
    parts: Parts = []
    for index, factor in enumerate(factors):
        interest = req.rounding.money(balance * factor)
        # A period whose interest exceeds the EMI repays no principal rather than adding to the debt.
        principal = max(emi - interest, ZERO)
        if balance < principal or index == len(factors) - 1:
            principal = balance
        parts.append((principal, interest))
        balance -= principal
        if balance == ZERO:
            break
    return parts


def interest_only(req: ScheduleRequest, balance: Decimal, factors: list[Decimal]) -> Parts:
    """Periods of grace on principal: their installment is their interest on the undiminished balance."""
    return [(ZERO, req.rounding.money(balance * factor)) for factor in factors]


def _last_difference(emi: Decimal, parts: Parts) -> Decimal:
    last_principal, last_interest = parts[-1]
    return last_principal + last_interest - emi


def streamlined_parts(req: ScheduleRequest, balance: Decimal, emi: Decimal, factors: list[Decimal]) -> Parts:
    """Amortise with the EMI; when the last installment drifts too far, try EMI + (last − EMI) ÷ n instead and
    keep whichever amortisation leaves the last installment closer to the EMI."""
    parts = amortise(req, balance, emi, factors)
    count = len(factors)
    half = Decimal(count // 2)
    if count < 2 or half == 0:
        return parts
    difference = _last_difference(emi, parts)
    if difference == ZERO or abs(difference) * 100 <= half:
        return parts
    adjusted = emi + req.rounding.money(difference / count)
    adjusted_parts = amortise(req, balance, adjusted, factors)
    better = abs(_last_difference(adjusted, adjusted_parts)) < abs(difference)
    return adjusted_parts if better else parts


def generate_progressive(
    req: ScheduleRequest, balance: Decimal, periods: list[PeriodDates], offset: int = 0
) -> list[Installment]:
    """Installments for `balance` over the periods, numbered after `offset` earlier rows (a down payment)."""
    factors = [period.factor for period in rated_periods(req, periods)]
    # Grace on principal: the first periods pay their interest only; the EMI amortises the balance over the rest.
    grace = min(req.grace_on_principal, len(factors))
    amortising = factors[grace:]
    chosen = interest_only(req, balance, factors[:grace])
    chosen += streamlined_parts(req, balance, emi_for(req, balance, amortising), amortising)
    rows: list[Installment] = []
    # An early payoff leaves fewer parts than periods; the periods after it simply do not exist.
    parts = zip(chosen, periods, strict=False)
    for number, ((principal, interest), period) in enumerate(parts, offset + 1):
        balance -= principal
        rows.append(Installment.scheduled(number, period.from_date, period.due_date, principal, interest, balance))
    return rows
