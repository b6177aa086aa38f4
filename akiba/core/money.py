"""Money values: one constructor that refuses floats, and rounding at named points only."""

from __future__ import annotations

import decimal
from decimal import Decimal

ZERO = Decimal("0")

_ROUNDING_NAMES = {
    "UP": decimal.ROUND_UP,
    "DOWN": decimal.ROUND_DOWN,
    "CEILING": decimal.ROUND_CEILING,
    "FLOOR": decimal.ROUND_FLOOR,
    "HALF_UP": decimal.ROUND_HALF_UP,
    "HALF_DOWN": decimal.ROUND_HALF_DOWN,
    "HALF_EVEN": decimal.ROUND_HALF_EVEN,
    "05UP": decimal.ROUND_05UP,
}


def D(value: Decimal | int | str) -> Decimal:
    """Build a Decimal from an exact value; floats are refused because they are not exact."""
    if isinstance(value, float):
        raise TypeError("money must not be built from a float")
    if isinstance(value, bool):
        raise TypeError("money must not be built from a bool")
    return Decimal(value)


def rounding_mode(name: str) -> str:
    """Map a rounding name as the API spells it ('HALF_EVEN') to the decimal module's constant."""
    key = name.upper().removeprefix("ROUND_")
    try:
        return _ROUNDING_NAMES[key]
    except KeyError:
        raise ValueError(f"unknown rounding mode {name!r}") from None


def quantize(amount: Decimal, digits: int, mode: str = decimal.ROUND_HALF_EVEN) -> Decimal:
    """Round to a number of decimal places with an explicit rounding mode."""
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=mode)


def round_to_multiple(amount: Decimal, multiple: Decimal | int, mode: str = decimal.ROUND_HALF_EVEN) -> Decimal:
    """Round to a whole multiple (e.g. 100 for a currency that has no coins below 100)."""
    step = Decimal(multiple)
    if step <= 0:
        return amount
    return (amount / step).quantize(Decimal(1), rounding=mode) * step


def money_str(amount: Decimal, digits: int = 2) -> str:
    """The API's spelling of an amount: a decimal string with the currency's digits."""
    return str(quantize(amount, digits))
