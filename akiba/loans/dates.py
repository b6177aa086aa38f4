"""Due dates of the repayment periods, and the day counts the interest rules need."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from akiba.loans.terms import Frequency, ScheduleRequest

DueDateAdjuster = Callable[[date], date]


@dataclass(frozen=True)
class PeriodDates:
    from_date: date
    due_date: date


_MONTH_LENGTHS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def month_length(year: int, month: int) -> int:
    """Days in a calendar month (calendar.monthrange also computes a weekday, which is most of its cost)."""
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_LENGTHS[month - 1]


# Schedules ask for the same few month steps over and over (due dates, month fractions): remember them.
@lru_cache(maxsize=8192)
def add_months(day: date, months: int) -> date:
    """Calendar months later, clamped to the end of a shorter month (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, month_length(year, month)))


def add_frequency(day: date, frequency: Frequency, count: int) -> date:
    if frequency == "days":
        return day + timedelta(days=count)
    if frequency == "weeks":
        return day + timedelta(weeks=count)
    return add_months(day, count)


def _keep_seed_day(day: date, seed: date) -> date:
    # A schedule seeded on the 29th-31st returns to that day whenever the month is long enough, instead of
    # drifting to the 28th forever after February.
    if seed.day > 28 and day.day >= 28:
        return day.replace(day=min(month_length(day.year, day.month), seed.day))
    return day


def nominal_due_dates(req: ScheduleRequest) -> list[date]:
    """The unadjusted due dates of the repayment periods (the down payment has none of its own)."""
    seed = req.first_repayment_date or req.expected_disbursement_date
    first = req.first_repayment_date or add_frequency(
        req.expected_disbursement_date, req.repayment_frequency, req.repayment_every
    )
    dues = [first]
    for _ in range(req.number_of_repayments - 1):
        following = add_frequency(dues[-1], req.repayment_frequency, req.repayment_every)
        if req.repayment_frequency == "months":
            following = _keep_seed_day(following, seed)
        dues.append(following)
    return dues


def repayment_periods(req: ScheduleRequest, adjust_due_date: DueDateAdjuster | None = None) -> list[PeriodDates]:
    """Consecutive periods from the disbursement; a moved due date also moves the next period's start."""
    periods: list[PeriodDates] = []
    start = req.expected_disbursement_date
    for nominal in nominal_due_dates(req):
        due = adjust_due_date(nominal) if adjust_due_date is not None else nominal
        periods.append(PeriodDates(start, due))
        start = due
    return periods


def whole_months_between(start: date, end: date) -> int:
    """Completed calendar months from start to end (Java's ChronoUnit.MONTHS.between)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def days_in_year_of(day: date) -> int:
    return 366 if calendar.isleap(day.year) else 365


def days_in_month_of(day: date) -> int:
    return month_length(day.year, day.month)
