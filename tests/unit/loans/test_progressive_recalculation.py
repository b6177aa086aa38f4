"""Progressive schedules with interest recalculation: invariants that hold for any loan and any repayments, and a
few hand-worked cases of what Fineract's model implies beyond its own tests."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akiba.loans.schedule import Schedule, generate_schedule, parse_schedule_request, preview

PROPERTY_SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
START = date(2024, 1, 1)


def loan(**overrides: Any) -> dict[str, Any]:
    """1000.00 over 6 months at 12%, progressive, daily interest on 360/30, interest recalculation on."""
    body: dict[str, Any] = {
        "principal": "1000.00",
        "currency": "USD",
        "digits": 2,
        "annual_interest_rate": "12",
        "interest_calculation_period": "daily",
        "days_in_year": "360",
        "days_in_month": "30",
        "repayment_every": 1,
        "repayment_frequency": "months",
        "number_of_repayments": 6,
        "schedule_type": "progressive",
        "expected_disbursement_date": START.isoformat(),
        "interest_recalculation": {"compounding": "none", "rest_frequency": "daily"},
    }
    body.update(overrides)
    return body


def with_payments(body: dict[str, Any], payments: list[tuple[date, Decimal]], as_of: date | None = None) -> Schedule:
    transactions = [{"type": "repayment", "date": on.isoformat(), "amount": str(amount)} for on, amount in payments]
    return preview(parse_schedule_request({**body, "transactions": transactions,
                                           "as_of": as_of.isoformat() if as_of else None}))


# --- hand-worked cases -------------------------------------------------------------------------------------------


def test_partial_early_payment_lowers_the_running_period_interest() -> None:
    # 1000 at 12% on 360/30: EMI 172.55, period 1 interest 1000 x 1% = 10.00.
    # 100 paid on 2024-01-11 (10 days in): 1000 x 1% x 10/31 = 3.23 accrued, so 96.77 principal leaves the balance.
    # Period 1 then earns 3.2258 + 903.23 x 1% x 21/31 = 3.2258 + 6.1187 = 9.3445 -> 9.34; its principal is the rest
    # of the EMI, 172.55 - 9.34 = 163.21; nothing else changes but the interest the lower balances earn.
    schedule = with_payments(loan(), [(date(2024, 1, 11), Decimal("100"))])
    first = schedule.installments[0]
    assert (first.principal, first.interest) == (Decimal("163.21"), Decimal("9.34"))
    assert first.paid == Decimal("100")
    # Period 2 opens on 1000 - 163.21 = 836.79 and earns 8.37, as the plain schedule's second period would on it.
    assert schedule.installments[1].interest == Decimal("8.37")


def test_interest_stops_at_an_early_payoff() -> None:
    # The whole loan repaid on 2024-01-16: 15 days on 1000 at 1% a month of 31 days = 4.84 interest, the rest of
    # the EMI (167.71) is period 1's principal, periods 2-5 take their EMI as principal, the last the remainder.
    schedule = with_payments(loan(), [(date(2024, 1, 16), Decimal("1004.84"))])
    assert schedule.total_interest == Decimal("4.84")
    assert [row.principal for row in schedule.installments] == [
        Decimal("167.71"), *[Decimal("172.55")] * 4, Decimal("1000") - Decimal("167.71") - 4 * Decimal("172.55")]
    assert all(row.outstanding == 0 for row in schedule.installments)


# --- properties ---------------------------------------------------------------------------------------------------


@st.composite
def loans(draw: st.DrawFn) -> dict[str, Any]:
    frequency = draw(st.sampled_from(["months", "weeks", "days"]))
    every = draw(st.integers(1, 2)) if frequency != "days" else draw(st.sampled_from([7, 15, 30]))
    return loan(
        principal=str(Decimal(draw(st.integers(10_000, 5_000_000))) / 100),
        annual_interest_rate=str(draw(st.decimals("0.5", "36", places=2))),
        days_in_year=draw(st.sampled_from(["360", "364", "365", "actual"])),
        days_in_month=draw(st.sampled_from(["30", "actual"])),
        repayment_frequency=frequency,
        repayment_every=every,
        number_of_repayments=draw(st.integers(1, 12)),
        expected_disbursement_date=(START + timedelta(days=draw(st.integers(0, 400)))).isoformat(),
        interest_recalculation={
            "compounding": "none",
            "rest_frequency": draw(st.sampled_from(["daily", "same_as_repayment"])),
            "pre_close": draw(st.sampled_from(["till_pre_close_date", "till_rest_frequency_date"])),
        },
    )


@st.composite
def loans_with_payments(
    draw: st.DrawFn, min_size: int = 0, early_only: bool = False
) -> tuple[dict[str, Any], list[tuple[date, Decimal]]]:
    """A loan and up to five repayments of up to half its total, from the disbursement to a month after maturity
    (with `early_only`, before the first due date)."""
    body = draw(loans())
    disbursed = date.fromisoformat(body["expected_disbursement_date"])
    plain = generate_schedule(parse_schedule_request(body))
    last_day = (plain.installments[0].due_date - disbursed).days - 1 if early_only else \
        (plain.installments[-1].due_date - disbursed).days + 30
    largest = int(plain.total_due * 100) // 2
    payments = draw(st.lists(
        st.tuples(st.integers(0, max(last_day, 0)), st.integers(1, max(largest, 1))), min_size=min_size, max_size=5))
    return body, sorted((disbursed + timedelta(days=day), Decimal(cents) / 100) for day, cents in payments)


@PROPERTY_SETTINGS
@given(loans_with_payments())
def test_principal_portions_sum_to_the_principal(case: tuple[dict[str, Any], list[tuple[date, Decimal]]]) -> None:
    body, payments = case
    schedule = with_payments(body, payments)
    assert schedule.total_principal == Decimal(body["principal"])
    # The balance after each installment is the principal less what the installments so far scheduled.
    assert schedule.installments[-1].outstanding_after == 0


@PROPERTY_SETTINGS
@given(loans_with_payments())
def test_interest_is_never_negative(case: tuple[dict[str, Any], list[tuple[date, Decimal]]]) -> None:
    body, payments = case
    schedule = with_payments(body, payments)
    assert all(row.interest >= 0 and row.principal >= 0 for row in schedule.installments)


@PROPERTY_SETTINGS
@given(loans_with_payments(early_only=True))
def test_paying_early_never_costs_more_interest(case: tuple[dict[str, Any], list[tuple[date, Decimal]]]) -> None:
    body, payments = case
    plain = generate_schedule(parse_schedule_request(body))
    assert with_payments(body, payments).total_interest <= plain.total_interest


@PROPERTY_SETTINGS
@given(loans_with_payments(min_size=1), st.integers(0, 60))
def test_paying_all_outstanding_closes_the_loan(
    case: tuple[dict[str, Any], list[tuple[date, Decimal]]], days_later: int
) -> None:
    body, payments = case
    on = payments[-1][0] + timedelta(days=days_later)
    # What the schedule shows outstanding on that day (overdue principal having earned interest until then).
    schedule = with_payments(body, payments, as_of=on)
    owed = sum((row.outstanding for row in schedule.installments), Decimal(0))
    settled = with_payments(body, [*payments, (on, owed)] if owed > 0 else payments)
    assert all(row.outstanding == 0 for row in settled.installments)
    # It covers the payoff: paying it all that day stops the interest there, so nothing more is ever charged.
    assert settled.total_due <= schedule.total_due


@PROPERTY_SETTINGS
@given(loans())
def test_on_time_payment_of_every_installment_gives_the_plain_schedule(body: dict[str, Any]) -> None:
    plain = generate_schedule(parse_schedule_request(body))
    paid = with_payments(body, [(row.due_date, row.total_due) for row in plain.installments])
    assert [(r.principal, r.interest) for r in paid.installments] == [
        (r.principal, r.interest) for r in plain.installments]
    assert all(row.outstanding == 0 and row.paid_date == row.due_date for row in paid.installments)
