"""Savings interest engine: pure Decimal arithmetic over an account's movements, no clock, no database.

The rules are CONTRACT.md's "Savings interest, precisely":

- A day's interest is that day's earning balance x annual rate / 100 / ``days_in_year``, kept unrounded.
  The earning balance is the day's closing balance (all that day's movements included) plus the interest
  compounded but not yet posted. Negative balances earn nothing.
- At the end of each compounding period (every day, or the last day of the month, quarter, half-year or
  year) the period's interest joins the compounded-not-posted amount.
- At the end of each posting period (last day of the month, quarter, half-year or year, or the closing
  date at closure) the period's interest is rounded to ``digits`` with ``rounding`` (half-even unless the
  product says otherwise) and posted on that day, after that day's interest, so it earns from the next
  day; the compounded-not-posted amount goes back to zero.
- ``average_daily_balance``: every day of a compounding period earns on the average of that period's
  earning balances (so a negative day offsets a positive one, and the minimum balance and the rate tier
  are judged on the average).

Overdraft interest (``overdraft_rate``, as Fineract and banks charge it), on the same walk:

- A day's overdraft interest is minus that day's closing balance, when it is negative, x ``overdraft_rate``
  / 100 / ``days_in_year``, kept unrounded: the daily balance method whatever ``calculation`` says (an
  overdraft is charged for each day it is drawn, not on an average that a later deposit would offset).
- It is simple within a posting period and charged at the posting period's end: the period's sum, rounded
  to ``digits`` with ``rounding``, is posted on the period end as a debit, after that day's interest, so it
  costs from the next day (overdraft interest compounds at posting, as credit interest compounds at least
  at posting). Credit interest and overdraft interest of one period are posted gross, each on its own,
  never netted: one is an expense of the institution, the other its income.
- The minimum balance for interest and the rate tiers are credit-interest terms; they do not apply to it.

Choices the contract leaves open, made here:

- The first posting and compounding periods run from the activation date to the first calendar period
  end; periods are calendar-aligned after that.
- A compounding period never crosses a posting period end (posting empties the compounded amount anyway),
  so compounding less often than posting behaves as compounding at each posting.
- ``min_balance_for_interest`` and ``rate_tiers`` apply to the earning balance (the period's average for
  ``average_daily_balance``). A tier's rate applies to the whole balance, not to a slice of it; balances
  below the lowest tier earn ``annual_rate``.
- Movements flagged ``is_interest_posting`` (credit or overdraft interest) and dated from ``activation_date``
  on are ignored: the engine recomputes every posting from the start and lets each recomputed posting feed
  later balances. What the ledger actually posted comes in as ``already_posted`` and only differences go
  out, dated by the caller (never an edit of the past). So the account's whole ledger can be passed as it is.
- Every movement dated before ``activation_date`` (interest postings included) forms the opening balance.
  Since nothing but the balance crosses a posting period end, a caller may resume from the day after a
  posting period end with the same ledger and get the same later postings as a run from activation
  (the close-of-business shortcut); a back-dated movement before that day needs the run from activation.
- Arithmetic runs at 40 significant digits. Numerators (balance x rate x days) are summed exactly over
  runs of days with an unchanged balance and divided once per compounding period; with daily compounding
  every day is its own period, so that case walks day by day.

API::

    InterestSettings(annual_rate, calculation, compounding, posting, days_in_year,
                     min_balance_for_interest=None, rate_tiers=(), digits=2, rounding="HALF_EVEN",
                     overdraft_rate=None)
    RateTier(min_balance, annual_rate)                       # rates are percentages: Decimal("5") is 5 %
    Movement(date, amount, is_interest_posting=False)       # deposits +, withdrawals and fees -
    posting_period_ends(start, end, posting) -> list[date]
    compute_interest(settings, movements, activation_date, up_to) -> InterestResult
    accrued_not_posted(settings, movements, activation_date, as_of) -> Decimal
    interest_postings_due(settings, movements, activation_date, as_of, already_posted) -> list[PostingAdjustment]
    closure_interest(settings, movements, activation_date, closed_on, already_posted) -> list[PostingAdjustment]
    postings_due(settings, movements, activation_date, as_of, posted_interest, posted_overdraft) -> DuePostings
    closure_postings(settings, movements, activation_date, closed_on, posted_interest, posted_overdraft)
        -> DuePostings
    overdraft_interest(runs, annual_rate, days_in_year) -> Decimal   # unrounded, for (days, balance) runs

    InterestResult(periods: tuple[PostingPeriodInterest, ...], closing_balance); .postings; .accrued_not_posted;
        .overdraft_postings; .overdraft_accrued_not_posted
    PostingPeriodInterest(period_start, period_end, amount, unrounded, compounding, complete,
                          overdraft=0, overdraft_unrounded=0)
    DuePostings(interest: list[PostingAdjustment], overdraft: list[PostingAdjustment])
    CompoundingInterest(start, end, interest)                # unrounded
    PostingAdjustment(period_end, amount_due, already_posted, difference)
"""

