"""Reschedule, continued: undoing the latest reschedule (installments, rate and books put back exactly), and
rescheduling a loan that recalculates its interest (its later rebuilds keep the rescheduled terms).

The fixed-schedule loan: 1000.00 at 12% a year (1% a month, 360/30), 12 monthly installments from 2024-01-01,
EMI 88.85; installment 1 is principal 78.85 + interest 10.00, installment 2 is 79.64 + 9.21.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from conftest import Api
from loan_factories import (
    active_loan,
    balances,
    get_loan,
    make_product,
    ok,
    refused,
    repay,
    set_business_date,
    sum_of,
)
from sqlalchemy import select
from test_admin_api import as_user, make_user

from akiba.accounting.models import JournalEntry
from akiba.cob.service import ensure_closed
from akiba.loans.models import LoanReschedule
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

ZERO = Decimal(0)
DUE_FIELDS = ("n", "from_date", "due_date", "principal", "interest", "fees", "penalties", "total_due",
              "outstanding_after", "paid", "outstanding")




def _due(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [{name: p[name] for name in DUE_FIELDS} for p in view["schedule"]["periods"]]




def _undo(api: Api, loan_id: int, **body: Any) -> dict[str, Any]:
    return ok(api.post(f"/api/v1/loans/{loan_id}/reschedule/undo", body))


# --- undo -------------------------------------------------------------------------------------------------------


def test_undo_puts_back_the_installments_rate_and_count_and_moves_no_money(
        api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    repay(api, loan["id"], "88.85", "2024-02-01")
    original = get_loan(api, loan["id"])
    books = balances(api)
    view = ok(api.post(f"/api/v1/loans/{loan['id']}/reschedule",
                       {"from_date": "2024-02-15", "extra_terms": 3, "new_interest_rate": "6"}))
    periods = view["schedule"]["periods"]
    # 921.15 over 14 months at 0.5%: interest 4.60575 -> 4.61, EMI 4.60575 / (1 - 1.005^-14) = 68.29,
    # principal 68.29 - 4.61 = 63.68.
    assert len(periods) == 15 and (periods[1]["principal"], periods[1]["interest"]) == ("63.68", "4.61")
    assert sum_of(periods[1:], "principal") == Decimal("921.15")
    assert (view["annual_interest_rate"], view["number_of_repayments"]) == ("6", 15)

    undone = _undo(api, loan["id"], note="agreed by mistake")
    assert _due(undone) == _due(original)  # dates, principal, interest, fees, what is paid: all as before
    assert (undone["annual_interest_rate"], undone["number_of_repayments"]) == ("12", 12)
    assert undone["summary"] == original["summary"]
    # 11 installments of 88.85 (the last one a little less) left: interest left = 11 x 88.85 - 921.15 less the
    # last installment's rounding, exactly what it was before the reschedule.
    assert undone["summary"]["interest_outstanding"] == str(sum_of(original["schedule"]["periods"][1:], "interest"))
    resched = undone["transactions"][-1]
    assert resched["type"] == "reschedule" and resched["reversed"] is True and "agreed by mistake" in resched["note"]
    assert balances(api) == books  # cash accounting: neither the reschedule nor its undo posted anything
    # The loan runs on its old terms: installment 2 is 79.64 principal + 9.21 interest again.
    paid = repay(api, loan["id"], "88.85", "2024-03-01")
    assert (paid["principal"], paid["interest"]) == ("79.64", "9.21")
    assert balances(api)["1210"] == Decimal("841.51")  # 1000 - 78.85 - 79.64
    refused(api.post(f"/api/v1/loans/{loan['id']}/reschedule/undo", {}), 409, type_="loan-not-rescheduled")


def test_undo_puts_back_installment_fees_and_charges(api: Api, loan_setup: dict[str, Any]) -> None:
    product = make_product(api, name="Serviced", short_name="SRV", charges=[
        {"name": "Service", "charge_time": "installment", "calculation": "flat", "amount": "1.00"}])
    loan = active_loan(api, loan_setup["client"], product["id"])
    ok(api.post(f"/api/v1/loans/{loan['id']}/charges", {"name": "Visit", "amount": "5.00", "due_date": "2024-06-15"}),
       201)
    original = get_loan(api, loan["id"])
    assert original["schedule"]["periods"][5]["fees"] == "6.00"  # 2024-06-01 < 06-15 <= 07-01: installment 6
    moved = ok(api.post(f"/api/v1/loans/{loan['id']}/reschedule",
                        {"from_date": "2024-02-01", "new_first_due_date": "2024-02-15"}))
    assert moved["schedule"]["periods"][4]["fees"] == "6.00" and [c["installment"] for c in moved["charges"]] == [5]
    undone = _undo(api, loan["id"])
    assert _due(undone) == _due(original)
    assert [c["installment"] for c in undone["charges"]] == [6]
    assert undone["summary"]["fees_outstanding"] == "17.00"  # 12 x 1.00 service + 5.00 visit


def test_only_the_latest_reschedule_is_undone_then_the_one_before(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    repay(api, loan["id"], "88.85", "2024-02-01")
    original = get_loan(api, loan["id"])
    first = ok(api.post(f"/api/v1/loans/{loan['id']}/reschedule", {"from_date": "2024-03-01",
                                                                   "new_interest_rate": "6"}))
    # 921.15 over the 11 months left at 0.5%: interest 4.61, EMI 86.27, principal 81.66.
    assert (first["schedule"]["periods"][1]["principal"], first["schedule"]["periods"][1]["interest"]) == (
        "81.66", "4.61")
    second = ok(api.post(f"/api/v1/loans/{loan['id']}/reschedule", {"from_date": "2024-06-01", "extra_terms": 2}))
    assert len(second["schedule"]["periods"]) == 14 and second["number_of_repayments"] == 14
    assert _due(second)[:4] == _due(first)[:4]  # installments before 2024-06-01 kept

    back = _undo(api, loan["id"])
    assert _due(back) == _due(first)
    assert (back["annual_interest_rate"], back["number_of_repayments"]) == ("6", 12)
    assert [(t["type"], t["reversed"]) for t in back["transactions"]] == [
        ("disbursement", False), ("repayment", False), ("reschedule", False), ("reschedule", True)]
    again = _undo(api, loan["id"])
    assert _due(again) == _due(original) and again["annual_interest_rate"] == "12"
    refused(api.post(f"/api/v1/loans/{loan['id']}/reschedule/undo", {}), 409, type_="loan-not-rescheduled")


def test_undo_is_refused_once_the_loan_changed(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    repay(api, loan["id"], "88.85", "2024-02-01")
    path = f"/api/v1/loans/{loan['id']}/reschedule"
    rescheduled = ok(api.post(path, {"from_date": "2024-02-15", "extra_terms": 3}))

    later = repay(api, loan["id"], "70.84", "2024-03-01")  # the rescheduled installment 2: 61.63 + 9.21
    refused(api.post(f"{path}/undo", {}), 409, type_="loan-changed-since-reschedule")
    assert _due(get_loan(api, loan["id"]))[1]["paid"] == "70.84"  # nothing changed
    ok(api.post(f"/api/v1/loans/{loan['id']}/transactions/{later['id']}/undo"))
    assert _due(get_loan(api, loan["id"])) == _due(rescheduled)  # as the reschedule left it: undo allowed again

    charge = ok(api.post(f"/api/v1/loans/{loan['id']}/charges",
                         {"name": "Visit", "amount": "5.00", "due_date": "2024-06-15"}), 201)
    refused(api.post(f"{path}/undo", {}), 409, type_="loan-changed-since-reschedule")
    ok(api.post(f"/api/v1/loans/{loan['id']}/waive-charge", {"charge_id": charge["id"],
                                                             "transaction_date": "2024-03-01"}), 201)
    refused(api.post(f"{path}/undo", {}), 409, type_="loan-changed-since-reschedule")

    other = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    paid = repay(api, other["id"], "88.85", "2024-02-01")
    ok(api.post(f"/api/v1/loans/{other['id']}/reschedule", {"from_date": "2024-02-15", "extra_terms": 3}))
    ok(api.post(f"/api/v1/loans/{other['id']}/transactions/{paid['id']}/undo"))  # before the reschedule
    refused(api.post(f"/api/v1/loans/{other['id']}/reschedule/undo", {}), 409, type_="loan-changed-since-reschedule")


def test_undo_has_its_own_permission_can_wait_for_a_checker_and_is_audited(
        api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    original = get_loan(api, loan["id"])
    ok(api.post(f"/api/v1/loans/{loan['id']}/reschedule", {"from_date": "2024-02-01", "extra_terms": 12}))
    make_user(api, "rescheduler", ["loans:reschedule", "loans:read"])
    refused(as_user(api, "rescheduler").post(f"/api/v1/loans/{loan['id']}/reschedule/undo", {}), 403, type_="forbidden")

    ok(api.put("/api/v1/maker-checker/loans:reschedule-undo", {"enabled": True}))
    parked = api.post(f"/api/v1/loans/{loan['id']}/reschedule/undo", {})
    assert parked.status_code == 202 and parked.json()["command"] == "loans:reschedule-undo", parked.text
    assert len(get_loan(api, loan["id"])["schedule"]["periods"]) == 24  # nothing changed yet
    make_user(api, "checker", ["loans:reschedule-undo:check", "loans:read"])
    ok(as_user(api, "checker").post(f"/api/v1/pending-commands/{parked.json()['pending_command_id']}/approve"))
    assert _due(get_loan(api, loan["id"])) == _due(original)
    audit = ok(api.get("/api/v1/audit/commands", command="loans:reschedule-undo"))["items"]
    # The maker's request parked, the checker's approval ran it (the refusal without the permission stopped at the
    # permission check, before any command ran).
    assert [(a["username"], a["outcome"], a["resource_id"]) for a in audit] == [
        ("checker", "success", loan["id"]), ("admin", "pending", loan["id"])]
    assert audit[0]["summary"]["pending_command_id"] == parked.json()["pending_command_id"]


def test_accrual_undo_reverses_the_true_up(api: Api, loan_setup: dict[str, Any], runtime: Runtime,
                                           tenant: TenantInfo) -> None:
    product = make_product(api, name="Accrual", short_name="ACR", accounting_rule="accrual_periodic")
    loan = active_loan(api, loan_setup["client"], product["id"])
    set_business_date(runtime, tenant, date(2024, 1, 10) + timedelta(days=1))
    with runtime.session(tenant) as s:  # close of business through 2024-01-10: 10 of 31 days of 10.00 = 3.23
        assert ensure_closed(s, loan["id"]) is True
        commit(s)
    original = get_loan(api, loan["id"])
    ok(api.post(f"/api/v1/loans/{loan['id']}/reschedule", {"from_date": "2024-01-01", "new_interest_rate": "6"}))
    # January's interest is now 5.00, of which 10/31 earned by 2024-01-10: 1.61; the 1.62 above it left income.
    gl = balances(api)
    assert (gl["1220"], gl["4100"]) == (Decimal("1.61"), Decimal("-1.61"))

    undone = _undo(api, loan["id"])
    assert _due(undone) == _due(original)
    gl = balances(api)
    assert (gl["1220"], gl["4100"]) == (Decimal("3.23"), Decimal("-3.23"))
    with runtime.session(tenant) as s:  # the true-up is reversed by an entry of its own, not edited or followed
        record = s.scalars(select(LoanReschedule).where(LoanReschedule.loan_id == loan["id"])).one()
        assert record.accrual_adjustment == Decimal("-1.62") and record.undone_on == date(2024, 1, 11)
        reversal = s.scalars(select(JournalEntry).where(JournalEntry.reversal_of == record.accrual_entry_id)).one()
        assert reversal.source == "loan_accrual"
        assert s.scalars(select(JournalEntry).where(JournalEntry.source == "loan_accrual",
                                                    JournalEntry.id > reversal.id)).all() == []
    # Close of business goes on accruing January at 12%: through 2024-01-20, 20/31 of 10.00 = 6.4516 -> 6.45.
    set_business_date(runtime, tenant, date(2024, 1, 21))
    with runtime.session(tenant) as s:
        assert ensure_closed(s, loan["id"]) is True
        commit(s)
    gl = balances(api)
    assert (gl["1220"], gl["4100"]) == (Decimal("6.45"), Decimal("-6.45"))


def test_accrual_undo_after_close_of_business_accrued_on_the_new_installments(
        api: Api, loan_setup: dict[str, Any], runtime: Runtime, tenant: TenantInfo) -> None:
    product = make_product(api, name="Accrual", short_name="ACR", accounting_rule="accrual_periodic")
    loan = active_loan(api, loan_setup["client"], product["id"])
    for day in (date(2024, 1, 11), date(2024, 1, 21)):
        set_business_date(runtime, tenant, day)
        with runtime.session(tenant) as s:
            assert ensure_closed(s, loan["id"]) is True
            commit(s)
        if day == date(2024, 1, 11):
            ok(api.post(f"/api/v1/loans/{loan['id']}/reschedule", {"from_date": "2024-01-01",
                                                                  "new_interest_rate": "6"}))
    # Through 2024-01-10 at 12%: 3.23; rescheduled to 6% on 2024-01-11, true-up to 5.00 x 10/31 = 1.61; close of
    # business through 2024-01-20 at 6%: 5.00 x 20/31 = 3.2258 -> 3.23.
    gl = balances(api)
    assert (gl["1220"], gl["4100"]) == (Decimal("3.23"), Decimal("-3.23"))
    _undo(api, loan["id"])
    # The true-up reversed (+1.62 back) and the installments at 12% again: 20 of 31 days of 10.00 = 6.45 earned,
    # the 1.60 still missing posted as the undo's own adjustment.
    gl = balances(api)
    assert (gl["1220"], gl["4100"]) == (Decimal("6.45"), Decimal("-6.45"))


# --- a loan that recalculates its interest ----------------------------------------------------------------------
#
# 1,000.00 USD at 12% a year, 6 monthly installments from 2024-01-01, interest per day on actual days over 365,
# recalculated daily (no compounding), principal paid ahead reducing the EMI; cash accounting. After each event its
# installments are rebuilt from its payments as of the business date; the rebuilt installments must keep the
# rescheduled terms. Each check compares the loan with the schedule preview of a loan that has those terms from the
# start: the same engine the preview's own tests hold to Fineract's numbers.

RECALCULATING: dict[str, Any] = {
    "number_of_repayments": 6, "interest_calculation_period": "daily", "days_in_year": "365",
    "days_in_month": "actual",
    "interest_recalculation": {"compounding": "none", "rest_frequency": "daily",
                               "reschedule_strategy": "reduce_emi_amount"},
}
PERIOD_FIELDS = ("from_date", "due_date", "principal", "interest", "total_due", "outstanding_after", "paid",
                 "in_advance", "late", "outstanding", "paid_date")


def _recalculating_loan(api: Api, runtime: Runtime, tenant: TenantInfo, loan_setup: dict[str, Any]) -> int:
    set_business_date(runtime, tenant, date(2024, 1, 1))
    product = make_product(api, name="Recalculating", short_name="RCL", **RECALCULATING)
    return int(active_loan(api, loan_setup["client"], product["id"])["id"])


def _on(runtime: Runtime, tenant: TenantInfo, day: str) -> None:
    set_business_date(runtime, tenant, date.fromisoformat(day))


def _preview(api: Api, payments: list[tuple[str, str]], as_of: str, **terms: Any) -> list[dict[str, Any]]:
    body = {"principal": "1000.00", "currency": "USD", "digits": 2, "annual_interest_rate": "12",
            "interest_type": "declining_balance", "amortization": "equal_installments", "repayment_every": 1,
            "repayment_frequency": "months", "expected_disbursement_date": "2024-01-01", **RECALCULATING, **terms,
            "as_of": as_of,
            "transactions": [{"type": "repayment", "date": on, "amount": amount} for amount, on in payments]}
    return _periods(ok(api.post("/api/v1/loans/schedule-preview", body)))


def _periods(schedule: dict[str, Any]) -> list[dict[str, Any]]:
    return [{name: p[name] for name in PERIOD_FIELDS} for p in schedule["periods"]]


def _books_hold_what_was_paid(api: Api, view: dict[str, Any]) -> None:
    """Cash accounting: the portfolio is the principal left, interest income the interest paid."""
    live = [t for t in view["transactions"] if t["type"] == "repayment" and not t["reversed"]]
    gl = balances(api)
    assert gl["1210"] == Decimal("1000.00") - sum((Decimal(t["principal"]) for t in live), ZERO)
    assert gl.get("4100", ZERO) == -sum((Decimal(t["interest"]) for t in live), ZERO)
    assert gl["1110"] == Decimal("-1000.00") + sum((Decimal(t["amount"]) for t in live), ZERO)


def test_a_recalculating_loan_rescheduled_from_its_start_is_a_loan_with_the_new_terms(
        api: Api, loan_setup: dict[str, Any], runtime: Runtime, tenant: TenantInfo) -> None:
    loan_id = _recalculating_loan(api, runtime, tenant, loan_setup)
    _on(runtime, tenant, "2024-01-10")
    view = ok(api.post(f"/api/v1/loans/{loan_id}/reschedule",
                       {"from_date": "2024-01-01", "new_interest_rate": "9", "extra_terms": 2}))
    new_terms = {"annual_interest_rate": "9", "number_of_repayments": 8}
    assert (view["annual_interest_rate"], view["number_of_repayments"]) == ("9", 8)
    assert _periods(view["schedule"]) == _preview(api, [], "2024-01-10", **new_terms)

    # Early: 300.00 on 2024-01-20, inside the first period; the rebuild recalculates at 9% over 8 installments.
    payments = [("300.00", "2024-01-20")]
    _on(runtime, tenant, "2024-01-20")
    repay(api, loan_id, "300.00", "2024-01-20")
    view = get_loan(api, loan_id)
    assert _periods(view["schedule"]) == _preview(api, payments, "2024-01-20", **new_terms)
    assert len(view["schedule"]["periods"]) == 8
    # Late: installment 2 (due 2024-03-01) paid on 2024-03-10; the overdue principal earns interest meanwhile.
    payments.append(("150.00", "2024-03-10"))
    _on(runtime, tenant, "2024-03-10")
    repay(api, loan_id, "150.00", "2024-03-10")
    view = get_loan(api, loan_id)
    assert _periods(view["schedule"]) == _preview(api, payments, "2024-03-10", **new_terms)
    assert _periods(view["schedule"]) != _preview(api, payments, "2024-03-10")  # the old terms are gone
    _books_hold_what_was_paid(api, view)
    refused(api.post(f"/api/v1/loans/{loan_id}/reschedule/undo", {}), 409, type_="loan-changed-since-reschedule")


def test_a_recalculating_loan_keeps_its_paid_installment_and_reschedules_the_rest(
        api: Api, loan_setup: dict[str, Any], runtime: Runtime, tenant: TenantInfo) -> None:
    loan_id = _recalculating_loan(api, runtime, tenant, loan_setup)
    first = get_loan(api, loan_id)["schedule"]["periods"][0]
    _on(runtime, tenant, "2024-02-01")
    repay(api, loan_id, first["total_due"], "2024-02-01")  # installment 1, in full on its due date
    before = get_loan(api, loan_id)
    kept = _periods(before["schedule"])[0]
    left = kept["outstanding_after"]
    # 1000 less installment 1's principal: what installments 2-6 carry at 12%, now over 6 installments at 6%.
    assert Decimal(left) == Decimal("1000.00") - Decimal(first["principal"])
    view = ok(api.post(f"/api/v1/loans/{loan_id}/reschedule",
                       {"from_date": "2024-02-15", "new_interest_rate": "6", "extra_terms": 1}))
    # The rest is a loan of `left` disbursed on installment 1's due date at 6% over 6 months.
    rest = {"principal": left, "expected_disbursement_date": "2024-02-01", "annual_interest_rate": "6",
            "number_of_repayments": 6}
    assert _periods(view["schedule"])[0] == kept
    assert _periods(view["schedule"])[1:] == _preview(api, [], "2024-02-01", **rest)
    assert (view["annual_interest_rate"], view["number_of_repayments"]) == ("6", 7)

    # Installment 2 (due 2024-03-01) paid late on 2024-03-20 with 300.00, the excess reducing the EMI after it.
    _on(runtime, tenant, "2024-03-20")
    repay(api, loan_id, "300.00", "2024-03-20")
    view = get_loan(api, loan_id)
    assert _periods(view["schedule"])[0] == kept
    assert _periods(view["schedule"])[1:] == _preview(api, [("300.00", "2024-03-20")], "2024-03-20", **rest)
    _books_hold_what_was_paid(api, view)
    # Its reversal rebuilds without it, still on the rescheduled terms: 7 installments, the rest carrying `left`.
    ok(api.post(f"/api/v1/loans/{loan_id}/transactions/{view['transactions'][-1]['id']}/undo"))
    back = get_loan(api, loan_id)["schedule"]["periods"]
    assert _periods({"periods": back})[0] == kept and len(back) == 7 and back[1]["due_date"] == "2024-03-01"
    assert sum_of(back[1:], "principal") == Decimal(left)


def test_undo_of_a_recalculating_reschedule_brings_back_the_old_terms(
        api: Api, loan_setup: dict[str, Any], runtime: Runtime, tenant: TenantInfo) -> None:
    loan_id = _recalculating_loan(api, runtime, tenant, loan_setup)
    _on(runtime, tenant, "2024-01-10")
    original = get_loan(api, loan_id)
    ok(api.post(f"/api/v1/loans/{loan_id}/reschedule", {"from_date": "2024-03-01", "new_first_due_date": "2024-03-15",
                                                          "grace_on_principal": 1}))
    undone = _undo(api, loan_id)
    assert _due(undone) == _due(original)
    assert (undone["annual_interest_rate"], undone["number_of_repayments"]) == ("12", 6)
    # A later payment rebuilds on the old terms: as the preview of the loan as disbursed.
    _on(runtime, tenant, "2024-01-25")
    repay(api, loan_id, "250.00", "2024-01-25")
    view = get_loan(api, loan_id)
    assert _periods(view["schedule"]) == _preview(api, [("250.00", "2024-01-25")], "2024-01-25")
    _books_hold_what_was_paid(api, view)


def test_accrual_recalculating_reschedule_trues_up_and_its_undo_reverses_it(
        api: Api, loan_setup: dict[str, Any], runtime: Runtime, tenant: TenantInfo) -> None:
    set_business_date(runtime, tenant, date(2024, 1, 1))
    product = make_product(api, name="Accruing", short_name="ACC", accounting_rule="accrual_periodic",
                           **RECALCULATING)
    loan_id = active_loan(api, loan_setup["client"], product["id"])["id"]
    _on(runtime, tenant, "2024-01-11")
    with runtime.session(tenant) as s:  # close of business through 2024-01-10
        assert ensure_closed(s, loan_id) is True
        commit(s)
    # January at 12%: 1000 x 12% x 31/365 = 10.19, of which 10 of 31 days accrued: 3.287 -> 3.29.
    books = balances(api)
    assert (books["1220"], books["4100"]) == (Decimal("3.29"), Decimal("-3.29"))
    original = get_loan(api, loan_id)

    view = ok(api.post(f"/api/v1/loans/{loan_id}/reschedule", {"from_date": "2024-01-01", "new_interest_rate": "6"}))
    # January at 6%: 1000 x 6% x 31/365 = 5.0959 -> 5.10, 10 of 31 days earned: 1.645 -> 1.65; 1.64 leaves income.
    assert view["schedule"]["periods"][0]["interest"] == "5.10"
    gl = balances(api)
    assert (gl["1220"], gl["4100"]) == (Decimal("1.65"), Decimal("-1.65"))

    undone = _undo(api, loan_id)
    assert _due(undone) == _due(original)
    assert balances(api) == books
    # Close of business goes on accruing at 12%: through 2024-01-20, 10.19 x 20/31 = 6.574 -> 6.57.
    _on(runtime, tenant, "2024-01-21")
    with runtime.session(tenant) as s:
        assert ensure_closed(s, loan_id) is True
        commit(s)
    gl = balances(api)
    assert (gl["1220"], gl["4100"]) == (Decimal("6.57"), Decimal("-6.57"))
