"""Overdraft interest in the savings interest engine: hand-computed cases (arithmetic in the comments) and
hypothesis properties.

Notation: "B x r x n / (100 x Y)" is an overdrawn balance B costing r % for n days in a year of Y days; the
numerators of a posting period are summed before the one division, as the engine does, then rounded
half-even to cents at the period's end.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akiba.savings.interest import (
    DuePostings,
    InterestSettings,
    Movement,
    PostingAdjustment,
    closure_postings,
    compute_interest,
    overdraft_interest,
    postings_due,
)

TOLERANCE = Decimal("1e-20")  # the test divides at 28 digits, the engine at 40


def product(rate: str, overdraft_rate: str | None, calculation: str = "daily_balance", days_in_year: int = 365,
            posting: str = "monthly") -> InterestSettings:
    return InterestSettings(Decimal(rate), calculation, "monthly", posting, days_in_year,  # type: ignore[arg-type]
                            overdraft_rate=None if overdraft_rate is None else Decimal(overdraft_rate))


def move(day: str, amount: str) -> Movement:
    return Movement(date.fromisoformat(day), Decimal(amount))


def d(text: str) -> date:
    return date.fromisoformat(text)


# 100 deposited on Jan 1, 600 withdrawn on Jan 11: overdrawn by 500 from Jan 11.
OVERDRAWN_JAN_11 = [move("2023-01-01", "100"), move("2023-01-11", "-600")]


# --- the day count ---------------------------------------------------------------------------------------


def test_overdraft_interest_is_charged_per_posting_period_and_compounds_at_posting() -> None:
    # Jan: 500 x 18 x 21 (Jan 11..31) / 36500 = 189000 / 36500 = 5.178082... -> 5.18; balance -505.18 from Feb 1
    # Feb: 505.18 x 18 x 28 / 36500 = 254610.72 / 36500 = 6.975636... -> 6.98; balance -512.16 from Mar 1
    # Mar: 512.16 x 18 x 31 / 36500 = 285785.28 / 36500 = 7.829733... -> 7.83; balance -519.99
    result = compute_interest(product("0", "18"), OVERDRAWN_JAN_11, d("2023-01-01"), d("2023-03-31"))
    assert result.overdraft_postings == {
        d("2023-01-31"): Decimal("5.18"), d("2023-02-28"): Decimal("6.98"), d("2023-03-31"): Decimal("7.83")}
    assert abs(result.periods[0].overdraft_unrounded - Decimal(189000) / Decimal(36500)) < TOLERANCE
    assert result.closing_balance == Decimal("-519.99")  # -500 - 5.18 - 6.98 - 7.83


def test_leap_february_costs_29_days_in_a_365_day_year() -> None:
    # 1000 x 12 x 29 / 36500 = 348000 / 36500 = 9.534246... -> 9.53
    result = compute_interest(product("0", "12"), [move("2024-02-01", "-1000")], d("2024-02-01"), d("2024-02-29"))
    assert result.overdraft_postings == {d("2024-02-29"): Decimal("9.53")}


def test_leap_february_in_a_360_day_year() -> None:
    # 1000 x 12 x 29 / 36000 = 348000 / 36000 = 9.666... -> 9.67
    config = product("0", "12", days_in_year=360)
    result = compute_interest(config, [move("2024-02-01", "-1000")], d("2024-02-01"), d("2024-02-29"))
    assert result.overdraft_postings == {d("2024-02-29"): Decimal("9.67")}


def test_a_leap_year_quarter_counts_366_days_of_the_calendar_at_365_per_year() -> None:
    # Q1 2024 has 31 + 29 + 31 = 91 days: 2000 x 10 x 91 / 36500 = 1820000 / 36500 = 49.863013... -> 49.86
    config = product("0", "10", posting="quarterly")
    result = compute_interest(config, [move("2024-01-01", "-2000")], d("2024-01-01"), d("2024-03-31"))
    assert result.overdraft_postings == {d("2024-03-31"): Decimal("49.86")}


# --- crossing zero ----------------------------------------------------------------------------------------

# Mar 1: +1000; Mar 11: -1500 (to -500); Mar 21: +800 (to 300).
CROSSING = [move("2023-03-01", "1000"), move("2023-03-11", "-1500"), move("2023-03-21", "800")]


def test_a_period_crossing_zero_charges_the_overdrawn_days_and_pays_the_positive_ones() -> None:
    # Credit, positive days only: (1000 x 10 (Mar 1..10) + 300 x 11 (Mar 21..31)) x 5 / 36500
    #   = 13300 x 5 / 36500 = 66500 / 36500 = 1.821917... -> 1.82
    # Overdraft, negative days only: 500 x 20 x 10 (Mar 11..20) / 36500 = 100000 / 36500 = 2.739726... -> 2.74
    # Both posted gross on Mar 31: 300 + 1.82 - 2.74 = 299.08 from Apr 1
    # Apr credit: 299.08 x 5 x 30 / 36500 = 44862 / 36500 = 1.229095... -> 1.23; no overdraft
    result = compute_interest(product("5", "20"), CROSSING, d("2023-03-01"), d("2023-04-30"))
    assert result.postings == {d("2023-03-31"): Decimal("1.82"), d("2023-04-30"): Decimal("1.23")}
    assert result.overdraft_postings == {d("2023-03-31"): Decimal("2.74")}
    assert result.closing_balance == Decimal("300.31")  # 299.08 + 1.23


def test_overdraft_interest_uses_daily_balances_even_for_an_average_daily_balance_product() -> None:
    # Credit on the average: (10000 - 5000 + 3300) / 31 days earning 5 %: 8300 x 5 / 36500 = 1.136986... -> 1.14
    # Overdraft on the overdrawn days only, as above: 2.74 (a later deposit does not offset the days drawn)
    result = compute_interest(product("5", "20", "average_daily_balance"), CROSSING, d("2023-03-01"), d("2023-03-31"))
    assert result.postings == {d("2023-03-31"): Decimal("1.14")}
    assert result.overdraft_postings == {d("2023-03-31"): Decimal("2.74")}


def test_without_an_overdraft_rate_nothing_is_charged_and_credit_interest_is_unchanged() -> None:
    for config in (product("5", None), product("5", "0")):
        result = compute_interest(config, CROSSING, d("2023-03-01"), d("2023-03-31"))
        assert result.overdraft_postings == {}
        assert result.postings == {d("2023-03-31"): Decimal("1.82")}
        assert result.closing_balance == Decimal("301.82")


# --- accrued, differences, closure ------------------------------------------------------------------------


def test_accrued_not_posted_overdraft_interest() -> None:
    # Jan 11..20: 500 x 18 x 10 / 36500 = 90000 / 36500 = 2.465753..., unrounded
    result = compute_interest(product("0", "18"), OVERDRAWN_JAN_11, d("2023-01-01"), d("2023-01-20"))
    assert abs(result.overdraft_accrued_not_posted - Decimal(90000) / Decimal(36500)) < TOLERANCE
    assert result.overdraft_postings == {}


def test_a_back_dated_deposit_gives_back_the_over_charge_and_leaves_the_past_alone() -> None:
    # Jan was charged 5.18. A deposit of 500 back-dated to Jan 21 leaves Jan 11..20 overdrawn by 500:
    # 500 x 18 x 10 / 36500 = 2.465753... -> 2.47; the difference -2.71 comes back, nothing else.
    ledger = [*OVERDRAWN_JAN_11, move("2023-01-21", "500")]
    due = postings_due(product("0", "18"), ledger, d("2023-01-01"), d("2023-02-05"), {},
                       {d("2023-01-31"): Decimal("5.18")})
    assert due == DuePostings(interest=[], overdraft=[
        PostingAdjustment(d("2023-01-31"), Decimal("2.47"), Decimal("5.18"), Decimal("-2.71"))])


def test_a_back_dated_deposit_that_clears_the_overdraft_gives_back_the_whole_charge() -> None:
    # 500 back-dated to Jan 11 leaves the balance at 0 from Jan 11: never overdrawn, the 5.18 comes back whole.
    ledger = [*OVERDRAWN_JAN_11, move("2023-01-11", "500")]
    due = postings_due(product("0", "18"), ledger, d("2023-01-01"), d("2023-02-05"), {},
                       {d("2023-01-31"): Decimal("5.18")})
    assert due.overdraft == [PostingAdjustment(d("2023-01-31"), Decimal(0), Decimal("5.18"), Decimal("-5.18"))]


def test_a_back_dated_withdrawal_charges_the_difference() -> None:
    # A withdrawal of 100 back-dated to Jan 21: 500 x 18 x 10 + 600 x 18 x 11 = 90000 + 118800 = 208800
    # 208800 / 36500 = 5.720547... -> 5.72; 5.18 charged, 0.54 more due
    ledger = [*OVERDRAWN_JAN_11, move("2023-01-21", "-100")]
    due = postings_due(product("0", "18"), ledger, d("2023-01-01"), d("2023-01-31"), {},
                       {d("2023-01-31"): Decimal("5.18")})
    assert due.overdraft == [PostingAdjustment(d("2023-01-31"), Decimal("5.72"), Decimal("5.18"), Decimal("0.54"))]


def test_charged_overdraft_interest_in_the_ledger_does_not_count_twice() -> None:
    # The ledger holds Jan's charge (flagged as interest): the engine recomputes it instead, so Feb is 6.98 as
    # in the first test and nothing more is due for Jan.
    ledger = [*OVERDRAWN_JAN_11, Movement(d("2023-01-31"), Decimal("-5.18"), is_interest_posting=True)]
    due = postings_due(product("0", "18"), ledger, d("2023-01-01"), d("2023-02-28"), {},
                       {d("2023-01-31"): Decimal("5.18")})
    assert due.overdraft == [PostingAdjustment(d("2023-02-28"), Decimal("6.98"), Decimal(0), Decimal("6.98"))]


def test_closure_charges_the_running_period() -> None:
    # Feb 1..10 on -505.18: 505.18 x 18 x 10 / 36500 = 90932.4 / 36500 = 2.491298... -> 2.49
    due = closure_postings(product("0", "18"), OVERDRAWN_JAN_11, d("2023-01-01"), d("2023-02-10"), {},
                           {d("2023-01-31"): Decimal("5.18")})
    assert due.overdraft == [PostingAdjustment(d("2023-02-10"), Decimal("2.49"), Decimal(0), Decimal("2.49"))]


def test_resuming_after_a_posting_period_end_matches_a_full_run() -> None:
    # The close-of-business shortcut: the ledger before Feb 1 (Jan's charge included) opens Feb at -505.18.
    ledger = [*OVERDRAWN_JAN_11, Movement(d("2023-01-31"), Decimal("-5.18"), is_interest_posting=True)]
    resumed = compute_interest(product("0", "18"), ledger, d("2023-02-01"), d("2023-03-31"))
    assert resumed.overdraft_postings == {d("2023-02-28"): Decimal("6.98"), d("2023-03-31"): Decimal("7.83")}


# --- the pure function and the settings -------------------------------------------------------------------


def test_overdraft_interest_of_runs() -> None:
    # (-300 x 4 + -100 x 2) days; positive days cost nothing: (1200 + 200) x 36.5 / 36500 = 1.4, exactly
    runs = [(4, Decimal(-300)), (3, Decimal(250)), (2, Decimal(-100)), (5, Decimal(0))]
    assert overdraft_interest(runs, Decimal("36.5"), 365) == Decimal("1.4")
    assert overdraft_interest([(10, Decimal(5))], Decimal(20), 365) == 0
    assert overdraft_interest([(10, Decimal(-5))], Decimal(0), 360) == 0


@pytest.mark.parametrize("rate", [Decimal(-1), 1.5])
def test_invalid_overdraft_rates_are_refused(rate: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        InterestSettings(Decimal(5), "daily_balance", "monthly", "monthly", 365, overdraft_rate=rate)  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------------------------------

START = date(2023, 11, 1)  # runs through a leap February
HORIZON = 500
PROPERTY = settings(max_examples=120, deadline=None)


def _movements() -> st.SearchStrategy[list[Movement]]:
    move_ = st.builds(lambda day, cents: Movement(START + timedelta(days=day), Decimal(cents).scaleb(-2)),
                      st.integers(0, HORIZON), st.integers(-300000, 300000).filter(bool))
    return st.lists(move_, max_size=12)


def _settings() -> st.SearchStrategy[InterestSettings]:
    return st.builds(
        lambda rate, od, calc, posting, year: InterestSettings(Decimal(rate), calc, "monthly", posting, year,
                                                               overdraft_rate=Decimal(od)),
        st.integers(0, 15), st.integers(0, 40), st.sampled_from(["daily_balance", "average_daily_balance"]),
        st.sampled_from(["monthly", "quarterly", "annual"]), st.sampled_from([360, 365]))


@PROPERTY
@given(_settings(), _movements())
def test_overdraft_interest_is_never_negative_and_only_for_overdrawn_histories(
    config: InterestSettings, history: list[Movement]
) -> None:
    result = compute_interest(config, history, START, START + timedelta(days=HORIZON))
    assert all(p.overdraft >= 0 for p in result.periods)
    running, lowest = Decimal(0), Decimal(0)
    for m in sorted(history, key=lambda m: m.date):
        running += m.amount
        lowest = min(lowest, running)
    if lowest >= 0:  # never overdrawn (interest only adds): nothing charged
        assert all(p.overdraft == 0 for p in result.periods)


@PROPERTY
@given(_settings(), _movements(), _movements(), st.integers(0, HORIZON))
def test_posting_the_differences_leaves_nothing_due(
    config: InterestSettings, first: list[Movement], back_dated: list[Movement], offset: int
) -> None:
    """Post what is due, add back-dated movements, post the differences: then nothing more is due."""
    as_of = START + timedelta(days=offset)
    posted_interest: dict[date, Decimal] = {}
    posted_overdraft: dict[date, Decimal] = {}
    for history in (first, first + back_dated):
        due = postings_due(config, history, START, as_of, posted_interest, posted_overdraft)
        for adjustment in due.interest:
            posted_interest[adjustment.period_end] = adjustment.amount_due
        for adjustment in due.overdraft:
            posted_overdraft[adjustment.period_end] = adjustment.amount_due
    assert postings_due(config, first + back_dated, START, as_of, posted_interest, posted_overdraft) == \
        DuePostings([], [])


@PROPERTY
@given(_settings(), _movements(), st.integers(0, HORIZON))
def test_resuming_from_a_posting_period_end_matches_the_full_run(
    config: InterestSettings, history: list[Movement], offset: int
) -> None:
    as_of = START + timedelta(days=HORIZON)
    full = compute_interest(config, history, START, as_of)
    ends = [p.period_end for p in full.periods if p.complete and p.period_end <= START + timedelta(days=offset)]
    if not ends:
        return
    resume_after = ends[-1]
    posted = [Movement(p.period_end, p.amount - p.overdraft, is_interest_posting=True)
              for p in full.periods if p.complete and p.period_end <= resume_after]
    resumed = compute_interest(config, history + posted, resume_after + timedelta(days=1), as_of)
    later = {k: v for k, v in full.overdraft_postings.items() if k > resume_after}
    assert resumed.overdraft_postings == later
    assert resumed.postings == {k: v for k, v in full.postings.items() if k > resume_after}
    assert resumed.closing_balance == full.closing_balance