from __future__ import annotations

import copy
import decimal
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import Literal

from akiba.core.money import ZERO, D, quantize, rounding_mode

Calculation = Literal["daily_balance", "average_daily_balance"]
Compounding = Literal["daily", "monthly", "quarterly", "semiannual", "annual"]
Posting = Literal["monthly", "quarterly", "semiannual", "annual"]

_PERIOD_MONTHS: dict[str, int] = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
_CALCULATIONS = ("daily_balance", "average_daily_balance")
_DAYS_IN_YEAR = (360, 365)
# Enough digits that summed numerators stay exact for any realistic balance, rate and day count.
_PRECISION = 40
_HUNDRED = D(100)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class RateTier:
    """From this earning balance up (inclusive), the whole balance earns this nominal annual rate (percent)."""

    min_balance: Decimal
    annual_rate: Decimal


@dataclass(frozen=True)
class InterestSettings:
    """A savings product's interest settings; rates are nominal annual percentages (``Decimal("5")`` is 5 %)."""

    annual_rate: Decimal
    calculation: Calculation
    compounding: Compounding
    posting: Posting
    days_in_year: int
    min_balance_for_interest: Decimal | None = None
    rate_tiers: tuple[RateTier, ...] = ()
    digits: int = 2
    rounding: str = "HALF_EVEN"
    # Nominal annual percentage charged on negative end-of-day balances; None (or 0) charges nothing.
    overdraft_rate: Decimal | None = None

    def __post_init__(self) -> None:
        _check_choice("calculation", self.calculation, _CALCULATIONS)
        _check_choice("compounding", self.compounding, ("daily", *_PERIOD_MONTHS))
        _check_choice("posting", self.posting, tuple(_PERIOD_MONTHS))
        _check_choice("days_in_year", self.days_in_year, _DAYS_IN_YEAR)
        _check_rate("annual_rate", self.annual_rate)
        for tier in self.rate_tiers:
            _check_rate("rate tier annual_rate", tier.annual_rate)
            _check_decimal("rate tier min_balance", tier.min_balance)
        if self.overdraft_rate is not None:
            _check_rate("overdraft_rate", self.overdraft_rate)
        if self.min_balance_for_interest is not None:
            _check_decimal("min_balance_for_interest", self.min_balance_for_interest)
        if len({tier.min_balance for tier in self.rate_tiers}) != len(self.rate_tiers):
            raise ValueError("rate tiers must have distinct min_balance values")
        if self.digits < 0:
            raise ValueError("digits must not be negative")
        rounding_mode(self.rounding)  # refuses unknown names now rather than at the first posting
        # Normalise tier order once so lookups can walk from the highest tier down.
        object.__setattr__(self, "rate_tiers", tuple(sorted(self.rate_tiers, key=lambda t: t.min_balance)))


