"""Reschedule of a progressive loan that recalculates its interest, through HTTP: the rescheduled installments are
Fineract's, every later rebuild keeps them, an undo brings the loan as disbursed back, and the books hold what was
paid (cash) or earned (accrual).

The product is the fixture of Fineract's ProgressiveEMICalculatorTest and LoanInterestRateChange feature: 100.00
USD disbursed 2024-01-01, 6 monthly installments, 7% a year, interest per day on 360 days and 30-day months,
recalculated daily. At disbursement the EMI is 17.01 (the last 17.00); installment 1 is 16.43 + 0.58
(100 x 7%/12 = 0.5833), leaving 83.57.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from conftest import Api
from loan_factories import active_loan, balances, make_client, make_office, make_product, ok, repay, set_business_date

from akiba.cob.service import ensure_closed
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

TERMS: dict[str, Any] = {
    "principal": "100.00", "min_principal": "10.00", "annual_interest_rate": "7", "number_of_repayments": 6,
    "schedule_type": "progressive", "interest_calculation_period": "daily", "days_in_year": "360",
    "days_in_month": "30", "interest_recalculation": {"compounding": "none", "rest_frequency": "daily"},
    "transaction_processing_strategy": "ADVANCED_PAYMENT_ALLOCATION",
}
PORTFOLIO, CASH, RECEIVABLE, INTEREST_INCOME = "1210", "1110", "1220", "4100"
ZERO = Decimal(0)
FIELDS = ("from_date", "due_date", "principal", "interest", "total_due", "outstanding_after", "paid", "in_advance",
          "late", "outstanding")


def _loan(api: Api, runtime: Runtime, tenant: TenantInfo, **product: Any) -> int:
    set_business_date(runtime, tenant, date(2024, 1, 1))
    made = make_product(api, **{**TERMS, **product})
    return int(active_loan(api, make_client(api, make_office(api)), made["id"], principal="100.00")["id"])


def _on(runtime: Runtime, tenant: TenantInfo, day: str) -> None:
    set_business_date(runtime, tenant, date.fromisoformat(day))


def _view(api: Api, loan_id: int) -> dict[str, Any]:
    return ok(api.get(f"/api/v1/loans/{loan_id}"))


def _reschedule(api: Api, loan_id: int, **body: Any) -> dict[str, Any]:
    return ok(api.post(f"/api/v1/loans/{loan_id}/reschedule", body))


def _periods(periods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{name: p[name] for name in FIELDS} for p in periods]


def _amounts(view: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(p["principal"], p["interest"], p["outstanding_after"], p["paid"]) for p in view["schedule"]["periods"]]


def _preview(api: Api, payments: list[tuple[str, str]], as_of: str, **terms: Any) -> list[dict[str, Any]]:
    """The schedule preview of a loan with `terms` from the start (by default the loan as disbursed)."""
    body = {key: value for key, value in TERMS.items() if not key.startswith("min_")}
    body |= {"currency": "USD", "digits": 2, "repayment_every": 1, "repayment_frequency": "months",
             "expected_disbursement_date": "2024-01-01", **terms, "as_of": as_of,
             "transactions": [{"type": "repayment", "date": on, "amount": amount} for amount, on in payments]}
    return _periods(ok(api.post("/api/v1/loans/schedule-preview", body))["periods"])


def _cash_books_hold_what_was_paid(api: Api, view: dict[str, Any]) -> None:
    """Cash accounting: the portfolio is the principal left, interest income the interest paid, cash the net."""
    live = [t for t in view["transactions"] if t["type"] == "repayment" and not t["reversed"]]
    gl = balances(api)
    assert gl[PORTFOLIO] == Decimal("100.00") - sum((Decimal(t["principal"]) for t in live), ZERO)
    assert gl.get(INTEREST_INCOME, ZERO) == -sum((Decimal(t["interest"]) for t in live), ZERO)
    assert gl[CASH] == Decimal("-100.00") + sum((Decimal(t["amount"]) for t in live), ZERO)


def test_a_rate_change_gives_fineracts_installments_and_payments_rebuild_on_them(
        api: Api, runtime: Runtime, tenant: TenantInfo) -> None:
    loan_id = _loan(api, runtime, tenant)
    _on(runtime, tenant, "2024-02-01")
    repay(api, loan_id, "17.01", "2024-02-01")
    _on(runtime, tenant, "2024-02-02")
    books = balances(api)
    view = _reschedule(api, loan_id, from_date="2024-02-02", new_interest_rate="4")
    # Fineract's LoanInterestRateChange.feature, C3217 (rate 4% from 2024-02-02): installment 2 is
    # 83.57 x 4%/12 = 0.2786 -> 0.28 of interest; the EMI of 83.57 over 5 months at r = 4%/12 is
    # 83.57 r / (1 - (1 + r)^-5) = 83.57 x 0.20201 = 16.88, so 16.60 of principal; the last absorbs the rounding.
    assert _amounts(view) == [
        ("16.43", "0.58", "83.57", "17.01"), ("16.60", "0.28", "66.97", "0.00"), ("16.66", "0.22", "50.31", "0.00"),
        ("16.71", "0.17", "33.60", "0.00"), ("16.77", "0.11", "16.83", "0.00"), ("16.83", "0.06", "0.00", "0.00"),
    ]
    assert (view["annual_interest_rate"], view["number_of_repayments"]) == ("4", 6)
    assert balances(api) == books  # cash accounting: a reschedule posts nothing

    # 17.01 on 2024-03-01, as in Fineract's scenario: installment 2's 16.88, and 0.13 ahead onto installment 3,
    # whose interest stays (66.97 - 0.13) x 4%/12 = 0.2228 -> 0.22.
    _on(runtime, tenant, "2024-03-01")
    repay(api, loan_id, "17.01", "2024-03-01")
    view = _view(api, loan_id)
    assert _amounts(view) == [
        ("16.43", "0.58", "83.57", "17.01"), ("16.60", "0.28", "66.97", "16.88"), ("16.66", "0.22", "50.31", "0.13"),
        ("16.71", "0.17", "33.60", "0.00"), ("16.77", "0.11", "16.83", "0.00"), ("16.83", "0.06", "0.00", "0.00"),
    ]
    payment = view["transactions"][-1]
    assert (payment["principal"], payment["interest"]) == ("16.73", "0.28")  # Fineract: 16.73 + 0.28, as here
    # Paid: principal 16.43 + 16.73 = 33.16 (66.84 left), interest 0.58 + 0.28 = 0.86.
    _cash_books_hold_what_was_paid(api, view)
    assert balances(api)[PORTFOLIO] == Decimal("66.84")


def test_extra_terms_then_early_and_late_payments_keep_the_rescheduled_shape(
        api: Api, runtime: Runtime, tenant: TenantInfo) -> None:
    loan_id = _loan(api, runtime, tenant)
    _on(runtime, tenant, "2024-02-01")
    repay(api, loan_id, "17.01", "2024-02-01")
    _on(runtime, tenant, "2024-02-05")
    view = _reschedule(api, loan_id, from_date="2024-02-05", extra_terms=2)
    # 83.57 over 7 months at r = 7%/12: (1 + r)^7 = 1.041555, EMI 83.57 r / (1 - 1.041555^-1) = 83.57 x 0.146210
    # = 12.22; installment 2 is 83.57 x 7%/12 = 0.4875 -> 0.49 of interest and 11.73 of principal.
    periods = view["schedule"]["periods"]
    assert len(periods) == 8 and periods[-1]["due_date"] == "2024-09-01"
    assert (periods[1]["principal"], periods[1]["interest"], periods[1]["total_due"]) == ("11.73", "0.49", "12.22")
    assert view["number_of_repayments"] == 8
    kept = _periods(periods)[0]
    # The rest is a loan of 83.57 disbursed on installment 1's due date, 7 installments at 7%.
    rest = {"principal": "83.57", "expected_disbursement_date": "2024-02-01", "number_of_repayments": 7}
    assert _periods(periods)[1:] == _preview(api, [], "2024-02-05", **rest)

    # Early: 20.00 on 2024-02-20, inside installment 2's period (its EMI, the rest ahead).
    payments = [("20.00", "2024-02-20")]
    _on(runtime, tenant, "2024-02-20")
    repay(api, loan_id, "20.00", "2024-02-20")
    view = _view(api, loan_id)
    assert _periods(view["schedule"]["periods"])[0] == kept
    assert _periods(view["schedule"]["periods"])[1:] == _preview(api, payments, "2024-02-20", **rest)
    # Late: installment 3 (due 2024-04-01) owes what the early payment left of it; paid on 2024-04-15.
    owed = view["schedule"]["periods"][2]["outstanding"]
    payments.append((owed, "2024-04-15"))
    _on(runtime, tenant, "2024-04-15")
    repay(api, loan_id, owed, "2024-04-15")
    view = _view(api, loan_id)
    assert _periods(view["schedule"]["periods"])[0] == kept
    assert _periods(view["schedule"]["periods"])[1:] == _preview(api, payments, "2024-04-15", **rest)
    assert len(view["schedule"]["periods"]) <= 8
    assert sum((Decimal(p["principal"]) for p in view["schedule"]["periods"]), ZERO) == Decimal("100.00")
    _cash_books_hold_what_was_paid(api, view)


def test_undo_brings_back_the_loan_as_disbursed_and_later_payments_rebuild_on_it(
        api: Api, runtime: Runtime, tenant: TenantInfo) -> None:
    loan_id = _loan(api, runtime, tenant)
    _on(runtime, tenant, "2024-01-10")
    original = _view(api, loan_id)
    books = balances(api)
    view = _reschedule(api, loan_id, from_date="2024-03-01", new_interest_rate="10", new_first_due_date="2024-03-15",
                       grace_on_principal=1)
    periods = view["schedule"]["periods"]
    assert [p["due_date"] for p in periods[1:3]] == ["2024-03-15", "2024-04-15"]
    assert periods[1]["principal"] == "0.00" and Decimal(periods[2]["principal"]) > 0  # grace on principal

    undone = ok(api.post(f"/api/v1/loans/{loan_id}/reschedule/undo", {}))
    assert _periods(undone["schedule"]["periods"]) == _periods(original["schedule"]["periods"])
    assert (undone["annual_interest_rate"], undone["number_of_repayments"]) == ("7", 6)
    assert undone["summary"] == original["summary"]
    assert balances(api) == books
    # A later payment rebuilds on the old terms: as the preview of the loan as disbursed.
    _on(runtime, tenant, "2024-01-25")
    repay(api, loan_id, "25.00", "2024-01-25")
    view = _view(api, loan_id)
    assert _periods(view["schedule"]["periods"]) == _preview(api, [("25.00", "2024-01-25")], "2024-01-25")
    _cash_books_hold_what_was_paid(api, view)


def test_accrual_reschedule_trues_up_and_its_undo_reverses_it(
        api: Api, runtime: Runtime, tenant: TenantInfo) -> None:
    loan_id = _loan(api, runtime, tenant, accounting_rule="accrual_periodic")
    _on(runtime, tenant, "2024-01-11")
    with runtime.session(tenant) as s:  # close of business through 2024-01-10
        assert ensure_closed(s, loan_id) is True
        commit(s)
    # January at 7%: 0.58 of interest, of which 10 of 31 days accrued: 0.58 x 10/31 = 0.187 -> 0.19.
    books = balances(api)
    assert (books[RECEIVABLE], books[INTEREST_INCOME]) == (Decimal("0.19"), Decimal("-0.19"))
    original = _view(api, loan_id)

    view = _reschedule(api, loan_id, from_date="2024-01-01", new_interest_rate="4")
    # January at 4%: 100 x 4%/12 = 0.3333 -> 0.33, 10 of 31 days earned: 0.106 -> 0.11; 0.08 leaves income.
    assert view["schedule"]["periods"][0]["interest"] == "0.33"
    gl = balances(api)
    assert (gl[RECEIVABLE], gl[INTEREST_INCOME]) == (Decimal("0.11"), Decimal("-0.11"))

    undone = ok(api.post(f"/api/v1/loans/{loan_id}/reschedule/undo", {}))
    assert _periods(undone["schedule"]["periods"]) == _periods(original["schedule"]["periods"])
    assert balances(api) == books
    # Redone, close of business accrues at 4% on the rescheduled installments: through 2024-01-20,
    # 0.33 x 20/31 = 0.213 -> 0.21.
    _reschedule(api, loan_id, from_date="2024-01-01", new_interest_rate="4")
    _on(runtime, tenant, "2024-01-21")
    with runtime.session(tenant) as s:
        assert ensure_closed(s, loan_id) is True
        commit(s)
    gl = balances(api)
    assert (gl[RECEIVABLE], gl[INTEREST_INCOME]) == (Decimal("0.21"), Decimal("-0.21"))
    assert gl[PORTFOLIO] == Decimal("100.00") and gl[CASH] == Decimal("-100.00")


def test_a_second_reschedule_undone_leaves_the_first(api: Api, runtime: Runtime, tenant: TenantInfo) -> None:
    loan_id = _loan(api, runtime, tenant)
    _on(runtime, tenant, "2024-02-01")
    repay(api, loan_id, "17.01", "2024-02-01")
    _on(runtime, tenant, "2024-02-02")
    first = _reschedule(api, loan_id, from_date="2024-02-02", new_interest_rate="4")
    _on(runtime, tenant, "2024-03-01")
    repay(api, loan_id, "16.88", "2024-03-01")  # installment 2 at 4%, on its due date
    after_first = _view(api, loan_id)
    assert _amounts(after_first)[:2] == [("16.43", "0.58", "83.57", "17.01"), ("16.60", "0.28", "66.97", "16.88")]
    assert _periods(after_first["schedule"]["periods"])[2:] == _periods(first["schedule"]["periods"])[2:]

    _on(runtime, tenant, "2024-03-05")
    second = _reschedule(api, loan_id, from_date="2024-03-05", new_number_of_repayments=8)
    periods = second["schedule"]["periods"]
    # Installments 3-8 carry the 66.97 installment 2 left, at 4% (the first reschedule's rate) over 6 months:
    # r = 4%/12, (1 + r)^6 = 1.020167, EMI 66.97 r / (1 - 1.020167^-1) = 66.97 x 0.168620 = 11.29;
    # installment 3 is 66.97 x 4%/12 = 0.2232 -> 0.22 of interest and 11.07 of principal.
    assert len(periods) == 8 and second["number_of_repayments"] == 8
    assert (periods[2]["principal"], periods[2]["interest"], periods[2]["total_due"]) == ("11.07", "0.22", "11.29")
    assert _sum_principal(periods[2:]) == Decimal("66.97")

    undone = ok(api.post(f"/api/v1/loans/{loan_id}/reschedule/undo", {}))
    assert _periods(undone["schedule"]["periods"]) == _periods(after_first["schedule"]["periods"])
    assert (undone["annual_interest_rate"], undone["number_of_repayments"]) == ("4", 6)
    _cash_books_hold_what_was_paid(api, undone)


def _sum_principal(periods: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(p["principal"]) for p in periods), ZERO)
