"""Interest recalculation of progressive schedules against Apache Fineract's own unit tests.

Every expected number below is transcribed from
fineract-progressive-loan/src/test/java/org/apache/fineract/portfolio/loanproduct/calc/ProgressiveEMICalculatorTest.java
(the test named in each case). Fineract's `checkPeriod(model, period, interestPeriod, emi, rateFactor, interest,
dueInterest, duePrincipal, remainingBalance)` lines give, per repayment period, the EMI, the due interest, the due
principal and the balance left after the period; `getDueAmounts(model, from, due, date)` gives what a period owes on
a date. Two levels are checked: the calculator model driven exactly as the Fineract test drives it (payPrincipal /
payInterest on a named period), and the schedule preview of the public API given the same money as repayments.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from akiba.loans.dates import repayment_periods
from akiba.loans.progressive_recalculation import ProgressiveModel
from akiba.loans.schedule import parse_schedule_request, preview, schedule_to_dict

# All the cases share Fineract's fixture: 100 USD disbursed 2024-01-01, six monthly periods, 7% a year, 360/30,
# daily interest calculation, HALF_EVEN, 12 significant digits.
BODY: dict[str, Any] = {
    "principal": "100",
    "currency": "USD",
    "digits": 2,
    "annual_interest_rate": "7",
    "interest_type": "declining_balance",
    "interest_calculation_period": "daily",
    "days_in_year": "360",
    "days_in_month": "30",
    "repayment_every": 1,
    "repayment_frequency": "months",
    "number_of_repayments": 6,
    "schedule_type": "progressive",
    "expected_disbursement_date": "2024-01-01",
    "interest_recalculation": {"compounding": "none", "rest_frequency": "daily"},
    "transaction_processing_strategy": "ADVANCED_PAYMENT_ALLOCATION",
}


def D(text: str) -> Decimal:
    return Decimal(text)


def model_for(**changes: Any) -> ProgressiveModel:
    req = parse_schedule_request({**BODY, **changes})
    return ProgressiveModel.disbursed(req, req.principal, repayment_periods(req))


def assert_periods(model: ProgressiveModel, expected: list[tuple[str, str, str, str]]) -> None:
    """expected rows: (emi, due interest, due principal, balance after), as Fineract's checkPeriod prints them."""
    dues = model.dues()
    actual = [(p.emi, d.interest, d.principal, d.closing_balance) for p, d in zip(model.periods, dues, strict=True)]
    assert actual == [tuple(D(x) for x in row) for row in expected]


def assert_due_on(model: ProgressiveModel, number: int, on: date, principal: str, interest: str) -> None:
    dues = model.due_on(number, on)
    assert (dues.principal, dues.interest) == (D(principal), D(interest))


def preview_schedule(principal: str, repayments: list[tuple[str, str]], **changes: Any) -> dict[str, Any]:
    body = {**BODY, "principal": principal, **changes,
            "transactions": [{"type": "repayment", "date": on, "amount": amount} for on, amount in repayments]}
    return schedule_to_dict(preview(parse_schedule_request(body)))


def preview_rows(principal: str, repayments: list[tuple[str, str]]) -> list[tuple[Decimal, Decimal, Decimal]]:
    schedule = preview_schedule(principal, repayments)
    return [(D(r["principal"]), D(r["interest"]), D(r["outstanding"])) for r in schedule["periods"]]


# ---------------------------------------------------------------------------------------------------------------
# The schedule as disbursed (the starting point of every case)
# ---------------------------------------------------------------------------------------------------------------

# Fineract test_balance_correction_on0215_disbursedAmt100_dayInYears360_daysInMonth30_repayEvery1Month, before any
# payment: EMI 17.01, the last period 17.00 (its due amounts 16.52 / 0.49 for period 2 on its due date).
DISBURSED = [
    ("17.01", "0.58", "16.43", "83.57"),
    ("17.01", "0.49", "16.52", "67.05"),
    ("17.01", "0.39", "16.62", "50.43"),
    ("17.01", "0.29", "16.72", "33.71"),
    ("17.01", "0.20", "16.81", "16.90"),
    ("17.00", "0.10", "16.90", "0.00"),
]


def test_disbursed_model_is_the_plain_progressive_schedule() -> None:
    model = model_for()
    assert_periods(model, DISBURSED)
    # Fineract: getDueAmounts(1st period, on 2024-01-01) = 17.01 principal, 0.0 interest (nothing accrued yet).
    assert_due_on(model, 1, date(2024, 1, 1), "17.01", "0.00")
    # getDueAmounts(2nd period, on its due date 2024-03-01) = 16.52 principal, 0.49 interest.
    assert_due_on(model, 2, date(2024, 3, 1), "16.52", "0.49")