@dataclass(frozen=True)
class Movement:
    """A change to the account balance on a day: deposits positive, withdrawals and fees negative."""

    date: date
    amount: Decimal
    is_interest_posting: bool = False


@dataclass(frozen=True)
class CompoundingInterest:
    """Unrounded interest earned from ``start`` to ``end`` inclusive (one compounding period)."""

    start: date
    end: date
    interest: Decimal


@dataclass(frozen=True)
class PostingPeriodInterest:
    """One posting period: ``amount`` is the rounded posting, ``unrounded`` the exact sum it rounds.

    ``complete`` is False for a trailing period still running at ``up_to``; its amount is then only what
    would be posted if it ended that day. ``overdraft`` is the period's overdraft interest charge, rounded
    the same way (``overdraft_unrounded`` the exact sum), zero without an overdraft rate.
    """

    period_start: date
    period_end: date
    amount: Decimal
    unrounded: Decimal
    compounding: tuple[CompoundingInterest, ...]
    complete: bool
    overdraft: Decimal = ZERO
    overdraft_unrounded: Decimal = ZERO


@dataclass(frozen=True)
class InterestResult:
    """Every posting period from activation to ``up_to``, and the recomputed closing balance of ``up_to``."""

    periods: tuple[PostingPeriodInterest, ...]
    closing_balance: Decimal

    @property
    def postings(self) -> dict[date, Decimal]:
        """The posting of each complete period, by period end."""
        return {p.period_end: p.amount for p in self.periods if p.complete}

    @property
    def accrued_not_posted(self) -> Decimal:
        """Unrounded interest of the trailing period that has not reached its posting day."""
        if self.periods and not self.periods[-1].complete:
            return self.periods[-1].unrounded
        return ZERO

    @property
    def overdraft_postings(self) -> dict[date, Decimal]:
        """The overdraft interest charged for each complete period, by period end (zeros left out)."""
        return {p.period_end: p.overdraft for p in self.periods if p.complete and p.overdraft}

    @property
    def overdraft_accrued_not_posted(self) -> Decimal:
        """Unrounded overdraft interest of the trailing period that has not reached its posting day."""
        if self.periods and not self.periods[-1].complete:
            return self.periods[-1].overdraft_unrounded
        return ZERO


@dataclass(frozen=True)
class PostingAdjustment:
    """What a period should have posted, what was posted, and the difference to post now (either sign)."""

    period_end: date
    amount_due: Decimal
    already_posted: Decimal
    difference: Decimal


@dataclass(frozen=True)
class DuePostings:
    """What to post now: credit interest differences and overdraft interest differences (a positive overdraft
    difference is a further charge, a negative one gives back an over-charge)."""

    interest: list[PostingAdjustment]
    overdraft: list[PostingAdjustment]


def posting_period_ends(start: date, end: date, posting: str) -> list[date]:
    """Calendar ends of the posting periods (or compounding periods) that fall from ``start`` to ``end``."""
    months = _months_per_period(posting)
    ends: list[date] = []
    period_end = _calendar_period_end(start, months)
    while period_end <= end:
        ends.append(period_end)
        period_end = _calendar_period_end(period_end + _ONE_DAY, months)
    return ends


def compute_interest(
    settings: InterestSettings, movements: Iterable[Movement], activation_date: date, up_to: date
) -> InterestResult:
    """Recompute interest from activation through ``up_to`` inclusive, every posting feeding later balances."""
    return _compute(settings, movements, activation_date, up_to, post_at_end=False)


def accrued_not_posted(
    settings: InterestSettings, movements: Iterable[Movement], activation_date: date, as_of: date
) -> Decimal:
    """Unrounded interest earned since the last posting period end, through ``as_of`` inclusive."""
    return compute_interest(settings, movements, activation_date, as_of).accrued_not_posted


