"""ISO 4217 minor units of the currencies our users run, for the API's spelling of amounts (pure)."""

from __future__ import annotations

import re

_CODE = re.compile(r"^[A-Z]{3}$")
# Currencies with other than 2 decimal places; every other valid code has 2.
_DIGITS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
    "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}


def is_currency_code(code: str) -> bool:
    return bool(_CODE.match(code))


def currency_digits(code: str) -> int:
    """Decimal places of a currency's minor unit (2 unless ISO 4217 says otherwise)."""
    return _DIGITS.get(code, 2)