# ---------------------------------------------------------------------------------------------------------------
# Fineract test_balance_correction_on0215_disbursedAmt100_dayInYears360_daysInMonth30_repayEvery1Month
# ---------------------------------------------------------------------------------------------------------------


def test_balance_correction_on0215() -> None:
    model = model_for()
    # The 2nd period is paid in full on 2024-02-15, before its due date: it owes interest till then only.
    assert_due_on(model, 2, date(2024, 2, 15), "16.77", "0.24")
    model.pay_principal(2, date(2024, 2, 15), D("16.77"))
    model.pay_interest(2, date(2024, 2, 15), D("0.24"))
    # Period 2 earned 83.57 x 0.002816091954 + 66.80 x 0.003017241379 = 0.44 but keeps the 0.24 paid; the 0.20 it
    # could not take moves to period 3: 66.80 x 0.0058333 = 0.39 + 0.20 = 0.59. The last period absorbs: 16.95.
    assert_periods(model, [
        ("17.01", "0.58", "16.43", "83.57"),
        ("17.01", "0.24", "16.77", "66.80"),
        ("17.01", "0.59", "16.42", "50.38"),
        ("17.01", "0.29", "16.72", "33.66"),
        ("17.01", "0.20", "16.81", "16.85"),
        ("16.95", "0.10", "16.85", "0.00"),
    ])
    # Then the 3rd period is paid on 2024-03-01 (its start): 16.42 principal and 0.49 interest.
    assert_due_on(model, 3, date(2024, 3, 1), "16.81", "0.20")
    model.pay_principal(3, date(2024, 3, 1), D("16.42"))
    model.pay_interest(3, date(2024, 3, 1), D("0.49"))
    # Fineract prints 50.38 as the 2nd period's balance: 16.42 left the balance on 2024-03-01, its due date.
    assert_periods(model, [
        ("17.01", "0.58", "16.43", "83.57"),
        ("17.01", "0.24", "16.77", "50.38"),
        ("17.01", "0.49", "16.52", "50.28"),
        ("17.01", "0.29", "16.72", "33.56"),
        ("17.01", "0.20", "16.81", "16.75"),
        ("16.85", "0.10", "16.75", "0.00"),
    ])
    # The last period on its due date and after it: 16.75 principal, 0.10 interest.
    assert_due_on(model, 6, date(2024, 7, 1), "16.75", "0.10")
    assert_due_on(model, 6, date(2024, 7, 15), "16.75", "0.10")


# ---------------------------------------------------------------------------------------------------------------
# Fineract test_payoff_on0115_disbursedAmt100_dayInYears360_daysInMonth30_repayEvery1Month
# ---------------------------------------------------------------------------------------------------------------


def test_payoff_on0115_model() -> None:
    model = model_for()
    assert_due_on(model, 1, date(2024, 2, 1), "16.43", "0.58")
    # Paid off on 2024-01-15: 14 days of interest on 100 (100 x 0.07 / 12 x 14/31 = 0.26).
    assert_due_on(model, 1, date(2024, 1, 15), "16.75", "0.26")
    model.pay_principal(1, date(2024, 1, 15), D("16.75"))
    model.pay_interest(1, date(2024, 1, 15), D("0.26"))
    for number in (2, 3, 4, 5):
        model.pay_principal(number, date(2024, 1, 15), D("17.01"))
    # 15.21 is left from 2024-01-15; its interest (0.05 in period 1, then 0.09 a month) is carried from each fully
    # paid period to the next and lands on the last one: 0.50.
    assert_due_on(model, 6, date(2024, 7, 1), "15.21", "0.50")
    assert_periods(model, [
        ("17.01", "0.26", "16.75", "15.21"),
        ("17.01", "0.00", "17.01", "15.21"),
        ("17.01", "0.00", "17.01", "15.21"),
        ("17.01", "0.00", "17.01", "15.21"),
        ("17.01", "0.00", "17.01", "15.21"),
        ("15.71", "0.50", "15.21", "0.00"),
    ])
    model.pay_principal(6, date(2024, 1, 15), D("15.21"))
    assert_periods(model, [
        ("17.01", "0.26", "16.75", "0.00"),
        ("17.01", "0.00", "17.01", "0.00"),
        ("17.01", "0.00", "17.01", "0.00"),
        ("17.01", "0.00", "17.01", "0.00"),
        ("17.01", "0.00", "17.01", "0.00"),
        ("15.21", "0.00", "15.21", "0.00"),
    ])


