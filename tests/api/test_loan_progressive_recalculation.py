"""Real progressive loans with interest recalculation: after each payment the installments are what Fineract's
ProgressiveEMICalculator gives, equal to the schedule preview for the same payments, and the books hold what was
paid.

The product is the fixture of Fineract's ProgressiveEMICalculatorTest: 100.00 USD disbursed 2024-01-01, 6 monthly
installments, 7% a year, interest per day on 360 days and 30-day months; cash accounting. At disbursement the EMI
is 17.01 (the last 17.00), interest 0.58, 0.49, 0.39, 0.29, 0.20, 0.10.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from conftest import Api
from loan_factories import active_loan, balances, make_client, make_office, make_product, ok, repay, set_business_date

from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

TERMS: dict[str, Any] = {
    "principal": "100.00", "min_principal": "10.00", "annual_interest_rate": "7", "number_of_repayments": 6,
    "schedule_type": "progressive", "interest_calculation_period": "daily", "days_in_year": "360",
    "days_in_month": "30", "interest_recalculation": {"compounding": "none", "rest_frequency": "daily"},
    "transaction_processing_strategy": "ADVANCED_PAYMENT_ALLOCATION",
}
PORTFOLIO, CASH, INTEREST_INCOME = "1210", "1110", "4100"


def _loan(api: Api, runtime: Runtime, tenant: TenantInfo) -> int:
    set_business_date(runtime, tenant, date(2024, 1, 1))
    product = make_product(api, **TERMS)
    return int(active_loan(api, make_client(api, make_office(api)), product["id"], principal="100.00")["id"])


def _pay(api: Api, runtime: Runtime, tenant: TenantInfo, loan_id: int, amount: str, on: str) -> dict[str, Any]:
    set_business_date(runtime, tenant, date.fromisoformat(on))
    return repay(api, loan_id, amount, on)


def _due(view: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(p["principal"], p["interest"], p["outstanding_after"]) for p in view["schedule"]["periods"]]


def _preview(api: Api, payments: list[tuple[str, str]], as_of: str) -> dict[str, Any]:
    body = {key: value for key, value in TERMS.items() if not key.startswith("min_")}
    body |= {"currency": "USD", "digits": 2, "repayment_every": 1, "repayment_frequency": "months",
             "expected_disbursement_date": "2024-01-01", "as_of": as_of,
             "transactions": [{"type": "repayment", "date": on, "amount": amount} for amount, on in payments]}
    return ok(api.post("/api/v1/loans/schedule-preview", body))


def _assert_books(api: Api, principal_paid: str, interest_paid: str) -> None:
    """Cash accounting: the portfolio is the principal left, interest income the interest paid, cash the net."""
    gl = balances(api)
    assert gl.get(PORTFOLIO, Decimal(0)) == Decimal("100.00") - Decimal(principal_paid)
    assert gl.get(INTEREST_INCOME, Decimal(0)) == -Decimal(interest_paid)
    assert gl[CASH] == Decimal("-100.00") + Decimal(principal_paid) + Decimal(interest_paid)


def test_an_installment_paid_early_keeps_its_interest_to_date_and_the_rest_moves_on(
        api: Api, runtime: Runtime, tenant: TenantInfo) -> None:
    loan_id = _loan(api, runtime, tenant)
    _pay(api, runtime, tenant, loan_id, "17.01", "2024-02-01")  # installment 1 on its due date: 16.43 + 0.58
    _pay(api, runtime, tenant, loan_id, "17.01", "2024-02-15")  # installment 2, due 2024-03-01, paid 15 days early
    view = ok(api.get(f"/api/v1/loans/{loan_id}"))
    # As Fineract's test_balance_correction_on0215: installment 2 owes interest to 2024-02-15 only,
    # 83.57 x 7%/12 x 14/29 = 0.24, so 16.77 of the 17.01 is principal. The 0.20 it earned on 66.80 after the
    # payment goes to installment 3: 66.80 x 7%/12 = 0.39 + 0.20 = 0.59. The last installment absorbs the saving.
    assert _due(view) == [
        ("16.43", "0.58", "83.57"), ("16.77", "0.24", "66.80"), ("16.42", "0.59", "50.38"),
        ("16.72", "0.29", "33.66"), ("16.81", "0.20", "16.85"), ("16.85", "0.10", "0.00"),
    ]
    payment = view["transactions"][-1]
    assert (payment["principal"], payment["interest"]) == ("16.77", "0.24")
    preview = _preview(api, [("17.01", "2024-02-01"), ("17.01", "2024-02-15")], "2024-02-15")
    assert _due(view) == [(p["principal"], p["interest"], p["outstanding_after"]) for p in preview["periods"]]
    # Paid: principal 16.43 + 16.77 = 33.20, interest 0.58 + 0.24 = 0.82.
    _assert_books(api, "33.20", "0.82")
    assert view["summary"]["principal_outstanding"] == "66.80"


def test_a_payoff_two_weeks_in_charges_two_weeks_of_interest(api: Api, runtime: Runtime, tenant: TenantInfo) -> None:
    loan_id = _loan(api, runtime, tenant)
    set_business_date(runtime, tenant, date(2024, 1, 15))
    quote = ok(api.get(f"/api/v1/loans/{loan_id}/payoff", date="2024-01-15"))
    # As Fineract's test_payoff_on0115: 14 days on 100 = 100 x 7%/12 x 14/31 = 0.26 of interest, nothing more.
    assert (quote["principal"], quote["interest"], quote["total"]) == ("100.00", "0.26", "100.26")
    ok(api.post(f"/api/v1/loans/{loan_id}/prepay", {"transaction_date": "2024-01-15", "amount": quote["total"]}), 201)
    closed = ok(api.get(f"/api/v1/loans/{loan_id}"))
    assert (closed["status"], closed["summary"]["total_outstanding"]) == ("closed", "0.00")
    # Installment 1: 16.75 + 0.26; 2 to 5 their EMI as principal; the last the 15.21 left.
    assert _due(closed) == [
        ("16.75", "0.26", "83.25"), ("17.01", "0.00", "66.24"), ("17.01", "0.00", "49.23"),
        ("17.01", "0.00", "32.22"), ("17.01", "0.00", "15.21"), ("15.21", "0.00", "0.00"),
    ]
    _assert_books(api, "100.00", "0.26")


def test_principal_paid_late_earns_interest_until_it_is_paid(api: Api, runtime: Runtime, tenant: TenantInfo) -> None:
    loan_id = _loan(api, runtime, tenant)
    _pay(api, runtime, tenant, loan_id, "17.01", "2024-02-01")
    _pay(api, runtime, tenant, loan_id, "10.00", "2024-03-05")  # installment 2 (due 2024-03-01) in part, late
    view = ok(api.get(f"/api/v1/loans/{loan_id}"))
    # As Fineract's e2e UC13 (EMICalculation-Part2.feature, C3238): the 16.52 of installment 2 stays in the balance
    # from its due date to the payment, 4 days of installment 3: 67.05 x 7%/12 = 0.3911 + 16.52 x 7%/12 x 4/31 =
    # 0.0124, so 0.40 instead of 0.39; the last installment takes the extra cent: 16.91 + 0.10.
    assert _due(view) == [
        ("16.43", "0.58", "83.57"), ("16.52", "0.49", "67.05"), ("16.61", "0.40", "50.44"),
        ("16.72", "0.29", "33.72"), ("16.81", "0.20", "16.91"), ("16.91", "0.10", "0.00"),
    ]
    second = view["schedule"]["periods"][1]
    assert (second["paid"], second["late"], second["outstanding"]) == ("10.00", "10.00", "7.01")
    preview = _preview(api, [("17.01", "2024-02-01"), ("10.00", "2024-03-05")], "2024-03-05")
    assert _due(view) == [(p["principal"], p["interest"], p["outstanding_after"]) for p in preview["periods"]]
    # Advanced payment allocation pays a past-due installment's principal before its interest (Fineract's default
    # rule order: UC13 books this payment as 10.00 principal).
    payment = view["transactions"][-1]
    assert (payment["principal"], payment["interest"]) == ("10.00", "0.00")
    _assert_books(api, "26.43", "0.58")  # principal 16.43 + 10.00, interest 0.58 + 0
