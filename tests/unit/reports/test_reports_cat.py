"""The annual cost (CAT-like IRR) and the deposit yield, on cases worked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from akiba.reports.cat import annual_cost, annual_yield


def test_one_payment_after_a_year_is_its_simple_rate() -> None:
    assert annual_cost([(date(2021, 1, 1), Decimal(1000)), (date(2022, 1, 1), Decimal(-1100))]) == Decimal("10.00")


def test_two_years_compound() -> None:
    # 1000 grows to 1210 in 730 days: 10% a year, compounded.
    assert annual_cost([(date(2021, 1, 1), Decimal(1000)), (date(2023, 1, 1), Decimal(-1210))]) == Decimal("10.00")


def test_up_front_fees_raise_the_cost() -> None:
    # 2% withheld at disbursement: 980 received, 1100 paid back a year later -> 1100/980 - 1 = 12.2449%.
    assert annual_cost([(date(2021, 1, 1), Decimal(980)), (date(2022, 1, 1), Decimal(-1100))]) == Decimal("12.24")


def test_monthly_installments_of_one_percent_a_month() -> None:
    # 12 installments of 88.85 on a 1000 loan, every 365/12 days apart in spirit: (1.01)^12 - 1 = 12.68%.
    flows = [(date(2021, 1, 1), Decimal(1000))]
    flows += [(date(2021 + (m // 12), m % 12 + 1, 1), Decimal("-88.85")) for m in range(1, 13)]
    cost = annual_cost(flows)
    assert cost is not None and Decimal("12.5") < cost < Decimal("12.9")


def test_no_sign_change_has_no_rate() -> None:
    assert annual_cost([(date(2021, 1, 1), Decimal(1000)), (date(2022, 1, 1), Decimal(5))]) is None
    assert annual_cost([(date(2021, 1, 1), Decimal(1000))]) is None


def test_yield_of_monthly_and_daily_compounding() -> None:
    assert annual_yield(Decimal(12), "monthly", 365) == Decimal("12.68")
    assert annual_yield(Decimal(12), "annual", 365) == Decimal("12.00")
    assert annual_yield(Decimal("3.65"), "daily", 365) == Decimal("3.72")


@settings(max_examples=40, deadline=None)
@given(principal=st.integers(100, 100_000), rate_bp=st.integers(0, 20_000), days=st.integers(30, 2000))
def test_a_single_repayment_recovers_the_rate(principal: int, rate_bp: int, days: int) -> None:
    """Pay back principal * (1 + r) ** (days / 365): the cost found is r, to the reported cent of a percent."""
    rate = Decimal(rate_bp) / 10_000
    repaid = Decimal(principal) * ((1 + rate).ln() * days / 365).exp()
    found = annual_cost([(date(2020, 1, 1), Decimal(principal)), (date(2020, 1, 1).fromordinal(
        date(2020, 1, 1).toordinal() + days), -repaid)])
    assert found is not None and abs(found - rate * 100) <= Decimal("0.01")
