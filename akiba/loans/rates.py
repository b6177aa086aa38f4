"""Periodic interest rates of the cumulative (classic) schedule, and the annuity payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from akiba.core.money import ZERO
from akiba.loans.dates import PeriodDates, add_frequency, whole_months_between
from akiba.loans.terms import ScheduleRequest

HUNDRED = Decimal(100)
_CALENDAR_PERIODS_PER_YEAR = {"days": 365, "weeks": 52, "months": 12}


def periods_per_year(req: ScheduleRequest) -> int:
    """The divisor of the annual rate: days in the year for daily interest, else repayment periods per year."""
    fixed_year = req.days_in_year != "actual"
    if req.interest_calculation_period == "daily":
        # An "actual" year is 365 days for this divisor; leap years are not treated specially here.
        return int(req.days_in_year) if fixed_year else 365
    if req.repayment_frequency == "days" and fixed_year:
        return int(req.days_in_year)
    return _CALENDAR_PERIODS_PER_YEAR[req.repayment_frequency]


def frequency_units_between(req: ScheduleRequest, start: date, end: date) -> Decimal:
    """How many frequency units (days, weeks or months) lie between two dates, with a fractional remainder."""
    days = (end - start).days
    if req.repayment_frequency == "days":
        return Decimal(days)
    if req.repayment_frequency == "weeks":
        return Decimal(days // 7) + Decimal(days % 7) / Decimal(7)
    months = whole_months_between(start, end)
    after_months = add_frequency(start, "months", months)
    month_length = (add_frequency(start, "months", months + 1) - after_months).days
    return Decimal(months) + Decimal((end - after_months).days) / Decimal(month_length)


def nominal_rate(req: ScheduleRequest) -> Decimal:
    """The annual rate per divisor unit (a day or a repayment period), as a fraction."""
    ctx = req.rate_context
    return ctx.divide(ctx.divide(req.annual_interest_rate, Decimal(periods_per_year(req))), HUNDRED)


def period_rates(req: ScheduleRequest, periods: list[PeriodDates]) -> list[Decimal]:
    """The rate of every period, with the nominal rate worked out once."""
    per_period = nominal_rate(req)
    return [_rate_over(req, per_period, period.from_date, period.due_date) for period in periods]


def periodic_rate(req: ScheduleRequest, start: date, end: date) -> Decimal:
    """The rate applied to the opening balance of the period [start, end)."""
    return _rate_over(req, nominal_rate(req), start, end)


def _rate_over(req: ScheduleRequest, per_period: Decimal, start: date, end: date) -> Decimal:
    if req.interest_calculation_period == "daily":
        return req.rate_context.multiply(per_period, _accruing_days(req, start, end))
    if req.allow_partial_period_interest_calculation:
        return per_period * frequency_units_between(req, start, end)
    return per_period * Decimal(req.repayment_every)


def _accruing_days(req: ScheduleRequest, start: date, end: date) -> Decimal:
    """Actual days, or 30 a month (with the fraction of a broken month) for a 30-day-month product."""
    if req.repayment_frequency == "months" and req.days_in_month == "30":
        return req.rate_context.multiply(frequency_units_between(req, start, end), Decimal(30))
    return Decimal((end - start).days)


def annuity_rate(req: ScheduleRequest) -> Decimal:
    """The nominal rate the EMI is computed with: a standard period, whatever the actual period lengths."""
    ctx = req.rate_context
    per_period = nominal_rate(req)
    if req.interest_calculation_period != "daily":
        return per_period * req.repayment_every
    standard_days = {"days": 1, "weeks": 7, "months": 30}[req.repayment_frequency] * req.repayment_every
    return ctx.multiply(per_period, Decimal(standard_days))


def annuity_payment(balance: Decimal, rate: Decimal, periods: int) -> Decimal:
    """The level payment that repays `balance` over `periods` at `rate` per period (spreadsheet PMT)."""
    if periods <= 0:
        return balance
    if rate == ZERO:
        return balance / periods
    growth = (1 + rate) ** periods
    return balance * rate * growth / (growth - 1)
