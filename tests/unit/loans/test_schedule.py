"""The schedule engine by hand-checked cases and by properties that must hold for any valid request."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akiba.core.errors import DomainError
from akiba.loans.schedule import (
    Schedule,
    generate_schedule,
    parse_schedule_request,
    preview,
    schedule_to_dict,
)


def loan(**overrides: Any) -> dict[str, Any]:
    """A valid request: 1000.00 over 12 months at 12%, declining balance, monthly interest; override any field."""
    body: dict[str, Any] = {
        "principal": "1000.00",
        "currency": "USD",
        "digits": 2,
        "annual_interest_rate": "12",
        "interest_type": "declining_balance",
        "amortization": "equal_installments",
        "interest_calculation_period": "same_as_repayment",
        "days_in_year": "365",
        "days_in_month": "actual",
        "repayment_every": 1,
        "repayment_frequency": "months",
        "number_of_repayments": 12,
        "schedule_type": "cumulative",
        "expected_disbursement_date": "2024-01-01",
    }
    body.update(overrides)
    return body


def rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    periods: list[dict[str, Any]] = schedule_to_dict(preview(parse_schedule_request(body)))["periods"]
    return periods


def column(body: dict[str, Any], name: str) -> list[str]:
    return [row[name] for row in rows(body)]


# --- hand cases ------------------------------------------------------------------------------------------------


def test_annuity_of_one_percent_a_month() -> None:
    # PMT(1%, 12, 1000) = 88.8488 -> 88.85; the last installment takes the remaining principal.
    schedule = rows(loan())
    assert [row["total_due"] for row in schedule[:11]] == ["88.85"] * 11
    assert schedule[0]["interest"] == "10.00"
    assert schedule[-1]["outstanding_after"] == "0.00"
    assert sum(Decimal(row["principal"]) for row in schedule) == Decimal("1000.00")


def test_same_as_repayment_interest_ignores_month_length() -> None:
    body = loan(principal="5000.00", number_of_repayments=3, installment_in_multiples_of=1)
    assert column(body, "interest")[0] == "50.00"  # January has 31 days, still 1% of 5000


def test_daily_interest_counts_actual_days() -> None:
    body = loan(number_of_repayments=1, interest_calculation_period="daily")
    assert column(body, "interest") == ["10.19"]  # 1000 × 12% × 31 / 365


def test_equal_principal_last_period_absorbs_remainder() -> None:
    body = loan(principal="5000.00", number_of_repayments=18, amortization="equal_principal")
    principal = column(body, "principal")
    assert principal[:17] == ["277.78"] * 17
    assert principal[-1] == "277.74"


def test_flat_with_installment_multiple_makes_whole_installments() -> None:
    body = loan(principal="5000.00", number_of_repayments=18, interest_type="flat", installment_in_multiples_of=1)
    schedule = rows(body)
    assert {row["total_due"] for row in schedule[:17]} == {"328.00"}
    assert (schedule[-1]["principal"], schedule[-1]["interest"]) == ("274.00", "50.00")


def test_zero_interest_with_multiple_rounds_half_even() -> None:
    body = loan(principal="1250.00", number_of_repayments=4, annual_interest_rate="0", installment_in_multiples_of=1)
    assert column(body, "principal") == ["312.00", "312.00", "312.00", "314.00"]


def test_grace_on_interest_defers_rather_than_waives() -> None:
    body = loan(principal="5000.00", number_of_repayments=18, grace_on_principal=6, grace_on_interest=3)
    interest = column(body, "interest")
    assert interest[:4] == ["0.00", "0.00", "0.00", "200.00"]


def test_down_payment_is_its_own_installment_on_the_disbursement_date() -> None:
    body = loan(
        annual_interest_rate="0", number_of_repayments=3, down_payment={"percent": "25", "auto_repayment": True}
    )
    schedule = rows(body)
    assert (schedule[0]["due_date"], schedule[0]["principal"], schedule[0]["paid"]) == (
        "2024-01-01",
        "250.00",
        "250.00",
    )
    assert [row["principal"] for row in schedule[1:]] == ["250.00"] * 3


def test_currency_without_decimals_rounds_to_its_multiple() -> None:
    body = loan(principal="10000000", digits=0, in_multiples_of=100, annual_interest_rate="24", number_of_repayments=24)
    body["amortization"] = "equal_principal"
    schedule = rows(body)
    assert (schedule[0]["principal"], schedule[0]["interest"]) == ("416700", "200000")
    assert schedule[1]["interest"] == "191700"


def test_progressive_emi_with_360_30() -> None:
    body = loan(
        principal="100.00",
        annual_interest_rate="7",
        number_of_repayments=6,
        schedule_type="progressive",
        interest_calculation_period="daily",
        days_in_year="360",
        days_in_month="30",
    )
    assert column(body, "total_due") == ["17.01"] * 5 + ["17.00"]
    assert column(body, "interest")[0] == "0.58"


def test_progressive_mid_period_disbursement_accrues_from_disbursement() -> None:
    body = loan(
        principal="192.22",
        annual_interest_rate="9.99",
        number_of_repayments=6,
        schedule_type="progressive",
        interest_calculation_period="daily",
        days_in_year="360",
        days_in_month="30",
        expected_disbursement_date="2024-01-15",
        first_repayment_date="2024-02-01",
    )
    assert column(body, "interest")[0] == "0.88"  # 17 of 31 days of a 30/360 month


def test_repayment_split_marks_in_advance_and_late() -> None:
    body = loan(
        principal="3000.00",
        annual_interest_rate="0",
        number_of_repayments=3,
        transactions=[
            {"type": "repayment", "date": "2024-01-20", "amount": "1000.00"},
            {"type": "repayment", "date": "2024-03-05", "amount": "1500.00"},
        ],
    )
    first, second, third = rows(body)
    assert (first["paid"], first["in_advance"], first["paid_date"]) == ("1000.00", "1000.00", "2024-01-20")
    assert (second["paid"], second["late"], second["paid_date"]) == ("1000.00", "1000.00", "2024-03-05")
    assert (third["paid"], third["outstanding"]) == ("500.00", "500.00")


def test_prepayment_with_interest_recalculation_reduces_the_emi() -> None:
    body = loan(
        principal="5000.00",
        number_of_repayments=6,
        interest_calculation_period="daily",
        days_in_year="actual",
        expected_disbursement_date="2022-11-01",
        installment_in_multiples_of=1,
        interest_recalculation={
            "compounding": "none",
            "rest_frequency": "daily",
            "reschedule_strategy": "reduce_emi_amount",
            "pre_close": "till_pre_close_date",
        },
        transactions=[{"type": "repayment", "date": "2022-11-27", "amount": "863.00"}],
        as_of="2022-11-27",
    )
    schedule = rows(body)
    assert (schedule[0]["principal"], schedule[0]["interest"]) == ("863.00", "48.18")
    assert schedule[1]["total_due"] == "852.00"


def test_due_date_hook_moves_due_dates() -> None:
    req = parse_schedule_request(loan(number_of_repayments=2))
    moved = generate_schedule(req, adjust_due_date=lambda day: day + timedelta(days=1))
    assert [row.due_date for row in moved.installments] == [date(2024, 2, 2), date(2024, 3, 2)]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("principal", "-5"),
        ("principal", 12.5),
        ("number_of_repayments", 0),
        ("interest_type", "compound"),
        ("repayment_frequency", "fortnights"),
        ("expected_disbursement_date", "2024-13-01"),
        ("rounding_mode", "NEAREST"),
        ("grace_on_principal", 12),
    ],
)
def test_bad_input_names_the_field(field: str, value: Any) -> None:
    with pytest.raises(DomainError) as refused:
        parse_schedule_request(loan(**{field: value}))
    assert refused.value.errors[0].field == field


# --- properties ------------------------------------------------------------------------------------------------


@st.composite
def schedule_requests(draw: st.DrawFn) -> dict[str, Any]:
    frequency = draw(st.sampled_from(["days", "weeks", "months"]))
    schedule_type = draw(st.sampled_from(["cumulative", "progressive"]))
    repayments = draw(st.integers(min_value=1, max_value=36))
    cumulative = schedule_type == "cumulative"
    body = loan(
        principal=str(Decimal(draw(st.integers(min_value=10_000, max_value=100_000_000))).scaleb(-2)),
        annual_interest_rate=str(Decimal(draw(st.integers(min_value=0, max_value=4000))).scaleb(-2)),
        interest_type=draw(st.sampled_from(["declining_balance", "flat"])) if cumulative else "declining_balance",
        amortization=draw(st.sampled_from(["equal_installments", "equal_principal"])) if cumulative else None,
        interest_calculation_period=draw(st.sampled_from(["daily", "same_as_repayment"])),
        days_in_year=draw(st.sampled_from(["360", "364", "365", "actual"])),
        days_in_month=draw(st.sampled_from(["30", "actual"])),
        repayment_every=draw(st.integers(min_value=1, max_value=30 if frequency == "days" else 3)),
        repayment_frequency=frequency,
        number_of_repayments=repayments,
        schedule_type=schedule_type,
        expected_disbursement_date=draw(st.dates(date(2020, 1, 1), date(2030, 12, 31))).isoformat(),
        installment_in_multiples_of=draw(st.sampled_from([None, 1, 10])),
        grace_on_principal=draw(st.integers(min_value=0, max_value=repayments - 1)) if cumulative else 0,
    )
    body["amortization"] = body["amortization"] or "equal_installments"
    if draw(st.booleans()):
        body["down_payment"] = {"percent": "25", "auto_repayment": draw(st.booleans())}
    return body


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _schedule(body: dict[str, Any]) -> Schedule:
    return generate_schedule(parse_schedule_request(body))


@PROPERTY_SETTINGS
@given(schedule_requests())
def test_principal_portions_sum_to_the_principal(body: dict[str, Any]) -> None:
    schedule = _schedule(body)
    assert schedule.total_principal == Decimal(body["principal"])
    assert schedule.installments[-1].outstanding_after == 0


@PROPERTY_SETTINGS
@given(schedule_requests())
def test_interest_and_principal_are_never_negative(body: dict[str, Any]) -> None:
    for installment in _schedule(body).installments:
        assert installment.interest >= 0
        assert installment.principal >= 0


@PROPERTY_SETTINGS
@given(schedule_requests())
def test_zero_rate_loans_charge_no_interest(body: dict[str, Any]) -> None:
    body["annual_interest_rate"] = "0"
    assert _schedule(body).total_interest == 0


@PROPERTY_SETTINGS
@given(schedule_requests(), st.booleans())
def test_paying_everything_due_closes_every_installment(body: dict[str, Any], recalculate: bool) -> None:
    installments = _schedule(body).installments
    body["transactions"] = [
        {"type": "repayment", "date": row.due_date.isoformat(), "amount": str(row.total_due)}
        for row in installments
        if row.total_due > 0 and not (row.is_down_payment and body["down_payment"]["auto_repayment"])
    ]
    body["as_of"] = installments[-1].due_date.isoformat()
    if recalculate and body["schedule_type"] == "cumulative" and body["interest_type"] == "declining_balance":
        body["interest_recalculation"] = {"compounding": "none", "rest_frequency": "daily"}
    paid = preview(parse_schedule_request(body))
    assert all(row.outstanding == 0 for row in paid.installments)
    assert all(row.paid_date is not None for row in paid.installments if row.total_due > 0)
