"""The pure schedule of a rescheduled loan that recalculates its interest (akiba.loans.rescheduled).

The loan: 1,000.00 USD at 12% a year, 6 monthly installments from 2024-01-01, interest per day on actual days over
365, recalculated daily (no compounding), principal paid ahead reducing the EMI.
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
    "principal": "1000.00", "currency": "USD", "digits": 2, "annual_interest_rate": "12",
    "interest_type": "declining_balance", "amortization": "equal_installments", "repayment_every": 1,
    "repayment_frequency": "months", "number_of_repayments": 6, "expected_disbursement_date": "2024-01-01",
    "interest_calculation_period": "daily", "days_in_year": "365", "days_in_month": "actual",
    "interest_recalculation": {"compounding": "none", "rest_frequency": "daily",
                               "reschedule_strategy": "reduce_emi_amount"},
}


def _request(as_of: str, **overrides: Any) -> ScheduleRequest:
    return replace(parse_schedule_request({**BODY, **overrides}), as_of=date.fromisoformat(as_of))


def _expected(req: ScheduleRequest, transactions: list[Transaction]) -> Schedule:
    """What the preview answers: the plain schedule without payments, else the recalculated one."""
    if not transactions:
        return generate_schedule(req)
    return recalculated_preview(req, transactions)


def _due(rows: tuple[Installment, ...] | list[Installment]) -> list[tuple[Any, ...]]:
    return [(r.from_date, r.due_date, r.principal, r.interest, r.outstanding_after, r.paid) for r in rows]


PAYMENTS = [
    [],
    [Transaction("repayment", date(2024, 1, 20), Decimal("300.00"))],  # early, inside the first period
    [Transaction("repayment", date(2024, 1, 20), Decimal("300.00")),
     Transaction("repayment", date(2024, 3, 10), Decimal("150.00"))],  # and installment 2 paid late
]


RECALCULATIONS = [
    BODY["interest_recalculation"],
    {**BODY["interest_recalculation"], "reschedule_strategy": "reduce_number_of_installments"},
    {**BODY["interest_recalculation"], "reschedule_strategy": "reschedule_next_repayments"},
    {**BODY["interest_recalculation"], "compounding": "interest"},
    {**BODY["interest_recalculation"], "rest_frequency": "same_as_repayment"},
]


@pytest.mark.parametrize("recalculation", RECALCULATIONS)
@pytest.mark.parametrize("transactions", PAYMENTS)
def test_a_reschedule_from_the_first_installment_is_a_loan_with_the_new_terms(
        transactions: list[Transaction], recalculation: dict[str, str]) -> None:
    as_of = max((t.date for t in transactions), default=date(2024, 1, 10)).isoformat()
    segment = Segment(1, date(2024, 1, 1), Decimal("9"), 8, date(2024, 2, 1), 0)
    got = rescheduled_preview(_request(as_of, interest_recalculation=recalculation), [segment], transactions)
    want = _expected(_request(as_of, annual_interest_rate="9", number_of_repayments=8,
                              interest_recalculation=recalculation), transactions)
    assert _due(got.installments) == _due(want.installments)


@pytest.mark.parametrize("recalculation", RECALCULATIONS)
def test_the_rest_is_a_loan_of_what_the_kept_installment_leaves_for_every_recalculation(
        recalculation: dict[str, str]) -> None:
    on_time = generate_schedule(_request("2024-02-01")).installments[0]
    paid = [Transaction("repayment", date(2024, 2, 1), on_time.total_due),
            Transaction("repayment", date(2024, 2, 20), Decimal("200.00")),
            Transaction("repayment", date(2024, 4, 10), Decimal("150.00"))]
    segment = Segment(2, date(2024, 2, 1), Decimal("6"), 6, date(2024, 3, 1), 0)
    got = rescheduled_preview(_request("2024-04-10", interest_recalculation=recalculation), [segment], paid)
    as_a_loan = _expected(_request("2024-04-10", principal=str(Decimal("1000.00") - on_time.principal),
                                   expected_disbursement_date="2024-02-01", annual_interest_rate="6",
                                   number_of_repayments=6, interest_recalculation=recalculation), paid[1:])
    assert _due(got.installments[1:]) == _due(as_a_loan.installments)


def test_the_kept_installment_stays_and_the_rest_is_a_loan_of_what_it_leaves() -> None:
    on_time = generate_schedule(_request("2024-02-01")).installments[0]
    paid = [Transaction("repayment", date(2024, 2, 1), on_time.total_due),
            Transaction("repayment", date(2024, 3, 20), Decimal("300.00"))]
    segment = Segment(2, date(2024, 2, 1), Decimal("6"), 6, date(2024, 3, 1), 0)
    got = rescheduled_preview(_request("2024-03-20"), [segment], paid)
    first, rest = got.installments[0], got.installments[1:]
    assert (first.principal, first.interest, first.paid) == (on_time.principal, on_time.interest, on_time.total_due)
    left = Decimal("1000.00") - on_time.principal
    # By hand: the EMI at 12% over 6 uses r = 12% x 30/365: 1000 r / (1 - (1 + r)^-6) = 172.47; January's interest
    # 1000 x 12% x 31/365 = 10.19, so installment 1 is 162.28 principal and leaves 837.72. At 6% over 6:
    # EMI 837.72 r' / (1 - (1 + r')^-6) with r' = 6% x 30/365 = 142.04; February (29 days) 837.72 x 6% x 29/365
    # = 3.99, principal 142.04 - 3.99 = 138.05.
    assert (on_time.principal, left) == (Decimal("162.28"), Decimal("837.72"))
    assert (rest[0].interest, rest[0].principal) == (Decimal("3.99"), Decimal("138.05"))
    as_a_loan = _expected(_request("2024-03-20", principal=str(left), expected_disbursement_date="2024-02-01",
                                   annual_interest_rate="6", number_of_repayments=6), paid[1:])
    assert _due(rest) == _due(as_a_loan.installments)
    assert [r.n for r in got.installments] == list(range(1, 8))
    assert sum(r.principal for r in got.installments) == Decimal("1000.00")


def test_two_reschedules_apply_in_order_and_grace_delays_principal() -> None:
    first = Segment(3, date(2024, 3, 1), Decimal("9"), 4, date(2024, 4, 1), 0)
    second = Segment(5, date(2024, 5, 1), Decimal("6"), 3, date(2024, 6, 15), 1)
    got = rescheduled_preview(_request("2024-01-10"), [first, second], [])
    rows = got.installments
    assert [r.due_date for r in rows[4:]] == [date(2024, 6, 15), date(2024, 7, 15), date(2024, 8, 15)]
    assert rows[4].principal == 0 and rows[4].interest > 0  # grace on principal for the first after the second
    assert sum(r.principal for r in rows) == Decimal("1000.00")
    only_first = rescheduled_preview(_request("2024-01-10"), [first], [])
    assert _due(rows[:4]) == _due(only_first.installments[:4])  # the second kept what the first made before it
