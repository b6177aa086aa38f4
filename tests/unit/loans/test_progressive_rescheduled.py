"""The pure schedule of a rescheduled progressive loan that recalculates its interest (akiba.loans.rescheduled on
the progressive interest model).

The loan is the fixture of Fineract's ProgressiveEMICalculatorTest and of its LoanInterestRateChange feature:
100.00 USD disbursed 2024-01-01, 6 monthly installments at 7% a year, interest per day on 360 days and 30-day
months, recalculated daily. At disbursement the EMI is 17.01 (the last 17.00); installment 1 is 16.43 + 0.58
(100 x 7%/12 = 0.5833), leaving 83.57.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from akiba.loans.recalculation import recalculated_preview
from akiba.loans.rescheduled import Segment, rescheduled_preview
from akiba.loans.schedule import generate_schedule, parse_schedule_request
from akiba.loans.terms import Installment, Schedule, ScheduleRequest, Transaction

BODY: dict[str, Any] = {
    "principal": "100.00", "currency": "USD", "digits": 2, "annual_interest_rate": "7",
    "interest_type": "declining_balance", "amortization": "equal_installments", "repayment_every": 1,
    "repayment_frequency": "months", "number_of_repayments": 6, "expected_disbursement_date": "2024-01-01",
    "schedule_type": "progressive", "interest_calculation_period": "daily", "days_in_year": "360",
    "days_in_month": "30", "interest_recalculation": {"compounding": "none", "rest_frequency": "daily"},
    "transaction_processing_strategy": "ADVANCED_PAYMENT_ALLOCATION",
}
ON_TIME = Transaction("repayment", date(2024, 2, 1), Decimal("17.01"))  # installment 1 on its due date
LEFT = "83.57"  # 100 - 16.43: what installments 2-6 carry


def _request(as_of: str, **overrides: Any) -> ScheduleRequest:
    return replace(parse_schedule_request({**BODY, **overrides}), as_of=date.fromisoformat(as_of))


def _the_rest_as_a_loan(as_of: str, transactions: list[Transaction], **terms: Any) -> Schedule:
    """A loan of what installment 1 leaves, disbursed on its due date: what the preview answers for it."""
    req = _request(as_of, principal=LEFT, expected_disbursement_date="2024-02-01", **terms)
    return recalculated_preview(req, transactions) if transactions else generate_schedule(req)


def _due(rows: tuple[Installment, ...] | list[Installment]) -> list[tuple[Any, ...]]:
    return [(r.from_date, r.due_date, r.principal, r.interest, r.outstanding_after, r.paid) for r in rows]


def _amounts(rows: tuple[Installment, ...]) -> list[tuple[str, str, str, str]]:
    return [(str(r.principal), str(r.interest), str(r.outstanding_after), str(r.paid)) for r in rows]


def test_a_rate_change_from_the_second_installment_is_fineracts() -> None:
    # Fineract's LoanInterestRateChange.feature, C3217: paid 17.01 on 2024-02-01 and on 2024-03-01, rescheduled to
    # 4% from installment 2. By hand: installment 2 is 83.57 x 4%/12 = 0.2786 -> 0.28 of interest; the EMI of
    # 83.57 over 5 months at r = 4%/12: 83.57 r / (1 - (1 + r)^-5) = 83.57 x 0.20201 = 16.88, so principal 16.60.
    # The 0.13 paid beyond it on 2024-03-01 goes ahead onto installment 3: (66.97 - 0.13) x 4%/12 = 0.2228 -> 0.22.
    segment = Segment(2, date(2024, 2, 1), Decimal("4"), 5, date(2024, 3, 1), 0)
    paid = [ON_TIME, Transaction("repayment", date(2024, 3, 1), Decimal("17.01"))]
    got = rescheduled_preview(_request("2024-04-01"), [segment], paid)
    assert _amounts(got.installments) == [
        ("16.43", "0.58", "83.57", "17.01"), ("16.60", "0.28", "66.97", "16.88"), ("16.66", "0.22", "50.31", "0.13"),
        ("16.71", "0.17", "33.60", "0"), ("16.77", "0.11", "16.83", "0"), ("16.83", "0.06", "0.00", "0"),
    ]
    assert got.installments[-1].principal + got.installments[-1].interest == Decimal("16.89")


def test_extra_terms_spread_what_is_left_over_more_installments() -> None:
    # 83.57 over 7 months at r = 7%/12: (1 + r)^7 = 1.041555, EMI 83.57 r / (1 - 1.041555^-1) = 83.57 x 0.146210
    # = 12.22; installment 2 is 83.57 x 7%/12 = 0.4875 -> 0.49 of interest and 12.22 - 0.49 = 11.73 of principal.
    segment = Segment(2, date(2024, 2, 1), Decimal("7"), 7, date(2024, 3, 1), 0)
    got = rescheduled_preview(_request("2024-02-10"), [segment], [ON_TIME])
    first, rest = got.installments[0], got.installments[1:]
    assert (first.principal, first.interest, first.paid) == (Decimal("16.43"), Decimal("0.58"), Decimal("17.01"))
    assert len(rest) == 7 and rest[-1].due_date == date(2024, 9, 1)
    assert (rest[0].principal, rest[0].interest) == (Decimal("11.73"), Decimal("0.49"))
    assert all(r.principal + r.interest == Decimal("12.22") for r in rest[:-1])
    assert sum(r.principal for r in got.installments) == Decimal("100.00")
    assert _due(rest) == _due(_the_rest_as_a_loan("2024-02-10", [], number_of_repayments=7).installments)


LATER_PAYMENTS = [
    [Transaction("repayment", date(2024, 2, 20), Decimal("30.00"))],  # early: inside installment 2's period
    [Transaction("repayment", date(2024, 3, 12), Decimal("12.22"))],  # installment 2 paid 11 days late
    [Transaction("repayment", date(2024, 3, 12), Decimal("12.22")),
     Transaction("repayment", date(2024, 4, 1), Decimal("40.00"))],  # then ahead from installment 3's due date
]


@pytest.mark.parametrize("later", LATER_PAYMENTS)
def test_later_payments_rebuild_the_rest_as_a_loan_of_what_was_left(later: list[Transaction]) -> None:
    segment = Segment(2, date(2024, 2, 1), Decimal("5"), 7, date(2024, 3, 1), 0)
    as_of = later[-1].date.isoformat()
    got = rescheduled_preview(_request(as_of), [segment], [ON_TIME, *later])
    kept = got.installments[0]
    assert (kept.principal, kept.interest, kept.paid) == (Decimal("16.43"), Decimal("0.58"), Decimal("17.01"))
    as_a_loan = _the_rest_as_a_loan(as_of, later, annual_interest_rate="5", number_of_repayments=7)
    assert _due(got.installments[1:]) == _due(as_a_loan.installments)
    assert sum(r.principal for r in got.installments) == Decimal("100.00")


def test_a_reschedule_from_the_first_installment_is_a_loan_with_the_new_terms() -> None:
    segment = Segment(1, date(2024, 1, 1), Decimal("9"), 8, date(2024, 2, 1), 0)
    paid = [Transaction("repayment", date(2024, 1, 20), Decimal("30.00")),
            Transaction("repayment", date(2024, 3, 10), Decimal("10.00"))]
    got = rescheduled_preview(_request("2024-03-10"), [segment], paid)
    want = recalculated_preview(_request("2024-03-10", annual_interest_rate="9", number_of_repayments=8), paid)
    assert _due(got.installments) == _due(want.installments)


def test_a_new_first_due_date_with_grace_on_principal() -> None:
    segment = Segment(2, date(2024, 2, 1), Decimal("7"), 5, date(2024, 3, 15), 1)
    got = rescheduled_preview(_request("2024-02-10"), [segment], [ON_TIME])
    rest = got.installments[1:]
    assert [r.due_date for r in rest] == [date(2024, 3, 15), date(2024, 4, 15), date(2024, 5, 15),
                                          date(2024, 6, 15), date(2024, 7, 15)]
    # Grace on principal: installment 2 is interest only; the EMI amortises 83.57 over the 4 installments after it.
    assert rest[0].principal == 0 and rest[0].interest > 0 and rest[1].outstanding_after < Decimal(LEFT)
    want = _the_rest_as_a_loan("2024-02-10", [], first_repayment_date="2024-03-15", number_of_repayments=5,
                               grace_on_principal=1)
    assert _due(rest) == _due(want.installments)


def test_two_reschedules_apply_in_order() -> None:
    first = Segment(2, date(2024, 2, 1), Decimal("4"), 5, date(2024, 3, 1), 0)
    second = Segment(4, date(2024, 4, 1), Decimal("10"), 4, date(2024, 5, 1), 0)
    paid = [ON_TIME, Transaction("repayment", date(2024, 3, 1), Decimal("16.88")),
            Transaction("repayment", date(2024, 4, 1), Decimal("16.88"))]
    got = rescheduled_preview(_request("2024-04-01"), [first, second], paid)
    only_first = rescheduled_preview(_request("2024-04-01"), [first], paid)
    assert _due(got.installments[:3]) == _due(only_first.installments[:3])  # the second kept what the first made
    assert len(got.installments) == 7 and got.installments[-1].due_date == date(2024, 8, 1)
    # Installment 4 at 10% on what installment 3 left (50.31): 50.31 x 10%/12 = 0.419 -> 0.42.
    assert got.installments[2].outstanding_after == Decimal("50.31")
    assert got.installments[3].interest == Decimal("0.42")
    assert sum(r.principal for r in got.installments) == Decimal("100.00")


def test_principal_paid_ahead_before_the_reschedule_counts_on_the_new_installments() -> None:
    # 40.00 on 2024-01-20 (a payment dated before the reschedule's start): installment 1 owes interest to that day
    # only, 100 x 7%/12 x 19/31 = 0.3575 -> 0.36, so 16.65 is its principal and 22.99 goes ahead. The reschedule
    # (4% over 5 from installment 2) amortises what installment 1 leaves, 100 - 16.65 = 83.35: EMI 83.35 x 0.20201
    # = 16.84. The 22.99 paid ahead pays installment 2 (16.84, all principal: paid before its period began) and
    # 6.15 of installment 3; the interest installment 2 could not take moves on to installment 3.
    segment = Segment(2, date(2024, 2, 1), Decimal("4"), 5, date(2024, 3, 1), 0)
    paid = [Transaction("repayment", date(2024, 1, 20), Decimal("40.00"))]
    rows = rescheduled_preview(_request("2024-02-05"), [segment], paid).installments
    assert [(r.principal, r.interest, r.paid) for r in rows[:3]] == [
        (Decimal("16.65"), Decimal("0.36"), Decimal("17.01")), (Decimal("16.84"), Decimal("0"), Decimal("16.84")),
        (rows[2].principal, rows[2].interest, Decimal("6.15"))]
    assert all(r.principal + r.interest == Decimal("16.84") for r in rows[1:-1])
    assert sum(r.principal for r in rows) == Decimal("100.00")
    # Its interest: its own on 60.36 (83.35 - 22.99) at 4%/12 = 0.2012 -> 0.20, plus what installments 1 and 2 could
    # not take: January accrued 0.35753 + 60.36 x 7%/12 x 12/31 = 0.13630, 0.49383 -> 0.49, of which 0.36 was
    # paid (0.13 moves on), and February 0.20 on 60.36 at 4%: 0.20 + 0.13 + 0.20 = 0.53.
    assert rows[2].interest == Decimal("0.53")
