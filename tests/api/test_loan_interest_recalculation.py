"""Interest recalculation on real loans: after each payment or reversal the stored installments equal what the
schedule preview answers for the same loan, payments and business date, and the books hold what was paid.

The product: 1,000.00 USD at 12% a year, 3 monthly installments from 2024-01-01, interest per day on actual days
over 365, recalculated daily (no compounding), principal paid ahead reducing the EMI; cash accounting.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from conftest import Api
from loan_factories import (
    active_loan,
    balances,
    make_client,
    make_office,
    make_product,
    ok,
    repay,
    set_business_date,
)

from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

RECALCULATION = {"compounding": "none", "rest_frequency": "daily", "reschedule_strategy": "reduce_emi_amount"}
TERMS: dict[str, Any] = {
    "number_of_repayments": 3, "interest_calculation_period": "daily", "days_in_year": "365",
    "days_in_month": "actual", "interest_recalculation": RECALCULATION,
}
PERIOD_FIELDS = ("n", "from_date", "due_date", "principal", "interest", "total_due", "outstanding_after", "paid",
                 "in_advance", "late", "outstanding", "paid_date")
PORTFOLIO, CASH, INTEREST_INCOME = "1210", "1110", "4100"


def _loan(api: Api, runtime: Runtime, tenant: TenantInfo, **terms: Any) -> int:
    set_business_date(runtime, tenant, date(2024, 1, 1))
    product = make_product(api, **{**TERMS, **terms})
    return int(active_loan(api, make_client(api, make_office(api)), product["id"])["id"])


def _twin(api: Api, runtime: Runtime, tenant: TenantInfo, loan_id: int) -> int:
    """A second loan of the same client and product, disbursed the same day."""
    loan = ok(api.get(f"/api/v1/loans/{loan_id}"))
    set_business_date(runtime, tenant, date(2024, 1, 1))
    return int(active_loan(api, loan["client_id"], loan["product_id"])["id"])


def _pay(api: Api, runtime: Runtime, tenant: TenantInfo, loan_id: int, amount: str, on: str) -> dict[str, Any]:
    set_business_date(runtime, tenant, date.fromisoformat(on))
    return repay(api, loan_id, amount, on)


def _preview(api: Api, payments: list[tuple[str, str]], as_of: str, **terms: Any) -> dict[str, Any]:
    body = {"principal": "1000.00", "currency": "USD", "digits": 2, "annual_interest_rate": "12",
            "interest_type": "declining_balance", "amortization": "equal_installments",
            "repayment_every": 1, "repayment_frequency": "months", "expected_disbursement_date": "2024-01-01",
            **TERMS, **terms, "as_of": as_of,
            "transactions": [{"type": "repayment", "date": on, "amount": amount} for amount, on in payments]}
    return ok(api.post("/api/v1/loans/schedule-preview", body))


def _periods(schedule: dict[str, Any]) -> list[dict[str, Any]]:
    return [{name: period[name] for name in PERIOD_FIELDS} for period in schedule["periods"]]


def _assert_as_previewed(api: Api, loan_id: int, payments: list[tuple[str, str]], as_of: str,
                         **terms: Any) -> dict[str, Any]:
    view = ok(api.get(f"/api/v1/loans/{loan_id}"))
    preview = _preview(api, payments, as_of, **terms)
    assert _periods(view["schedule"]) == _periods(preview)
    assert view["schedule"]["total_interest"] == preview["total_interest"]
    return view


def _paid(view: dict[str, Any], component: str) -> Decimal:
    return sum((Decimal(t[component]) for t in view["transactions"]
                if t["type"] == "repayment" and not t["reversed"]), Decimal(0))


def _assert_books_hold_what_was_paid(api: Api, view: dict[str, Any]) -> None:
    """Cash accounting: the portfolio is the principal left, interest income the interest paid, cash the net."""
    gl = balances(api)
    paid_principal, paid_interest = _paid(view, "principal"), _paid(view, "interest")
    paid = sum((Decimal(t["amount"]) for t in view["transactions"]
                if t["type"] == "repayment" and not t["reversed"]), Decimal(0))
    assert gl[PORTFOLIO] == Decimal("1000.00") - paid_principal
    assert gl.get(INTEREST_INCOME, Decimal(0)) == -paid_interest
    assert gl[CASH] == Decimal("-1000.00") + paid
    assert Decimal(view["summary"]["principal_outstanding"]) == Decimal("1000.00") - paid_principal


def test_an_early_partial_payment_recalculates_the_interest_by_hand(api: Api, runtime: Runtime,
                                                                    tenant: TenantInfo) -> None:
    loan_id = _loan(api, runtime, tenant)
    before = ok(api.get(f"/api/v1/loans/{loan_id}"))["schedule"]["periods"]
    # At disbursement: with interest per day the EMI uses a standard 30-day month, r = 12% x 30/365 =
    # 0.986301369864%: 1000 x r / (1 - (1 + r)^-3) = 339.93. January (31 days): 1000 x 12% x 31/365 = 10.19.
    assert (before[0]["principal"], before[0]["interest"]) == ("329.74", "10.19")

    _pay(api, runtime, tenant, loan_id, "200.00", "2024-01-16")
    view = _assert_as_previewed(api, loan_id, [("200.00", "2024-01-16")], "2024-01-16")
    first, second = view["schedule"]["periods"][:2]
    # January's interest in two stretches: 1000 x 12% x 15/365 = 4.93 (to the 16th), then the 200 paid ahead
    # leaves 800: 800 x 12% x 16/365 = 4.21; 4.93 + 4.21 = 9.14. Principal 339.93 - 9.14 = 330.79 (the EMI holds:
    # 200 < 330.79 pays nothing beyond the installment), leaving 1000 - 330.79 = 669.21.
    assert (first["interest"], first["principal"], first["outstanding_after"]) == ("9.14", "330.79", "669.21")
    # The 200 paid the installment's interest first: 9.14 + 190.86, all in advance; 339.93 - 200 = 139.93 is left.
    assert (first["paid"], first["in_advance"], first["outstanding"]) == ("200.00", "200.00", "139.93")
    # February (29 days) on the scheduled 669.21: 669.21 x 12% x 29/365 = 6.38 (not 6.39 as at disbursement).
    assert second["interest"] == "6.38"
    txn = view["transactions"][-1]
    assert (txn["principal"], txn["interest"]) == ("190.86", "9.14")
    _assert_books_hold_what_was_paid(api, view)


def test_a_late_payment_counts_interest_on_the_overdue_principal(api: Api, runtime: Runtime,
                                                                 tenant: TenantInfo) -> None:
    loan_id = _loan(api, runtime, tenant)
    _pay(api, runtime, tenant, loan_id, "339.93", "2024-02-11")  # installment 1 due 2024-02-01, paid 10 days late
    view = _assert_as_previewed(api, loan_id, [("339.93", "2024-02-11")], "2024-02-11")
    first = view["schedule"]["periods"][0]
    assert (first["late"], first["outstanding"]) == ("339.93", "0.00")
    on_time = _preview(api, [("339.93", "2024-02-01")], "2024-02-01")
    # Unpaid principal earns February interest until the payment: the late loan owes more interest.
    assert Decimal(view["schedule"]["total_interest"]) > Decimal(on_time["total_interest"])
    _assert_books_hold_what_was_paid(api, view)


def test_an_excess_payment_reduces_the_next_installments(api: Api, runtime: Runtime, tenant: TenantInfo) -> None:
    loan_id = _loan(api, runtime, tenant)
    _pay(api, runtime, tenant, loan_id, "339.93", "2024-02-01")
    _pay(api, runtime, tenant, loan_id, "500.00", "2024-02-15")
    payments = [("339.93", "2024-02-01"), ("500.00", "2024-02-15")]
    view = _assert_as_previewed(api, loan_id, payments, "2024-02-15")
    periods = view["schedule"]["periods"]
    assert Decimal(periods[2]["total_due"]) < Decimal("339.93")  # the EMI was reduced for what is left
    assert Decimal(view["schedule"]["total_interest"]) < Decimal(_preview(api, [], "2024-01-01")["total_interest"])
    _assert_books_hold_what_was_paid(api, view)

    # The payoff quote of the day closes the loan; income is then every cent of interest it charged.
    quote = ok(api.get(f"/api/v1/loans/{loan_id}/payoff", date="2024-02-20"))
    set_business_date(runtime, tenant, date(2024, 2, 20))
    ok(api.post(f"/api/v1/loans/{loan_id}/prepay", {"transaction_date": "2024-02-20", "amount": quote["total"]}), 201)
    closed = ok(api.get(f"/api/v1/loans/{loan_id}"))
    assert (closed["status"], closed["summary"]["total_outstanding"]) == ("closed", "0.00")
    gl = balances(api)
    paid_interest = sum((Decimal(t["interest"]) for t in closed["transactions"] if not t["reversed"]
                         and t["type"] in ("repayment", "prepayment")), Decimal(0))
    assert gl.get(INTEREST_INCOME) == -paid_interest
    assert gl.get(PORTFOLIO, Decimal(0)) == Decimal("0.00")
    assert gl[CASH] == Decimal("-1000.00") + Decimal("339.93") + Decimal("500.00") + Decimal(quote["total"])


def test_reversing_a_middle_repayment_is_as_if_it_never_happened(api: Api, runtime: Runtime,
                                                                 tenant: TenantInfo) -> None:
    loan_id = _loan(api, runtime, tenant)
    _pay(api, runtime, tenant, loan_id, "100.00", "2024-01-20")
    middle = _pay(api, runtime, tenant, loan_id, "300.00", "2024-02-10")
    _pay(api, runtime, tenant, loan_id, "339.93", "2024-03-01")
    ok(api.post(f"/api/v1/loans/{loan_id}/transactions/{middle['id']}/undo"))
    kept = [("100.00", "2024-01-20"), ("339.93", "2024-03-01")]
    view = _assert_as_previewed(api, loan_id, kept, "2024-03-01")
    _assert_books_hold_what_was_paid(api, view)

    twin = _twin(api, runtime, tenant, loan_id)  # the same loan that never got the middle payment
    _pay(api, runtime, tenant, twin, "100.00", "2024-01-20")
    _pay(api, runtime, tenant, twin, "339.93", "2024-03-01")
    assert _periods(ok(api.get(f"/api/v1/loans/{twin}"))["schedule"]) == _periods(view["schedule"])


def test_a_back_dated_payment_recalculates_from_its_date(api: Api, runtime: Runtime, tenant: TenantInfo) -> None:
    loan_id = _loan(api, runtime, tenant)
    _pay(api, runtime, tenant, loan_id, "339.93", "2024-02-01")
    set_business_date(runtime, tenant, date(2024, 2, 20))
    repay(api, loan_id, "150.00", "2024-01-10")  # dated before the first payment: every payment replayed
    payments = [("150.00", "2024-01-10"), ("339.93", "2024-02-01")]
    view = _assert_as_previewed(api, loan_id, payments, "2024-02-20")
    _assert_books_hold_what_was_paid(api, view)


def test_reduce_number_of_installments(api: Api, runtime: Runtime, tenant: TenantInfo) -> None:
    strategy = {**RECALCULATION, "reschedule_strategy": "reduce_number_of_installments"}
    loan_id = _loan(api, runtime, tenant, interest_recalculation=strategy, number_of_repayments=6)
    _pay(api, runtime, tenant, loan_id, "600.00", "2024-01-31")
    view = _assert_as_previewed(api, loan_id, [("600.00", "2024-01-31")], "2024-01-31",
                                interest_recalculation=strategy, number_of_repayments=6)
    assert len(view["schedule"]["periods"]) < 6  # the loan ends sooner
    _assert_books_hold_what_was_paid(api, view)


VARIANTS = [
    {**RECALCULATION, "reschedule_strategy": "reschedule_next_repayments"},
    {**RECALCULATION, "compounding": "interest"},
    {**RECALCULATION, "rest_frequency": "same_as_repayment"},
]


@pytest.mark.parametrize("recalculation", VARIANTS, ids=["next-repayments", "compounding", "monthly-rest"])
def test_every_variant_stores_what_the_preview_answers(api: Api, runtime: Runtime, tenant: TenantInfo,
                                                       recalculation: dict[str, str]) -> None:
    """Late, partial, early and excess payments one after the other: after each, the loan equals the preview."""
    terms = {"interest_recalculation": recalculation, "number_of_repayments": 6}
    loan_id = _loan(api, runtime, tenant, **terms)
    payments: list[tuple[str, str]] = []
    for amount, on in (("100.00", "2024-02-10"), ("250.00", "2024-03-01"), ("400.00", "2024-03-20"),
                       ("90.00", "2024-05-05")):
        _pay(api, runtime, tenant, loan_id, amount, on)
        payments.append((amount, on))
        view = _assert_as_previewed(api, loan_id, payments, on, **terms)
    _assert_books_hold_what_was_paid(api, view)


def test_a_penalty_and_an_interest_waiver_ride_on_the_recalculated_installments(api: Api, runtime: Runtime,
                                                                             tenant: TenantInfo) -> None:
    loan_id = _loan(api, runtime, tenant)
    set_business_date(runtime, tenant, date(2024, 2, 5))
    ok(api.post(f"/api/v1/loans/{loan_id}/charges", {"name": "Late", "amount": "5.00", "due_date": "2024-02-05",
                                                     "penalty": True}), 201)
    ok(api.post(f"/api/v1/loans/{loan_id}/waive-interest", {"transaction_date": "2024-02-05", "amount": "2.00"}),
       201)
    _pay(api, runtime, tenant, loan_id, "345.00", "2024-02-06")
    view = ok(api.get(f"/api/v1/loans/{loan_id}"))
    first, second = view["schedule"]["periods"][:2]
    # The waiver forgave 2.00 of January's 10.19; the penalty charged on 2024-02-05 sits on installment 2 (the
    # period holding that day). 345.00 = 8.19 interest + 329.74 principal (installment 1), then 5.00 penalty and
    # 2.07 ahead on installment 2.
    assert (first["interest_waived"], first["outstanding"], second["penalties"]) == ("2.00", "0.00", "5.00")
    txn = view["transactions"][-1]
    assert (txn["penalties"], Decimal(txn["interest"]) + Decimal(txn["principal"])) == ("5.00", Decimal("340.00"))
    gl = balances(api)
    assert gl["4300"] == Decimal("-5.00")  # cash accounting: the penalty is income when paid
    assert gl.get(INTEREST_INCOME) == -Decimal(txn["interest"])
    assert gl[PORTFOLIO] == Decimal("1000.00") - Decimal(txn["principal"])
