"""Effective annual rates (pure): the total annual cost of a credit like Mexico's CAT, and a deposit's annual yield.

The annual cost is the rate r at which the borrower's cash flows are worth nothing today:

    sum_j  F_j / (1 + r) ** (t_j / 365)  =  0

where F_j is what the borrower receives (the disbursement net of up-front fees, positive) or pays (each
installment's principal, interest and fees, negative), and t_j its days after the disbursement. Penalties
are not a cost of the contract and stay out. The sum falls as r grows, so a bracketed search always converges;
Decimal throughout (ln/exp at 34 digits), no floats.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

_CONTEXT = decimal.Context(prec=34)
_ONE = Decimal(1)
_DAYS_IN_YEAR = Decimal(365)
_TOLERANCE = Decimal("1e-12")
_LOWEST, _HIGHEST = Decimal("-0.99"), Decimal(1000)  # -99% .. 100000% a year brackets any real credit
PERCENT_PLACES = Decimal("0.01")


def _value_and_slope(flows: Sequence[tuple[int, Decimal]], rate: Decimal) -> tuple[Decimal, Decimal]:
    """The flows' present value at `rate` and its derivative (for Newton's step)."""
    with decimal.localcontext(_CONTEXT):
        log_growth = (_ONE + rate).ln()
        value = slope = Decimal(0)
        for days, amount in flows:
            years = days / _DAYS_IN_YEAR
            discounted = amount * (-log_growth * years).exp()
            value += discounted
            slope -= years * discounted / (_ONE + rate)
        return value, slope


def annual_cost(flows: Sequence[tuple[date, Decimal]]) -> Decimal | None:
    """The effective annual cost in percent (2 places, half-up), or None when the flows admit no such rate.

    `flows` are (date, amount) from the borrower's side: what is received positive, what is paid negative.
    Newton's method from 10%, kept inside a shrinking bracket (a bisection step whenever Newton would leave
    it), so it converges in a handful of steps and never diverges.
    """
    if len(flows) < 2:
        return None
    start = min(day for day, _ in flows)
    timed = [((day - start).days, amount) for day, amount in flows]
    low, high = _LOWEST, _HIGHEST
    value_low, _ = _value_and_slope(timed, low)
    value_high, _ = _value_and_slope(timed, high)
    if value_low == 0:
        return _percent(low)
    if value_low * value_high > 0:
        return None  # no sign change: e.g. nothing received, or nothing paid
    rate = Decimal("0.1")
    for _ in range(200):
        value, slope = _value_and_slope(timed, rate)
        if (value > 0) == (value_low > 0):
            low = rate
        else:
            high = rate
        step = value / slope if slope else Decimal(0)
        proposed = rate - step
        if not (low < proposed < high) or step == 0:
            proposed = (low + high) / 2
        if abs(proposed - rate) < _TOLERANCE or high - low < _TOLERANCE:
            return _percent(proposed)
        rate = proposed
    return _percent(rate)


def _percent(rate: Decimal) -> Decimal:
    return (rate * 100).quantize(PERCENT_PLACES, rounding=decimal.ROUND_HALF_UP)


COMPOUNDINGS_PER_YEAR = {"monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}


def annual_yield(nominal_percent: Decimal, compounding: str, days_in_year: int) -> Decimal:
    """A deposit's effective annual yield in percent: (1 + r/n) ** n - 1 with n compounding periods a year."""
    periods = days_in_year if compounding == "daily" else COMPOUNDINGS_PER_YEAR[compounding]
    with decimal.localcontext(_CONTEXT):
        growth = (_ONE + nominal_percent / 100 / periods) ** periods
    return _percent(growth - _ONE)