def interest_postings_due(
    settings: InterestSettings,
    movements: Iterable[Movement],
    activation_date: date,
    as_of: date,
    already_posted: Mapping[date, Decimal],
) -> list[PostingAdjustment]:
    """Differences to post for every posting period ended on or before ``as_of``.

    ``already_posted`` maps a period end to everything posted for it so far (the original posting plus
    earlier differences). A back-dated movement changes the recomputed history; only the differences come
    back, and a period posted that should not have been comes back with its full negative.
    """
    result = compute_interest(settings, movements, activation_date, as_of)
    return _adjustments(result.postings, already_posted, as_of)


def closure_interest(
    settings: InterestSettings,
    movements: Iterable[Movement],
    activation_date: date,
    closed_on: date,
    already_posted: Mapping[date, Decimal] | None = None,
) -> list[PostingAdjustment]:
    """Like ``interest_postings_due`` at ``closed_on``, with the running period posted at closure."""
    result = _compute(settings, movements, activation_date, closed_on, post_at_end=True)
    return _adjustments(result.postings, already_posted or {}, closed_on)


def postings_due(
    settings: InterestSettings,
    movements: Iterable[Movement],
    activation_date: date,
    as_of: date,
    posted_interest: Mapping[date, Decimal],
    posted_overdraft: Mapping[date, Decimal],
) -> DuePostings:
    """``interest_postings_due`` for both kinds of interest from one walk: ``posted_overdraft`` maps a period
    end to the overdraft interest charged for it so far (positive), like ``posted_interest`` for credit."""
    result = compute_interest(settings, movements, activation_date, as_of)
    return DuePostings(_adjustments(result.postings, posted_interest, as_of),
                       _adjustments(result.overdraft_postings, posted_overdraft, as_of))


def closure_postings(
    settings: InterestSettings,
    movements: Iterable[Movement],
    activation_date: date,
    closed_on: date,
    posted_interest: Mapping[date, Decimal],
    posted_overdraft: Mapping[date, Decimal],
) -> DuePostings:
    """Like ``postings_due`` at ``closed_on``, with the running period posted (and charged) at closure."""
    result = _compute(settings, movements, activation_date, closed_on, post_at_end=True)
    return DuePostings(_adjustments(result.postings, posted_interest, closed_on),
                       _adjustments(result.overdraft_postings, posted_overdraft, closed_on))


def overdraft_interest(runs: Iterable[tuple[int, Decimal]], annual_rate: Decimal, days_in_year: int) -> Decimal:
    """Unrounded overdraft interest of (days, end-of-day balance) runs: only negative balances cost.

    The numerators (-balance x rate x days) are summed exactly and divided once, so splitting a run in two
    changes nothing. The caller rounds (once per posting period).
    """
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        ctx.rounding = decimal.ROUND_HALF_EVEN
        overdrawn_days = ZERO  # sum of -balance x days over the overdrawn runs
        for days, balance in runs:
            if balance < 0:
                overdrawn_days -= balance * days
        if overdrawn_days == 0 or annual_rate == 0:
            return ZERO
        return overdrawn_days * annual_rate / (_HUNDRED * days_in_year)


# --- the engine -----------------------------------------------------------------------------------------


class _Balances:
    """Walks the closing balance forward through the days, once; everything before the start opens it."""

    def __init__(self, movements: Iterable[Movement], start: date) -> None:
        opening = ZERO
        by_day: dict[date, Decimal] = {}
        for movement in movements:
            if movement.date < start:
                opening += movement.amount
            elif movement.is_interest_posting:
                continue  # the engine posts its own recomputed interest instead
            else:
                by_day[movement.date] = by_day.get(movement.date, ZERO) + movement.amount
        self._days = sorted(by_day)
        self._amounts = [by_day[day] for day in self._days]
        self._next = 0
        self.balance = opening

    def runs(self, first: date, last: date) -> Iterator[tuple[int, Decimal]]:
        """(days, closing balance) for each run of days with an unchanged balance, from first to last."""
        day = first
        while day <= last:
            self._apply_through(day)
            if self._next < len(self._days) and self._days[self._next] <= last:
                run_end = self._days[self._next] - _ONE_DAY
            else:
                run_end = last
            yield (run_end - day).days + 1, self.balance
            day = run_end + _ONE_DAY

    def closing(self, day: date) -> Decimal:
        self._apply_through(day)
        return self.balance

    def _apply_through(self, day: date) -> None:
        while self._next < len(self._days) and self._days[self._next] <= day:
            self.balance += self._amounts[self._next]
            self._next += 1


