"""The schedule engine's shortcuts must agree with the plain ways they replace."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from akiba.loans.dates import add_months, month_length
from akiba.loans.terms import Installment


def test_scheduled_row_equals_the_dataclass_constructor() -> None:
    start, due = date(2024, 1, 31), date(2024, 2, 29)
    fast = Installment.scheduled(3, start, due, Decimal("83.33"), Decimal("1.25"), Decimal("916.67"))
    plain = Installment(3, start, due, Decimal("83.33"), Decimal("1.25"), Decimal("916.67"))
    assert fast == plain
    assert vars(fast) == vars(plain)
    assert (fast.paid_date, fast.paid, fast.is_down_payment) == (None, Decimal(0), False)


def test_month_length_agrees_with_the_calendar() -> None:
    for year in (1900, 2000, 2023, 2024, 2100):
        for month in range(1, 13):
            assert month_length(year, month) == calendar.monthrange(year, month)[1]


def test_add_months_clamps_to_the_end_of_a_shorter_month() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2024, 12, 15), 13) == date(2026, 1, 15)
    day = date(2023, 11, 30)
    for months in range(-30, 30):
        expected_month = (day.month - 1 + months) % 12 + 1
        shifted = add_months(day, months)
        assert shifted.month == expected_month
        assert shifted.day == min(30, calendar.monthrange(shifted.year, shifted.month)[1])
