"""The money constructor and the named rounding points."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from akiba.core.money import D, money_str, quantize, round_to_multiple, rounding_mode


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        D(0.1)  # type: ignore[arg-type]


def test_rounding_names_map_to_decimal_modes() -> None:
    assert rounding_mode("HALF_EVEN") == ROUND_HALF_EVEN
    assert rounding_mode("round_half_up") == ROUND_HALF_UP
    with pytest.raises(ValueError):
        rounding_mode("SIDEWAYS")


def test_half_even_and_half_up_differ_on_ties() -> None:
    assert quantize(D("0.125"), 2) == D("0.12")
    assert quantize(D("0.125"), 2, ROUND_HALF_UP) == D("0.13")
    assert money_str(D("5"), 2) == "5.00"


def test_round_to_multiple() -> None:
    assert round_to_multiple(D("416666.67"), 100) == D("416700")
    assert round_to_multiple(D("312.5"), 1) == D("312")  # half-even tie goes to the even whole
    assert round_to_multiple(D("7.3"), 0) == D("7.3")


@given(st.decimals(min_value=-10**9, max_value=10**9, allow_nan=False, places=6), st.integers(0, 4))
def test_quantize_moves_at_most_half_a_unit(amount: Decimal, digits: int) -> None:
    rounded = quantize(amount, digits)
    assert abs(rounded - amount) <= Decimal(1).scaleb(-digits) / 2
    assert rounded.as_tuple().exponent == -digits
