"""Savings interest engine: hand-computed cases (arithmetic in the comments) and hypothesis properties.

Notation: "B x r x n / (100 x Y)" is balance B earning r % for n days in a year of Y days; every case
sums those numerators before the one division, as the engine does, then rounds half-even to cents.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akiba.savings.interest import (
    InterestSettings,
    Movement,
    PostingAdjustment,
    RateTier,
    accrued_not_posted,
    closure_interest,
    compute_interest,
    interest_postings_due,
    posting_period_ends,
)

TOLERANCE = Decimal("1e-20")  # the test divides at 28 digits, the engine at 40


def product(
    rate: str,
    calculation: str = "daily_balance",
    compounding: str = "monthly",
    posting: str = "monthly",
    days_in_year: int = 365,
    **extra: object,
) -> InterestSettings:
    return InterestSettings(Decimal(rate), calculation, compounding, posting, days_in_year, **extra)  # type: ignore[arg-type]


def move(day: date, amount: str) -> Movement:
    return Movement(day, Decimal(amount))


def postings(config: InterestSettings, movements: list[Movement], start: date, up_to: date) -> dict[date, Decimal]:
    return compute_interest(config, movements, start, up_to).postings


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- day counts -----------------------------------------------------------------------------------------


def test_365_day_year_monthly_compounding_and_posting() -> None:
    # Jan: 1000 x 5 x 31 / 36500 = 155000 / 36500 = 4.246575... -> 4.25, posted Jan 31, earns from Feb 1
    # Feb: 1004.25 x 5 x 28 / 36500 = 140595 / 36500 = 3.851917... -> 3.85
    # Mar: 1008.10 x 5 x 31 / 36500 = 156255.5 / 36500 = 4.280972... -> 4.28
    config = product("5")
    result = compute_interest(config, [move(d("2023-01-01"), "1000")], d("2023-01-01"), d("2023-03-31"))
    assert result.postings == {
        d("2023-01-31"): Decimal("4.25"),
        d("2023-02-28"): Decimal("3.85"),
        d("2023-03-31"): Decimal("4.28"),
    }
    assert abs(result.periods[0].unrounded - Decimal(155000) / Decimal(36500)) < TOLERANCE
    # The closing balance holds the recomputed postings: 1000 + 4.25 + 3.85 + 4.28
    assert result.closing_balance == Decimal("1012.38")


def test_360_day_year() -> None:
    # Jan: 1000 x 5 x 31 / 36000 = 155000 / 36000 = 4.305555... -> 4.31
    # Feb: 1004.31 x 5 x 28 / 36000 = 140603.4 / 36000 = 3.905650 -> 3.91
    config = product("5", days_in_year=360)
    assert postings(config, [move(d("2023-01-01"), "1000")], d("2023-01-01"), d("2023-02-28")) == {
        d("2023-01-31"): Decimal("4.31"),
        d("2023-02-28"): Decimal("3.91"),
    }


def test_leap_year_has_366_interest_days_but_the_product_year_stays_365() -> None:
    # 2024 has 366 days and the product says days_in_year 365, so every day still earns r / 365:
    # 1000 x 5 x 366 / 36500 = 1830000 / 36500 = 50.136986... -> 50.14 (more than the nominal 5 %)
    # 2023 for comparison: 1000 x 5 x 365 / 36500 = 50.00 exactly
    config = product("5", compounding="annual", posting="annual")
    assert postings(config, [move(d("2024-01-01"), "1000")], d("2024-01-01"), d("2024-12-31")) == {
        d("2024-12-31"): Decimal("50.14")
    }
    assert postings(config, [move(d("2023-01-01"), "1000")], d("2023-01-01"), d("2023-12-31")) == {
        d("2023-12-31"): Decimal("50.00")
    }


def test_leap_february_earns_29_days() -> None:
    # Jan 2024: 1000 x 5 x 31 / 36500 = 4.246575... -> 4.25
    # Feb 2024: 1004.25 x 5 x 29 / 36500 = 145616.25 / 36500 = 3.989486... -> 3.99 (28 days would give 3.85)
    config = product("5")
    assert postings(config, [move(d("2024-01-01"), "1000")], d("2024-01-01"), d("2024-02-29")) == {
        d("2024-01-31"): Decimal("4.25"),
        d("2024-02-29"): Decimal("3.99"),
    }


# --- balances changing inside a period ------------------------------------------------------------------


def test_mid_period_deposit_and_withdrawal() -> None:
    # Mar 1-10: 1000 (10 days); deposit 500 on Mar 11 -> Mar 11-20: 1500 (10 days);
    # withdraw 300 on Mar 21 -> Mar 21-31: 1200 (11 days); a day earns on its closing balance.
    # (1000 x 10 + 1500 x 10 + 1200 x 11) x 6 / 36500 = 38200 x 6 / 36500 = 229200 / 36500 = 6.279452 -> 6.28
    movements = [move(d("2023-03-01"), "1000"), move(d("2023-03-11"), "500"), move(d("2023-03-21"), "-300")]
    assert postings(product("6"), movements, d("2023-03-01"), d("2023-03-31")) == {d("2023-03-31"): Decimal("6.28")}


def test_same_day_deposit_and_withdrawal_earn_on_the_closing_balance() -> None:
    # Mar 5: +5000 and -5000 net to zero, so the day earns on 1000 like every other day:
    # 1000 x 6 x 31 / 36500 = 186000 / 36500 = 5.095890 -> 5.10
    movements = [move(d("2023-03-01"), "1000"), move(d("2023-03-05"), "5000"), move(d("2023-03-05"), "-5000")]
    assert postings(product("6"), movements, d("2023-03-01"), d("2023-03-31")) == {d("2023-03-31"): Decimal("5.10")}


def test_partial_first_period_from_mid_month_activation() -> None:
    # Activated Jan 16: Jan 16-31 is 16 days. 1000 x 5 x 16 / 36500 = 80000 / 36500 = 2.191780 -> 2.19
    config = product("5")
    assert postings(config, [move(d("2023-01-16"), "1000")], d("2023-01-16"), d("2023-01-31")) == {
        d("2023-01-31"): Decimal("2.19")
    }


# --- posting and compounding frequencies ----------------------------------------------------------------


def test_monthly_versus_quarterly_posting() -> None:
    # Monthly posting (above): 4.25 + 3.85 + 4.28 = 12.38, each rounded posting feeding the next month.
    # Quarterly posting, monthly compounding: the unrounded monthly interest compounds instead:
    #   Jan: 1000 x 5 x 31 / 36500                 = 4.2465753...
    #   Feb: 1004.2465753... x 5 x 28 / 36500       = 3.8519046...
    #   Mar: 1008.0984800... x 5 x 31 / 36500       = 4.2809661...
    #   quarter: 12.3794461... -> 12.38, posted Mar 31 only
    # Quarterly compounding and posting: 1000 x 5 x 90 / 36500 = 450000 / 36500 = 12.328767 -> 12.33
    deposits = [move(d("2023-01-01"), "1000")]
    start, end = d("2023-01-01"), d("2023-03-31")
    monthly = postings(product("5"), deposits, start, end)
    assert sum(monthly.values()) == Decimal("12.38")
    quarterly = compute_interest(product("5", posting="quarterly"), deposits, start, end)
    assert quarterly.postings == {end: Decimal("12.38")}
    months = [c.interest for c in quarterly.periods[0].compounding]
    assert [round(m, 7) for m in months] == [Decimal("4.2465753"), Decimal("3.8519047"), Decimal("4.2809661")]
    config = product("5", compounding="quarterly", posting="quarterly")
    assert postings(config, deposits, start, end) == {end: Decimal("12.33")}


def test_daily_versus_monthly_compounding() -> None:
    # 100000 at 10 % for January 2023 (31 days), 365-day year:
    # monthly compounding: 100000 x 10 x 31 / 36500 = 31000000 / 36500 = 849.315068 -> 849.32
    # daily compounding:   100000 x ((1 + 10 / 36500) ^ 31 - 1) = 852.814666 -> 852.81
    #   first day: 100000 x 10 / 36500 = 27.397260...; the second earns on 100027.397260...
    deposits = [move(d("2023-01-01"), "100000")]
    start, end = d("2023-01-01"), d("2023-01-31")
    assert postings(product("10"), deposits, start, end) == {end: Decimal("849.32")}
    daily = compute_interest(product("10", compounding="daily"), deposits, start, end)
    assert daily.postings == {end: Decimal("852.81")}
    days = daily.periods[0].compounding
    assert len(days) == 31
    assert abs(days[0].interest - Decimal(1000000) / Decimal(36500)) < TOLERANCE
    assert abs(days[1].interest - (100000 + days[0].interest) * 10 / Decimal(36500)) < TOLERANCE


def test_compounding_less_often_than_posting_compounds_at_each_posting() -> None:
    # Annual compounding with monthly posting: posting empties the compounded amount every month,
    # so it matches monthly compounding (4.25, 3.85 as in the 365-day case).
    deposits = [move(d("2023-01-01"), "1000")]
    annual = postings(product("5", compounding="annual"), deposits, d("2023-01-01"), d("2023-02-28"))
    assert annual == {d("2023-01-31"): Decimal("4.25"), d("2023-02-28"): Decimal("3.85")}


def test_posting_period_ends() -> None:
    assert posting_period_ends(d("2024-01-15"), d("2024-04-30"), "monthly") == [
        d("2024-01-31"),
        d("2024-02-29"),
        d("2024-03-31"),
        d("2024-04-30"),
    ]
    assert posting_period_ends(d("2023-02-10"), d("2024-01-01"), "quarterly") == [
        d("2023-03-31"),
        d("2023-06-30"),
        d("2023-09-30"),
        d("2023-12-31"),
    ]
    assert posting_period_ends(d("2023-07-01"), d("2024-06-30"), "semiannual") == [d("2023-12-31"), d("2024-06-30")]
    assert posting_period_ends(d("2023-12-31"), d("2024-12-30"), "annual") == [d("2023-12-31")]
    with pytest.raises(ValueError):
        posting_period_ends(d("2023-01-01"), d("2023-12-31"), "weekly")


# --- average daily balance, minimum balance, negative balances, tiers -----------------------------------

# March 2023 (31 days): 1000 from Mar 1 to 15 (15 days), withdraw 800 on Mar 16 -> 200 for 16 days.
# Balance-days: 1000 x 15 + 200 x 16 = 15000 + 3200 = 18200; average 18200 / 31 = 587.10
DIP = [move(d("2023-03-01"), "1000"), move(d("2023-03-16"), "-800")]
MARCH = (d("2023-03-01"), d("2023-03-31"))


def test_daily_and_average_balance_agree_without_thresholds() -> None:
    # 18200 x 6 / 36500 = 109200 / 36500 = 2.991780 -> 2.99 either way: the average times the days is the sum.
    for calculation in ("daily_balance", "average_daily_balance"):
        assert postings(product("6", calculation), DIP, *MARCH) == {MARCH[1]: Decimal("2.99")}


def test_min_balance_for_interest_daily_balance() -> None:
    # Minimum 500: the 16 days at 200 earn nothing; 1000 x 15 x 6 / 36500 = 90000 / 36500 = 2.465753 -> 2.47
    config = product("6", min_balance_for_interest=Decimal("500"))
    assert postings(config, DIP, *MARCH) == {MARCH[1]: Decimal("2.47")}


def test_min_balance_for_interest_average_daily_balance() -> None:
    # Minimum 500: the average 587.10 clears it, the whole month earns: 18200 x 6 / 36500 -> 2.99
    # Minimum 600: the average 587.10 does not, nothing earns: 0.00
    at_500 = product("6", "average_daily_balance", min_balance_for_interest=Decimal("500"))
    at_600 = product("6", "average_daily_balance", min_balance_for_interest=Decimal("600"))
    assert postings(at_500, DIP, *MARCH) == {MARCH[1]: Decimal("2.99")}
    assert postings(at_600, DIP, *MARCH) == {MARCH[1]: Decimal("0.00")}


def test_negative_balance_earns_nothing() -> None:
    # Overdrawn -500 on Mar 1-10 (10 days), +1500 on Mar 11 -> 1000 for Mar 11-31 (21 days).
    # daily balance: negative days earn 0; 1000 x 21 x 6 / 36500 = 126000 / 36500 = 3.452054 -> 3.45
    # average daily balance: -500 x 10 + 1000 x 21 = 16000; 16000 x 6 / 36500 = 96000 / 36500 = 2.630137 -> 2.63
    movements = [move(d("2023-03-01"), "-500"), move(d("2023-03-11"), "1500")]
    assert postings(product("6"), movements, *MARCH) == {MARCH[1]: Decimal("3.45")}
    assert postings(product("6", "average_daily_balance"), movements, *MARCH) == {MARCH[1]: Decimal("2.63")}
    # Overdrawn all month: nothing, and never a negative posting.
    for calculation in ("daily_balance", "average_daily_balance"):
        overdrawn = postings(product("6", calculation), [move(d("2023-03-01"), "-500")], *MARCH)
        assert overdrawn == {MARCH[1]: Decimal("0.00")}


TIERS = (RateTier(Decimal("1000"), Decimal("4")), RateTier(Decimal("5000"), Decimal("6")))


def test_rate_tiers_by_daily_balance() -> None:
    # Base 2 %, 4 % from 1000, 6 % from 5000, the tier's rate on the whole balance.
    # Jan 1-15: 500 (below every tier: 2 %), deposit 1500 on Jan 16 -> 2000 for 16 days (4 %):
    # 500 x 2 x 15 + 2000 x 4 x 16 = 15000 + 128000 = 143000; 143000 / 36500 = 3.917808 -> 3.92
    movements = [move(d("2023-01-01"), "500"), move(d("2023-01-16"), "1500")]
    config = product("2", rate_tiers=TIERS)
    assert postings(config, movements, d("2023-01-01"), d("2023-01-31")) == {d("2023-01-31"): Decimal("3.92")}
    # 5000 exactly is in the top tier: 5000 x 6 x 31 / 36500 = 930000 / 36500 = 25.479452 -> 25.48
    rich = postings(config, [move(d("2023-01-01"), "5000")], d("2023-01-01"), d("2023-01-31"))
    assert rich == {d("2023-01-31"): Decimal("25.48")}


def test_rate_tiers_by_average_daily_balance() -> None:
    # Same movements: balance-days 500 x 15 + 2000 x 16 = 7500 + 32000 = 39500, average 1274.19 -> 4 % tier
    # 39500 x 4 / 36500 = 158000 / 36500 = 4.328767 -> 4.33
    movements = [move(d("2023-01-01"), "500"), move(d("2023-01-16"), "1500")]
    config = product("2", "average_daily_balance", rate_tiers=TIERS)
    assert postings(config, movements, d("2023-01-01"), d("2023-01-31")) == {d("2023-01-31"): Decimal("4.33")}


# --- rounding rule --------------------------------------------------------------------------------------


def test_posting_rounds_half_even_unless_the_product_says_otherwise() -> None:
    # 100 at 1.8 % on a 360-day year earns 100 x 1.8 / 36000 = 0.005 a day, exactly.
    # Activated Jan 27: 5 days -> 0.025: half-even 0.02, half-up 0.03
    # Activated Jan 29: 3 days -> 0.015: half-even 0.02
    end = d("2023-01-31")
    five_days = [move(d("2023-01-27"), "100")]
    assert postings(product("1.8", days_in_year=360), five_days, d("2023-01-27"), end) == {end: Decimal("0.02")}
    half_up = product("1.8", days_in_year=360, rounding="HALF_UP")
    assert postings(half_up, five_days, d("2023-01-27"), end) == {end: Decimal("0.03")}
    three_days = [move(d("2023-01-29"), "100")]
    assert postings(product("1.8", days_in_year=360), three_days, d("2023-01-29"), end) == {end: Decimal("0.02")}


def test_zero_digit_currency() -> None:
    # 100000 at 5 % for January: 100000 x 5 x 31 / 36500 = 424.657534 -> 425 with no decimals
    config = product("5", digits=0)
    assert postings(config, [move(d("2023-01-01"), "100000")], d("2023-01-01"), d("2023-01-31")) == {
        d("2023-01-31"): Decimal("425")
    }


# --- back-dated transactions: recompute, post the difference -------------------------------------------

OPENING = move(d("2023-01-01"), "1000")
POSTED_JAN_FEB = {d("2023-01-31"): Decimal("4.25"), d("2023-02-28"): Decimal("3.85")}  # from the 365-day case


def test_back_dated_deposit_posts_the_difference() -> None:
    # Jan and Feb were posted (4.25, 3.85). On Mar 5 a deposit of 365 dated Jan 21 arrives.
    # Jan: 1000 x 5 x 20 + 1365 x 5 x 11 = 100000 + 75075 = 175075; / 36500 = 4.796575 -> 4.80 (+0.55)
    # Feb: (1365 + 4.80) x 5 x 28 = 1369.80 x 140 = 191772; / 36500 = 5.254027 -> 5.25 (+1.40)
    # March has not ended on Mar 5: nothing due for it yet.
    movements = [OPENING, move(d("2023-01-21"), "365")]
    due = interest_postings_due(product("5"), movements, d("2023-01-01"), d("2023-03-05"), POSTED_JAN_FEB)
    assert due == [
        PostingAdjustment(d("2023-01-31"), Decimal("4.80"), Decimal("4.25"), Decimal("0.55")),
        PostingAdjustment(d("2023-02-28"), Decimal("5.25"), Decimal("3.85"), Decimal("1.40")),
    ]


def test_posted_differences_settle_and_later_periods_use_the_corrected_history() -> None:
    # The differences are posted on Mar 5 (the past is not edited): the ledger now holds 4.80 and 5.25
    # for Jan and Feb. Recomputing on Mar 5 finds nothing more. At Mar 31:
    # Mar: (1369.80 + 5.25) x 5 x 31 = 1375.05 x 155 = 213132.75; / 36500 = 5.839253 -> 5.84
    config, start = product("5"), d("2023-01-01")
    ledger = [
        OPENING,
        move(d("2023-01-21"), "365"),
        Movement(d("2023-01-31"), Decimal("4.25"), is_interest_posting=True),
        Movement(d("2023-02-28"), Decimal("3.85"), is_interest_posting=True),
        Movement(d("2023-03-05"), Decimal("0.55"), is_interest_posting=True),
        Movement(d("2023-03-05"), Decimal("1.40"), is_interest_posting=True),
    ]
    posted = {d("2023-01-31"): Decimal("4.80"), d("2023-02-28"): Decimal("5.25")}
    assert interest_postings_due(config, ledger, start, d("2023-03-05"), posted) == []
    assert interest_postings_due(config, ledger, start, d("2023-03-31"), posted) == [
        PostingAdjustment(d("2023-03-31"), Decimal("5.84"), Decimal("0"), Decimal("5.84"))
    ]


def test_back_dated_withdrawal_posts_a_negative_difference() -> None:
    # A withdrawal of 365 dated Jan 21, known on Mar 5:
    # Jan: 1000 x 5 x 20 + 635 x 5 x 11 = 100000 + 34925 = 134925; / 36500 = 3.696575 -> 3.70 (-0.55)
    # Feb: (635 + 3.70) x 5 x 28 = 638.70 x 140 = 89418; / 36500 = 2.449808 -> 2.45 (-1.40)
    movements = [OPENING, move(d("2023-01-21"), "-365")]
    due = interest_postings_due(product("5"), movements, d("2023-01-01"), d("2023-03-05"), POSTED_JAN_FEB)
    assert [(a.period_end, a.difference) for a in due] == [
        (d("2023-01-31"), Decimal("-0.55")),
        (d("2023-02-28"), Decimal("-1.40")),
    ]


def test_a_posting_for_a_period_that_is_not_a_period_end_is_taken_back() -> None:
    # Something posted for Feb 15 (not a monthly period end): the recomputation owes nothing there.
    posted = {**POSTED_JAN_FEB, d("2023-02-15"): Decimal("1.00")}
    due = interest_postings_due(product("5"), [OPENING], d("2023-01-01"), d("2023-02-28"), posted)
    assert due == [PostingAdjustment(d("2023-02-15"), Decimal("0"), Decimal("1.00"), Decimal("-1.00"))]


def test_interest_postings_in_the_movements_do_not_count_twice() -> None:
    # The engine replaces ledger postings with its own recomputed ones, so passing them changes nothing.
    with_postings = [
        OPENING,
        *(Movement(day, amount, is_interest_posting=True) for day, amount in POSTED_JAN_FEB.items()),
    ]
    config, start, end = product("5"), d("2023-01-01"), d("2023-03-31")
    assert compute_interest(config, with_postings, start, end) == compute_interest(config, [OPENING], start, end)


# --- closure and accrual --------------------------------------------------------------------------------


def test_closure_posts_the_running_period() -> None:
    # Jan posted 4.25. Closed Feb 10: Feb 1-10 on 1004.25: 1004.25 x 5 x 10 = 50212.5; / 36500 = 1.375684 -> 1.38
    due = closure_interest(
        product("5"), [OPENING], d("2023-01-01"), d("2023-02-10"), {d("2023-01-31"): Decimal("4.25")}
    )
    assert due == [PostingAdjustment(d("2023-02-10"), Decimal("1.38"), Decimal("0"), Decimal("1.38"))]
    # If the closing withdrawal is dated the closing day, that day's closing balance is 0:
    # 1004.25 x 5 x 9 = 45191.25; / 36500 = 1.238116 -> 1.24
    emptied = [OPENING, move(d("2023-02-10"), "-1004.25")]
    due = closure_interest(product("5"), emptied, d("2023-01-01"), d("2023-02-10"), {d("2023-01-31"): Decimal("4.25")})
    assert [a.amount_due for a in due] == [Decimal("1.24")]


def test_closure_before_the_first_posting_and_without_history() -> None:
    # Closed Jan 10 with nothing posted: 1000 x 5 x 10 / 36500 = 50000 / 36500 = 1.369863 -> 1.37
    due = closure_interest(product("5"), [OPENING], d("2023-01-01"), d("2023-01-10"))
    assert due == [PostingAdjustment(d("2023-01-10"), Decimal("1.37"), Decimal("0"), Decimal("1.37"))]


def test_accrued_not_posted() -> None:
    # Feb 1-10 on 1004.25: 50212.5 / 36500 = 1.3756849315..., unrounded; nothing right after a posting.
    config, start = product("5"), d("2023-01-01")
    accrued = accrued_not_posted(config, [OPENING], start, d("2023-02-10"))
    assert abs(accrued - Decimal("50212.5") / Decimal(36500)) < TOLERANCE
    assert accrued_not_posted(config, [OPENING], start, d("2023-01-31")) == 0


def test_resuming_after_a_posting_period_end_matches_a_full_run() -> None:
    # Only the balance crosses a posting period end, so March from a balance of 1008.10 on Feb 28
    # (1000 + 4.25 + 3.85) is March of the full run: 4.28. The ledger's postings before the new start
    # count in the opening balance, flagged or not.
    ledger = [OPENING, *(Movement(day, amount, is_interest_posting=True) for day, amount in POSTED_JAN_FEB.items())]
    march = {d("2023-03-31"): Decimal("4.28")}
    assert postings(product("5"), ledger, d("2023-03-01"), d("2023-03-31")) == march
    assert postings(product("5"), [move(d("2023-02-28"), "1008.10")], d("2023-03-01"), d("2023-03-31")) == march


def test_before_activation_there_is_nothing() -> None:
    result = compute_interest(product("5"), [OPENING], d("2023-02-01"), d("2023-01-31"))
    assert result.periods == ()


# --- settings validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"calculation": "simple"},
        {"compounding": "weekly"},
        {"posting": "daily"},
        {"days_in_year": 366},
        {"annual_rate": Decimal("-1")},
        {"digits": -1},
        {"rounding": "BANKERS"},
        {"rate_tiers": (RateTier(Decimal("1"), Decimal("2")), RateTier(Decimal("1"), Decimal("3")))},
    ],
)
def test_invalid_settings_are_refused(change: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "annual_rate": Decimal("5"),
        "calculation": "daily_balance",
        "compounding": "monthly",
        "posting": "monthly",
        "days_in_year": 365,
        **change,
    }
    with pytest.raises(ValueError):
        InterestSettings(**fields)  # type: ignore[arg-type]


def test_float_rates_are_refused() -> None:
    with pytest.raises(TypeError):
        InterestSettings(5.0, "daily_balance", "monthly", "monthly", 365)  # type: ignore[arg-type]


def test_tiers_are_kept_in_ascending_order() -> None:
    config = product("2", rate_tiers=tuple(reversed(TIERS)))
    assert config.rate_tiers == TIERS


# --- properties -----------------------------------------------------------------------------------------

START = date(2023, 1, 1)
HORIZON = 500  # days: from 2023-01-01 across a year end and the leap February of 2024


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def products(draw: st.DrawFn, rate: Decimal | None = None) -> InterestSettings:
    base = draw(st.integers(0, 2000).map(lambda n: Decimal(n).scaleb(-2))) if rate is None else rate
    # Tier rates never fall as balances rise (from the base rate up), so more balance never earns less.
    tier_count = draw(st.integers(0, 3))
    mins = sorted(draw(st.sets(st.integers(1, 20000), min_size=tier_count, max_size=tier_count)))
    steps = [draw(st.integers(0, 500)) for _ in mins]
    tiers, tier_rate = [], base
    for minimum, step in zip(mins, steps, strict=True):
        tier_rate = tier_rate if rate is not None else tier_rate + Decimal(step).scaleb(-2)
        tiers.append(RateTier(Decimal(minimum), tier_rate))
    return InterestSettings(
        annual_rate=base,
        calculation=draw(st.sampled_from(["daily_balance", "average_daily_balance"])),
        compounding=draw(st.sampled_from(["daily", "monthly", "quarterly", "semiannual", "annual"])),
        posting=draw(st.sampled_from(["monthly", "quarterly", "semiannual", "annual"])),
        days_in_year=draw(st.sampled_from([360, 365])),
        min_balance_for_interest=draw(st.none() | cents(0, 200000)),
        rate_tiers=tuple(tiers),
    )


def movements(min_size: int = 0) -> st.SearchStrategy[list[Movement]]:
    one = st.builds(Movement, st.integers(0, HORIZON).map(lambda n: START + timedelta(days=n)), cents(-300000, 800000))
    return st.lists(one, min_size=min_size, max_size=12)


END = START + timedelta(days=HORIZON)
PROPERTY = settings(max_examples=120, deadline=None)


@PROPERTY
@given(products(), movements())
def test_interest_is_never_negative(config: InterestSettings, history: list[Movement]) -> None:
    result = compute_interest(config, history, START, END)
    assert all(p.amount >= 0 and p.unrounded >= 0 for p in result.periods)
    assert all(c.interest >= 0 for p in result.periods for c in p.compounding)


@PROPERTY
@given(products(rate=Decimal(0)), movements())
def test_zero_rate_earns_nothing(config: InterestSettings, history: list[Movement]) -> None:
    result = compute_interest(config, history, START, END)
    assert all(p.unrounded == 0 and p.amount == 0 for p in result.periods)


@PROPERTY
@given(products(), movements(), st.integers(0, HORIZON), cents(1, 500000))
def test_more_balance_never_earns_less(
    config: InterestSettings, history: list[Movement], offset: int, extra: Decimal
) -> None:
    base = compute_interest(config, history, START, END).periods
    richer = compute_interest(config, [*history, Movement(START + timedelta(days=offset), extra)], START, END).periods
    assert [p.period_end for p in richer] == [p.period_end for p in base]
    assert all(more.unrounded >= less.unrounded for more, less in zip(richer, base, strict=True))
    assert all(more.amount >= less.amount for more, less in zip(richer, base, strict=True))


@PROPERTY
@given(products(), movements(min_size=1), movements(min_size=1), st.integers(0, HORIZON))
def test_posting_the_differences_leaves_nothing_due(
    config: InterestSettings, known: list[Movement], back_dated: list[Movement], later: int
) -> None:
    # Post what was due with the known history, then learn of back-dated movements and post the differences.
    first_as_of = START + timedelta(days=later // 2)
    second_as_of = START + timedelta(days=later)
    posted: dict[date, Decimal] = {}
    ledger = list(known)
    for as_of, history in ((first_as_of, known), (second_as_of, [*known, *back_dated])):
        for adjustment in interest_postings_due(config, history, START, as_of, posted):
            posted[adjustment.period_end] = posted.get(adjustment.period_end, Decimal(0)) + adjustment.difference
            ledger.append(Movement(as_of, adjustment.difference, is_interest_posting=True))
    everything = [*ledger, *back_dated]
    assert interest_postings_due(config, everything, START, second_as_of, posted) == []
    # What the ledger holds equals the recomputed history: movements plus recomputed postings.
    result = compute_interest(config, everything, START, second_as_of)
    assert sum(posted.values(), Decimal(0)) == sum(result.postings.values(), Decimal(0))
    total_moved = sum((m.amount for m in everything if m.date <= second_as_of), Decimal(0))
    assert result.closing_balance == total_moved


@PROPERTY
@given(products(), movements(), st.integers(0, 400))
def test_resuming_from_a_posting_period_end_matches_the_full_run(
    config: InterestSettings, history: list[Movement], cut: int
) -> None:
    full = compute_interest(config, history, START, END)
    ends = [p.period_end for p in full.periods if p.complete and p.period_end <= START + timedelta(days=cut)]
    if not ends:
        return
    resume_from = ends[-1] + timedelta(days=1)
    # The ledger as the bank holds it: the movements plus the earlier postings, which open the balance.
    earlier = [Movement(p.period_end, p.amount, True) for p in full.periods if p.period_end < resume_from]
    resumed = compute_interest(config, [*history, *earlier], resume_from, END)
    assert resumed.periods == tuple(p for p in full.periods if p.period_start >= resume_from)


# --- an independent oracle: the contract's words, day by day, in exact fractions -------------------------


def _is_calendar_end(day: date, months: int) -> bool:
    return (day + timedelta(days=1)).day == 1 and day.month % months == 0


def _reference_rate(config: InterestSettings, average: Fraction) -> Fraction:
    minimum = config.min_balance_for_interest
    if average <= 0 or (minimum is not None and average < Fraction(minimum)):
        return Fraction(0)
    eligible = [tier for tier in config.rate_tiers if average >= Fraction(tier.min_balance)]
    return Fraction(max(eligible, key=lambda t: t.min_balance).annual_rate if eligible else config.annual_rate)


def reference_postings(
    config: InterestSettings, history: list[Movement], start: date, end: date
) -> dict[date, Decimal]:
    """Walk every day: earning balance = closing balance + compounded; no segments, no Decimal division."""
    months = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
    balance = Fraction(sum((m.amount for m in history if m.date < start), Decimal(0)))
    compounded = Fraction(0)
    earnings: list[Fraction] = []
    posted: dict[date, Decimal] = {}
    day = start
    while day <= end:
        balance += Fraction(sum((m.amount for m in history if m.date == day), Decimal(0)))
        earnings.append(balance + compounded)
        posting_end = _is_calendar_end(day, months[config.posting])
        compounding_end = config.compounding == "daily" or _is_calendar_end(day, months[config.compounding])
        if compounding_end or posting_end:
            if config.calculation == "daily_balance":
                share = sum((e * _reference_rate(config, e) for e in earnings), Fraction(0))
            else:
                average = sum(earnings, Fraction(0)) / len(earnings)
                share = average * _reference_rate(config, average) * len(earnings)
            compounded += share / 100 / config.days_in_year
            earnings = []
        if posting_end:
            amount = Decimal(round(compounded * 10**config.digits)).scaleb(-config.digits)  # round() is half-even
            posted[day] = amount
            balance += Fraction(amount)
            compounded = Fraction(0)
        day += timedelta(days=1)
    return posted


@settings(max_examples=150, deadline=None)
@given(products(), movements(), st.integers(0, 200))
def test_engine_matches_the_day_by_day_reference(config: InterestSettings, history: list[Movement], days: int) -> None:
    end = START + timedelta(days=days)
    assert postings(config, history, START, end) == reference_postings(config, history, START, end)
