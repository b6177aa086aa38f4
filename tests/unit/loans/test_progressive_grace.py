"""Grace on principal for progressive schedules: interest-only periods first, then an EMI over the rest."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from akiba.loans.schedule import parse_schedule_request, preview, schedule_to_dict


def progressive(**overrides: Any) -> list[dict[str, Any]]:
    body: dict[str, Any] = {
        "principal": "1000.00",
        "currency": "USD",
        "annual_interest_rate": "12",
        "interest_calculation_period": "daily",
        "days_in_year": "360",
        "days_in_month": "30",
        "repayment_frequency": "months",
        "number_of_repayments": 12,
        "schedule_type": "progressive",
        "expected_disbursement_date": "2024-01-01",
        **overrides,
    }
    periods: list[dict[str, Any]] = schedule_to_dict(preview(parse_schedule_request(body)))["periods"]
    return periods


def test_grace_periods_pay_interest_only_on_the_whole_principal() -> None:
    rows = progressive(grace_on_principal=3)
    assert [(row["principal"], row["interest"]) for row in rows[:3]] == [("0.00", "10.00")] * 3
    assert [row["outstanding_after"] for row in rows[:3]] == ["1000.00"] * 3


def test_after_the_grace_the_emi_amortises_over_the_remaining_periods() -> None:
    rows = progressive(grace_on_principal=3)
    # PMT(1%, 9, 1000) = 116.7403… -> 116.74, the EMI of a 9-period loan of the whole principal.
    assert {row["total_due"] for row in rows[3:-1]} == {"116.74"}
    assert rows[3]["interest"] == "10.00"
    assert sum(Decimal(row["principal"]) for row in rows) == Decimal("1000.00")
    assert rows[-1]["outstanding_after"] == "0.00"


def test_without_grace_the_schedule_is_unchanged() -> None:
    assert progressive(grace_on_principal=0) == progressive()
    assert {row["total_due"] for row in progressive()[:-1]} == {"88.85"}
