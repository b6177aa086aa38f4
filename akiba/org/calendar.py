"""Where a due date lands when it falls on a non-working day or a holiday (pure: standard library only).

Weekdays are ISO numbers: 1 Monday ... 7 Sunday. A holiday is `(from, to)` or `(from, to, rescheduled_to)`:
with a `rescheduled_to` date, repayments due inside the holiday move there (Fineract's "specified date");
without one they move out of the holiday in the rule's direction (Fineract's "next repayment date").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Literal

Rule = Literal["same_day", "next_working_day", "previous_working_day", "next_repayment_meeting"]
RULES: tuple[Rule, ...] = ("same_day", "next_working_day", "previous_working_day", "next_repayment_meeting")
Holiday = tuple[date, date] | tuple[date, date, date | None]
ALL_WEEKDAYS = frozenset(range(1, 8))
# A due date never moves further than this: a calendar with no way out (e.g. a holiday rescheduling into
# another holiday that reschedules back) stops here instead of looping.
_MAX_MOVES = 400
_ONE_DAY = timedelta(days=1)


def _holiday_containing(d: date, holidays: Sequence[Holiday]) -> Holiday | None:
    for holiday in holidays:
        if holiday[0] <= d <= holiday[1]:
            return holiday
    return None


def _step(rule: Rule) -> timedelta:
    return -_ONE_DAY if rule == "previous_working_day" else _ONE_DAY


def adjust_to_working_day(
    d: date,
    working_days: frozenset[int],
    holidays: Sequence[Holiday],
    rule: Rule,
    meeting_after: Callable[[date], date] | None = None,
) -> date:
    """The date a repayment due on `d` is actually due.

    Holidays move a due date whatever the rule (as in Fineract, where holidays and working days are separate
    settings); `same_day` leaves a non-working day as it is. `next_repayment_meeting` moves to the next meeting
    given by `meeting_after` (the group's meeting calendar) and falls back to the next working day without one.
    """
    if not working_days:
        return d
    for _ in range(_MAX_MOVES):
        holiday = _holiday_containing(d, holidays)
        if holiday is not None:
            d = _out_of_holiday(holiday, rule)
            continue
        if d.isoweekday() in working_days or rule == "same_day":
            return d
        if rule == "next_repayment_meeting" and meeting_after is not None:
            d = meeting_after(d)
        else:
            d += _step(rule)
    return d


def _out_of_holiday(holiday: Holiday, rule: Rule) -> date:
    rescheduled_to = holiday[2] if len(holiday) == 3 else None
    if rescheduled_to is not None:
        return rescheduled_to
    return holiday[0] - _ONE_DAY if rule == "previous_working_day" else holiday[1] + _ONE_DAY


def is_working_day(d: date, working_days: frozenset[int], holidays: Sequence[Holiday]) -> bool:
    return d.isoweekday() in working_days and _holiday_containing(d, holidays) is None