def test_payoff_on0115_preview() -> None:
    # The same money as one repayment on 2024-01-15: 17.01 + 4 x 17.01 + 15.21 = 100.26 closes the loan with
    # 0.26 of interest, split over the installments as Fineract's test paid them.
    rows = preview_rows("100", [("2024-01-15", "100.26")])
    assert rows == [
        (D("16.75"), D("0.26"), D("0")),
        (D("17.01"), D("0.00"), D("0")),
        (D("17.01"), D("0.00"), D("0")),
        (D("17.01"), D("0.00"), D("0")),
        (D("17.01"), D("0.00"), D("0")),
        (D("15.21"), D("0.00"), D("0")),
    ]


# ---------------------------------------------------------------------------------------------------------------
# Fineract test_payoff_on0215_disbursedAmt100_dayInYears360_daysInMonth30_repayEvery1Month
# ---------------------------------------------------------------------------------------------------------------

PAYOFF_ON_0215 = [
    ("17.01", "0.58", "16.43", "83.57"),
    ("17.01", "0.24", "16.77", "0.00"),
    ("17.01", "0.00", "17.01", "0.00"),
    ("17.01", "0.00", "17.01", "0.00"),
    ("17.01", "0.00", "17.01", "0.00"),
    ("15.77", "0.00", "15.77", "0.00"),
]


def test_payoff_on0215_model() -> None:
    model = model_for()
    assert_due_on(model, 2, date(2024, 2, 15), "16.77", "0.24")
    # Paying the overdue 1st period late does not change the 2nd period's forecast: its principal leaves the
    # balance at the due date, where the schedule had taken it off already.
    model.pay_principal(1, date(2024, 2, 15), D("15.00"))
    assert_due_on(model, 2, date(2024, 3, 1), "16.52", "0.49")
    model.pay_principal(1, date(2024, 2, 15), D("1.43"))
    model.pay_interest(1, date(2024, 2, 15), D("0.58"))
    model.pay_principal(2, date(2024, 2, 15), D("16.77"))
    model.pay_interest(2, date(2024, 2, 15), D("0.24"))
    for number in (3, 4, 5):
        model.pay_principal(number, date(2024, 2, 15), D("17.01"))
    model.pay_principal(6, date(2024, 2, 15), D("15.77"))
    # Fineract checks the 1st period's balance as 83.57 (its own closing) and every later one as 0.
    assert_periods(model, PAYOFF_ON_0215)


# The calculator test above pays the overdue 1st period without first letting its principal earn interest past
# its due date; a real Fineract loan does (next cases), so its preview is not this test's table.


# ---------------------------------------------------------------------------------------------------------------
# Fineract test_multidisbursement_total_repay1st_dayInYears360_daysInMonth30_repayEvery1Month (its first disbursement)
# ---------------------------------------------------------------------------------------------------------------


def test_total_repayment_on_the_disbursement_day() -> None:
    # 300 over six months at 7%: total interest 6.15 (assertEquals(6.15, getTotalDueInterest())).
    plain = preview_rows("300", [])
    assert sum(i for _, i, _ in plain) == D("6.15")
    # Paid back on the first day (payPrincipal 51.03 x 5 + 44.85, all on 2024-01-01): no interest is due at all.
    rows = preview_rows("300", [("2024-01-01", "300")])
    assert [(p, i) for p, i, _ in rows] == [(D("51.03"), D("0"))] * 5 + [(D("44.85"), D("0"))]


@pytest.mark.parametrize("day", ["2024-02-01", "2024-03-01"])
def test_repayments_on_their_due_dates_keep_the_disbursement_schedule(day: str) -> None:
    # Fineract test_disbursedAmt100_dayInYears360_daysInMonth30_repayEvery1Month style: with every EMI paid on its
    # due date, nothing moves (periods keep 0.58, 0.49, ...).
    repayments = [(d, "17.01") for d in ("2024-02-01", "2024-03-01") if d <= day]
    rows = preview_rows("100", repayments)
    assert [(p, i) for p, i, _ in rows] == [(D(r[2]), D(r[1])) for r in DISBURSED]


# ---------------------------------------------------------------------------------------------------------------
# Overdue principal: Fineract's e2e scenarios on the same loan (fineract-e2e-tests-runner, EMICalculation-Part2.feature,
# "Verify interest recalculation in case of overdue installments"), read through the preview with `as_of` as the
# business date. Rows: (principal due, interest, balance of loan, paid, outstanding).
# ---------------------------------------------------------------------------------------------------------------


