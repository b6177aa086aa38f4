"""Charge-off of loans under accrual accounting, and Fineract's charge-off accounts, through HTTP with the amounts
on each GL account.

The loan throughout: 1000.00 at 12% a year (1% a month, 360/30), 12 monthly installments from 2024-01-01, EMI
88.85; installment 1 (due 2024-02-01) is principal 78.85 + interest 10.00, installment 2 (to 2024-03-01, 29 days)
79.64 + 9.21. The product charges 2.00 per installment (a fee: income when paid, never accrued) and 10.00 for an
installment overdue (a penalty: booked when charged, the day after the due date).

Standard chart: 1110 cash, 1210 portfolio, 1220 interest receivable, 1240 penalties receivable, 4100 interest
income, 4200 fee income, 4300 penalty income, 4400 recoveries, 4410/4420/4430 income from charge-off interest,
fees and penalties, 5200 losses (the charge-off expense when none is mapped), 5210 charge-off fraud expense.
Balances are debit minus credit: income shows negative.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from conftest import Api
from loan_factories import active_loan, balances, make_client, make_office, make_product, ok, repay, set_business_date
from sqlalchemy import text

from akiba.cob.service import ensure_closed
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

ZERO = Decimal(0)
CHARGES = [{"name": "Service", "charge_time": "installment", "calculation": "flat", "amount": "2.00"},
           {"name": "Late", "charge_time": "overdue_installment", "calculation": "flat", "amount": "10.00",
            "penalty": True, "grace_days": 0}]
CHARGE_OFF_ACCOUNTS = {"income_from_charge_off_interest": "4410", "income_from_charge_off_fees": "4420",
                       "income_from_charge_off_penalty": "4430", "charge_off_fraud_expense": "5210"}


@pytest.fixture
def client_id(api: Api) -> int:
    return make_client(api, make_office(api))


def _product(api: Api, **overrides: Any) -> int:
    body = {"name": "Accrual", "short_name": "ACR", "accounting_rule": "accrual_periodic", "charges": CHARGES,
            "gl_mappings": CHARGE_OFF_ACCOUNTS, **overrides}
    return int(make_product(api, **body)["id"])


def _close_until(runtime: Runtime, tenant: TenantInfo, loan_id: int, today: date) -> None:
    """Move the business date to `today` and run the loan's close of the day before (inline, as a command would):
    accruals and penalties catch up to the end of that day."""
    set_business_date(runtime, tenant, today)
    with runtime.session(tenant) as s:
        ensure_closed(s, loan_id)
        commit(s)


def _gl(api: Api, *codes: str) -> tuple[Decimal, ...]:
    gl = balances(api)
    return tuple(gl.get(code, ZERO) for code in codes)


def _accrued(runtime: Runtime, tenant: TenantInfo, loan_id: int) -> Decimal:
    with runtime.session(tenant) as s:
        return Decimal(s.scalar(text("SELECT accrued_interest FROM cob_loan_state WHERE loan_id = :l"),
                                {"l": loan_id}))


def test_accrual_charge_off_empties_the_receivables_stops_accruing_and_its_undo_restores_them(
        api: Api, runtime: Runtime, tenant: TenantInfo, client_id: int) -> None:
    set_business_date(runtime, tenant, date(2024, 1, 1))
    loan = active_loan(api, client_id, _product(api))["id"]
    _close_until(runtime, tenant, loan, date(2024, 2, 11))
    # Through 2024-02-10: installment 1's 10.00 and 10 of installment 2's 29 days, 9.21 x 10/29 = 3.1759 -> 3.18;
    # 13.18 accrued. Installment 1 overdue since 2024-02-01: its 10.00 penalty was charged (and booked) 2024-02-02.
    assert _gl(api, "1220", "4100", "1240", "4300") == (Decimal("13.18"), Decimal("-13.18"), Decimal("10.00"),
                                                        Decimal("-10.00"))

    txn = ok(api.post(f"/api/v1/loans/{loan}/charge-off", {"transaction_date": "2024-02-11"}), 201)
    assert (txn["principal"], txn["penalties"]) == ("1000.00", "10.00")
    # The principal to the charge-off expense (unmapped: losses); the receivables to the charge-off income accounts.
    assert _gl(api, "1210", "5200", "1220", "4410", "1240", "4430") == (
        ZERO, Decimal("1000.00"), ZERO, Decimal("13.18"), ZERO, Decimal("10.00"))
    assert _gl(api, "4100", "4300") == (Decimal("-13.18"), Decimal("-10.00"))  # earlier income stays as booked

    # Close of business accrues nothing for it: the receivable stays empty, income does not move.
    _close_until(runtime, tenant, loan, date(2024, 2, 21))
    assert _gl(api, "1220", "4100") == (ZERO, Decimal("-13.18"))

    # Installment 1 in full, 2024-02-21: 10.00 penalty + 2.00 fee + 10.00 interest + 78.85 principal = 100.85.
    paid = repay(api, loan, "100.85", "2024-02-21")
    assert (paid["penalties"], paid["fees"], paid["interest"], paid["principal"]) == ("10.00", "2.00", "10.00",
                                                                                        "78.85")
    # Recovered: principal to recoveries, interest, fee and penalty to their charge-off income; no receivable.
    assert _gl(api, "4400", "4410", "4420", "4430") == (Decimal("-78.85"), Decimal("3.18"), Decimal("-2.00"), ZERO)
    assert _gl(api, "1220", "1240", "1210", "4100", "4200", "4300") == (
        ZERO, ZERO, ZERO, Decimal("-13.18"), ZERO, Decimal("-10.00"))
    assert _gl(api, "1110") == (Decimal("-1000.00") + Decimal("100.85"),)

    # Undo: the repayment first (the charge-off is undone only while latest), then the charge-off. Meanwhile
    # installment 2 (due 2024-03-01) fell overdue and its 10.00 penalty was charged on 2024-03-02, not booked.
    ok(api.post(f"/api/v1/loans/{loan}/transactions/{paid['id']}/undo"))
    assert _gl(api, "4400", "4410", "4420", "4430") == (ZERO, Decimal("13.18"), ZERO, Decimal("10.00"))
    _close_until(runtime, tenant, loan, date(2024, 3, 5))
    view = ok(api.get(f"/api/v1/loans/{loan}"))
    assert view["summary"]["penalties_outstanding"] == "20.00"
    assert _gl(api, "1240", "4300", "1220") == (ZERO, Decimal("-10.00"), ZERO)

    ok(api.post(f"/api/v1/loans/{loan}/transactions/{txn['id']}/undo"))
    # The charge-off's entry reversed: portfolio and both receivables back, charge-off accounts at zero; the
    # penalty charged while it stood is booked now: penalties receivable 10.00 + 10.00.
    assert _gl(api, "1210", "5200", "1220", "4410", "4430") == (Decimal("1000.00"), ZERO, Decimal("13.18"), ZERO,
                                                               ZERO)
    assert _gl(api, "1240", "4300") == (Decimal("20.00"), Decimal("-20.00"))
    assert _accrued(runtime, tenant, loan) == Decimal("13.18")

    # Accrual again: the next close catches up what the loan earned while charged off. Through 2024-03-05:
    # 10.00 + 9.21 + installment 3's interest for 5 of its 31 days.
    _close_until(runtime, tenant, loan, date(2024, 3, 6))
    third = Decimal(ok(api.get(f"/api/v1/loans/{loan}"))["schedule"]["periods"][2]["interest"])
    assert third == Decimal("8.42")  # (1000 - 78.85 - 79.64) x 1% = 8.4151
    earned = (Decimal("19.21") + third * 5 / 31).quantize(Decimal("0.01"))  # 19.21 + 1.358 = 20.57
    assert _gl(api, "1220", "4100") == (earned, -earned)
    assert _accrued(runtime, tenant, loan) == earned


def test_fraud_charge_off_goes_to_the_fraud_expense(api: Api, runtime: Runtime, tenant: TenantInfo,
                                                    client_id: int) -> None:
    set_business_date(runtime, tenant, date(2024, 1, 1))
    loan = active_loan(api, client_id, _product(api))["id"]
    repay(api, loan, "90.85", "2024-01-01")  # installment 1 ahead: 2.00 fee + 10.00 interest + 78.85 principal
    _close_until(runtime, tenant, loan, date(2024, 1, 11))
    # Interest was paid before it was earned: income when paid, nothing to accrue until it is earned.
    assert _gl(api, "1220", "4100", "4200") == (ZERO, Decimal("-10.00"), Decimal("-2.00"))
    body = {"transaction_date": "2024-01-11", "reason": "identity theft", "reason_code": "fraud"}
    ok(api.post(f"/api/v1/loans/{loan}/charge-off", body), 201)
    # 1000 - 78.85 = 921.15 to the fraud charge-off expense; no receivable held anything.
    assert _gl(api, "5210", "5200", "1210", "4410") == (Decimal("921.15"), ZERO, ZERO, ZERO)
    bad = api.post(f"/api/v1/loans/{loan}/charge-off", {"transaction_date": "2024-01-11", "reason_code": "Fraud!"})
    assert bad.status_code == 422 and "reason_code" in bad.text


def test_without_charge_off_accounts_the_ordinary_ones_take_their_place(
        api: Api, runtime: Runtime, tenant: TenantInfo, client_id: int) -> None:
    set_business_date(runtime, tenant, date(2024, 1, 1))
    loan = active_loan(api, client_id, _product(api, gl_mappings={}))["id"]
    _close_until(runtime, tenant, loan, date(2024, 2, 11))
    ok(api.post(f"/api/v1/loans/{loan}/charge-off", {"transaction_date": "2024-02-11", "reason_code": "fraud"}),
       201)
    # The 13.18 accrued and the 10.00 penalty leave the receivables back out of interest and penalty income, the
    # principal goes to the losses account (no fraud expense mapped either).
    assert _gl(api, "1220", "4100", "1240", "4300", "5200", "5210") == (
        ZERO, ZERO, ZERO, ZERO, Decimal("1000.00"), ZERO)
    repay(api, loan, "100.85", "2024-02-11")
    assert _gl(api, "4400", "4100", "4200", "4300") == (Decimal("-78.85"), Decimal("-10.00"), Decimal("-2.00"),
                                                        Decimal("-10.00"))


def test_cash_recoveries_use_the_charge_off_income_accounts(api: Api, runtime: Runtime, tenant: TenantInfo,
                                                            client_id: int) -> None:
    set_business_date(runtime, tenant, date(2024, 1, 1))
    loan = active_loan(api, client_id, _product(api, accounting_rule="cash", name="Cash", short_name="CSH"))["id"]
    _close_until(runtime, tenant, loan, date(2024, 2, 15))  # installment 1's 10.00 penalty charged 2024-02-02
    ok(api.post(f"/api/v1/loans/{loan}/charge-off", {"transaction_date": "2024-02-15"}), 201)
    # Cash accounting booked no interest or penalty: only the principal moves.
    assert _gl(api, "5200", "1210", "4410", "4430") == (Decimal("1000.00"), ZERO, ZERO, ZERO)
    repay(api, loan, "100.85", "2024-02-15")  # installment 1 with its penalty and fee
    assert _gl(api, "4400", "4410", "4420", "4430", "4100", "4300") == (
        Decimal("-78.85"), Decimal("-10.00"), Decimal("-2.00"), Decimal("-10.00"), ZERO, ZERO)


RECALCULATING: dict[str, Any] = {
    "number_of_repayments": 3, "interest_calculation_period": "daily", "days_in_year": "365",
    "days_in_month": "actual", "interest_recalculation": {"compounding": "none", "rest_frequency": "daily",
                                                          "reschedule_strategy": "reduce_emi_amount"},
}


def test_a_charged_off_loan_stops_recalculating_its_interest(api: Api, runtime: Runtime, tenant: TenantInfo,
                                                             client_id: int) -> None:
    """As Fineract: after a charge-off, payments no longer rebuild the installments, so nothing booked before it
    is split anew (its portfolio and receivables are empty: a repost there would drive them negative)."""
    set_business_date(runtime, tenant, date(2024, 1, 1))
    loan = active_loan(api, client_id, _product(api, charges=[], **RECALCULATING))["id"]
    _close_until(runtime, tenant, loan, date(2024, 1, 16))
    early = repay(api, loan, "200.00", "2024-01-16")  # January's interest recalculated: 4.93 + 4.21 = 9.14
    assert (early["interest"], early["principal"]) == ("9.14", "190.86")
    ok(api.post(f"/api/v1/loans/{loan}/charge-off", {"transaction_date": "2024-01-16"}), 201)
    before = ok(api.get(f"/api/v1/loans/{loan}"))["schedule"]["periods"]
    assert _gl(api, "1210", "5200", "1220") == (ZERO, Decimal("809.14"), ZERO)  # 1000 - 190.86

    _close_until(runtime, tenant, loan, date(2024, 3, 10))
    late = repay(api, loan, "300.00", "2024-03-10")  # late: a recalculation would charge more interest
    after = ok(api.get(f"/api/v1/loans/{loan}"))
    assert [(p["principal"], p["interest"]) for p in after["schedule"]["periods"]] == [
        (p["principal"], p["interest"]) for p in before]
    assert [t["interest"] for t in after["transactions"] if t["id"] == early["id"]] == ["9.14"]
    # Installment 1 (139.93 principal left) then installment 2 (its interest first): all recovery or charge-off
    # income; the portfolio and receivable stay empty.
    interest = Decimal(late["interest"])
    assert _gl(api, "1210", "1220", "4400", "4410") == (ZERO, ZERO, -Decimal(late["principal"]), -interest)
    assert Decimal(late["principal"]) + interest == Decimal("300.00")