def _compute(
    settings: InterestSettings, movements: Iterable[Movement], start: date, end: date, post_at_end: bool
) -> InterestResult:
    balances = _Balances(movements, start)
    periods: list[PostingPeriodInterest] = []
    with localcontext() as ctx:
        # Our own precision and rounding, whatever the caller's context says, so results are reproducible.
        ctx.prec = _PRECISION
        ctx.rounding = decimal.ROUND_HALF_EVEN
        for period_start, period_end, complete in _posting_periods(settings.posting, start, end, post_at_end):
            periods.append(_posting_period(settings, balances, period_start, period_end, complete))
        closing = balances.closing(end)
    return InterestResult(tuple(periods), closing)


def _posting_periods(posting: str, start: date, end: date, post_at_end: bool) -> Iterator[tuple[date, date, bool]]:
    period_start = start
    for period_end in posting_period_ends(start, end, posting):
        yield period_start, period_end, True
        period_start = period_end + _ONE_DAY
    if period_start <= end:
        yield period_start, end, post_at_end


def _posting_period(
    settings: InterestSettings, balances: _Balances, start: date, end: date, complete: bool
) -> PostingPeriodInterest:
    overdraft_unrounded = _overdraft_of_period(settings, balances, start, end)
    if settings.compounding == "daily":
        compounded, details = _daily_compounding(settings, balances, start, end)
    else:
        compounded, details = _periodic_compounding(settings, balances, start, end)
    mode = rounding_mode(settings.rounding)
    amount = quantize(compounded, settings.digits, mode)  # named point: credit interest per posting period
    overdraft = quantize(overdraft_unrounded, settings.digits, mode)  # named point: overdraft interest per period
    if complete:
        # Both posted after the day's interest: they earn (or cost) from the next day.
        balances.balance += amount - overdraft
    return PostingPeriodInterest(start, end, amount, compounded, tuple(details), complete, overdraft,
                                 overdraft_unrounded)


def _overdraft_of_period(settings: InterestSettings, balances: _Balances, start: date, end: date) -> Decimal:
    """Overdraft interest of a posting period, read through a copy of the walker so that the walker itself is
    left at the period's start for credit interest: both see the same end-of-day balances."""
    if not settings.overdraft_rate:
        return ZERO
    ahead = copy.copy(balances)  # shares the (never mutated) movement lists; its own position and balance
    return overdraft_interest(ahead.runs(start, end), settings.overdraft_rate, settings.days_in_year)


def _periodic_compounding(
    settings: InterestSettings, balances: _Balances, start: date, end: date
) -> tuple[Decimal, list[CompoundingInterest]]:
    """Interest of a posting period compounded monthly or less often; returns it with each period's share."""
    compounded = ZERO  # compounded-not-posted; every compounding period ends by the posting period's end
    details: list[CompoundingInterest] = []
    for comp_start, comp_end in _compounding_periods(settings.compounding, start, end):
        interest = _compounding_interest(settings, balances.runs(comp_start, comp_end), compounded)
        details.append(CompoundingInterest(comp_start, comp_end, interest))
        compounded += interest
    return compounded, details