def overdue_rows(recalculation: dict[str, str], repayments: list[tuple[str, str]],
                 as_of: str) -> list[tuple[str, str, str, str, str]]:
    schedule = preview_schedule("100", repayments, as_of=as_of, interest_recalculation=recalculation)
    return [(r["principal"], r["interest"], r["outstanding_after"], r["paid"], r["outstanding"])
            for r in schedule["periods"]]


DAILY_TILL_PRECLOSE = {"compounding": "none", "rest_frequency": "daily", "pre_close": "till_pre_close_date"}
SARP_TILL_REST_DATE = {"compounding": "none", "rest_frequency": "same_as_repayment",
                       "pre_close": "till_rest_frequency_date"}


@pytest.mark.parametrize("recalculation", [
    DAILY_TILL_PRECLOSE,  # C3238 UC13 (daily, till preclose)
    {**DAILY_TILL_PRECLOSE, "pre_close": "till_rest_frequency_date"},  # C3239 UC14 (daily, till rest frequency date)
])
def test_uc13_uc14_partial_late_repayment_of_the_2nd_installment(recalculation: dict[str, str]) -> None:
    paid = [("2024-02-01", "17.01"), ("2024-03-05", "10")]
    # On 2024-03-05: the 16.52 overdue since 2024-03-01 earned 4 days in period 3:
    # 67.05 x 7%/12 = 0.3911 + 16.52 x 7%/12 x 4/31 = 0.0124 -> 0.40 (0.39 on schedule).
    assert overdue_rows(recalculation, paid, "2024-03-05") == [
        ("16.43", "0.58", "83.57", "17.01", "0.00"),
        ("16.52", "0.49", "67.05", "10.00", "7.01"),
        ("16.61", "0.40", "50.44", "0.00", "17.01"),
        ("16.72", "0.29", "33.72", "0.00", "17.01"),
        ("16.81", "0.20", "16.91", "0.00", "17.01"),
        ("16.91", "0.10", "0.00", "0.00", "17.01"),
    ]
    # Business date 2024-03-10: the 7.01 still overdue earned 5 more days -> period 3 interest 0.41.
    assert overdue_rows(recalculation, paid, "2024-03-10") == [
        ("16.43", "0.58", "83.57", "17.01", "0.00"),
        ("16.52", "0.49", "67.05", "10.00", "7.01"),
        ("16.60", "0.41", "50.45", "0.00", "17.01"),
        ("16.72", "0.29", "33.73", "0.00", "17.01"),
        ("16.81", "0.20", "16.92", "0.00", "17.01"),
        ("16.92", "0.10", "0.00", "0.00", "17.02"),
    ]


def test_uc12_overdue_till_the_rest_frequency_date() -> None:
    # C3237 UC12 (rest same as repayment, till rest frequency date): on 2024-03-10 the unpaid 2nd installment's
    # 16.52 earns interest until the current period's due date 2024-04-01, a whole month: 0.39 + 0.10 = 0.49.
    assert overdue_rows(SARP_TILL_REST_DATE, [("2024-02-01", "17.01")], "2024-03-10") == [
        ("16.43", "0.58", "83.57", "17.01", "0.00"),
        ("16.52", "0.49", "67.05", "0.00", "17.01"),
        ("16.52", "0.49", "50.53", "0.00", "17.01"),
        ("16.72", "0.29", "33.81", "0.00", "17.01"),
        ("16.81", "0.20", "17.00", "0.00", "17.01"),
        ("17.00", "0.10", "0.00", "0.00", "17.10"),
    ]


@pytest.mark.parametrize("as_of", ["2024-03-05", "2024-03-10"])
def test_uc16_partial_late_repayment_counts_from_the_next_rest_date(as_of: str) -> None:
    # C3241 UC16 (rest same as repayment, till rest frequency date): the 10 paid on 2024-03-05 lowers the overdue
    # balance only from the next rest date, 2024-04-01, so period 3 carries the whole 16.52 for a month (0.49), on
    # 2024-03-05 as on 2024-03-10.
    assert overdue_rows(SARP_TILL_REST_DATE, [("2024-02-01", "17.01"), ("2024-03-05", "10")], as_of) == [
        ("16.43", "0.58", "83.57", "17.01", "0.00"),
        ("16.52", "0.49", "67.05", "10.00", "7.01"),
        ("16.52", "0.49", "50.53", "0.00", "17.01"),
        ("16.72", "0.29", "33.81", "0.00", "17.01"),
        ("16.81", "0.20", "17.00", "0.00", "17.01"),
        ("17.00", "0.10", "0.00", "0.00", "17.10"),
    ]