def _daily_compounding(
    settings: InterestSettings, balances: _Balances, start: date, end: date
) -> tuple[Decimal, list[CompoundingInterest]]:
    """Daily compounding walks day by day (each day earns on the last); the same operations as
    ``_compounding_interest`` on a one-day period, without a generator per day, so the results are identical.
    Average daily balance over one day is that day's balance, so both calculations take this path."""
    denominator = _HUNDRED * settings.days_in_year
    compounded = ZERO
    details: list[CompoundingInterest] = []
    day = start
    for days, balance in balances.runs(start, end):
        for _ in range(days):
            earning = balance + compounded
            rate = _rate_for(settings, earning, 1)
            interest = earning * rate / denominator if rate else ZERO
            details.append(CompoundingInterest(day, day, interest))
            compounded += interest
            day += _ONE_DAY
    return compounded, details


def _compounding_periods(compounding: str, start: date, end: date) -> Iterator[tuple[date, date]]:
    """Calendar compounding periods (monthly or longer), cut at the posting period's end."""
    months = _PERIOD_MONTHS[compounding]
    day = start
    while day <= end:
        period_end = min(_calendar_period_end(day, months), end)
        yield day, period_end
        day = period_end + _ONE_DAY


def _compounding_interest(
    settings: InterestSettings, runs: Iterable[tuple[int, Decimal]], compounded: Decimal
) -> Decimal:
    """Unrounded interest of one compounding period; ``compounded`` is constant within it by construction."""
    numerator = ZERO  # sum of balance x rate x days, exact; divided once below
    if settings.calculation == "daily_balance":
        for days, balance in runs:
            balance_days = (balance + compounded) * days
            numerator += balance_days * _rate_for(settings, balance_days, days)
    else:
        balance_days, total_days = ZERO, 0
        for days, balance in runs:
            balance_days += (balance + compounded) * days
            total_days += days
        numerator = balance_days * _rate_for(settings, balance_days, total_days)
    if numerator == 0:
        return ZERO
    return numerator / (_HUNDRED * settings.days_in_year)


def _rate_for(settings: InterestSettings, balance_days: Decimal, days: int) -> Decimal:
    """The rate earned by an average balance of balance_days / days, compared without dividing."""
    if balance_days <= 0:
        return ZERO
    minimum = settings.min_balance_for_interest
    if minimum is not None and balance_days < minimum * days:
        return ZERO
    for tier in reversed(settings.rate_tiers):
        if balance_days >= tier.min_balance * days:
            return tier.annual_rate
    return settings.annual_rate


def _adjustments(due: Mapping[date, Decimal], posted: Mapping[date, Decimal], as_of: date) -> list[PostingAdjustment]:
    period_ends = sorted(set(due) | {day for day in posted if day <= as_of})
    adjustments: list[PostingAdjustment] = []
    for period_end in period_ends:
        amount_due = due.get(period_end, ZERO)
        already = posted.get(period_end, ZERO)
        if amount_due != already:
            adjustments.append(PostingAdjustment(period_end, amount_due, already, amount_due - already))
    return adjustments


# --- calendar and validation helpers --------------------------------------------------------------------


def _months_per_period(name: str) -> int:
    try:
        return _PERIOD_MONTHS[name]
    except KeyError:
        raise ValueError(f"unknown period {name!r}; expected one of {sorted(_PERIOD_MONTHS)}") from None


def _calendar_period_end(day: date, months: int) -> date:
    """Last day of the calendar month, quarter, half-year or year (``months`` 1, 3, 6, 12) holding ``day``."""
    last_month = ((day.month - 1) // months + 1) * months
    return _month_end(day.year, last_month)


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - _ONE_DAY


def _check_choice(name: str, value: object, choices: tuple[object, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, not {value!r}")


def _check_decimal(name: str, value: object) -> Decimal:
    # Decimal only: a float here would make the interest inexact before any arithmetic starts.
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    return value


def _check_rate(name: str, value: object) -> None:
    if _check_decimal(name, value) < 0:
        raise ValueError(f"{name} must not be negative")
