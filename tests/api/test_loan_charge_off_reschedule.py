"""Loan lists name the product; charge-off (collectable, books moved to expense, recoveries) and reschedule
(the rest of the schedule computed anew by the same engine) through HTTP, with the amounts on each GL account.

The loan throughout: 1000.00 at 12% a year (1% a month, 360/30), 12 monthly installments from 2024-01-01,
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
    submit,
    sum_of,
)
from test_admin_api import as_user, make_user

from akiba.cob.service import ensure_closed
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

ZERO = Decimal(0)






# --- lists ------------------------------------------------------------------------------------------------------


def test_loan_lists_name_the_product(api: Api, loan_setup: dict[str, Any]) -> None:
    other = make_product(api, name="Weekly flat", short_name="WFL", repayment_frequency="weeks")
    first = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    second = active_loan(api, loan_setup["client"], other["id"])
    for path in ("/api/v1/loans", f"/api/v1/clients/{loan_setup['client']}/loans"):
        items = ok(api.get(path))["items"]
        assert [(i["id"], i["product_name"]) for i in items] == [(first["id"], "Monthly declining"),
                                                                 (second["id"], "Weekly flat")]
    page = ok(api.get("/api/v1/loans", limit=1))
    assert [i["product_name"] for i in page["items"]] == ["Monthly declining"]
    rest = ok(api.get("/api/v1/loans", limit=1, cursor=page["next_cursor"]))
    assert [i["product_name"] for i in rest["items"]] == ["Weekly flat"] and rest["next_cursor"] is None
    assert ok(api.get("/api/v1/loans", product_id=other["id"]))["items"][0]["id"] == second["id"]


# --- charge-off -------------------------------------------------------------------------------------------------


def test_charge_off_moves_the_principal_to_expense_and_later_repayments_are_recoveries(
        api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    repay(api, loan["id"], "88.85", "2024-02-01")  # installment 1: 78.85 principal, 10.00 interest
    before = get_loan(api, loan["id"])["summary"]
    txn = ok(api.post(f"/api/v1/loans/{loan['id']}/charge-off",
                      {"transaction_date": "2024-03-15", "reason": "borrower unreachable"}), 201)
    # 1000 - 78.85 = 921.15 principal left; the interest, fees and penalties left are recorded with it.
    assert (txn["type"], txn["principal"], txn["interest"]) == ("charge_off", "921.15", before["interest_outstanding"])
    assert txn["amount"] == before["total_outstanding"] and txn["note"] == "borrower unreachable"
    gl = balances(api)
    assert gl["5200"] == Decimal("921.15")  # charge-off expense (unmapped: the losses account)
    assert gl.get("1210", ZERO) == 0  # nothing left in the portfolio
    assert gl["1110"] == Decimal("-911.15")  # 1000 out, 88.85 in: cash did not move
    assert gl["4100"] == Decimal("-10.00")

    view = get_loan(api, loan["id"])
    assert (view["status"], view["charged_off"], view["charged_off_on"]) == ("active", True, "2024-03-15")
    assert view["summary"]["principal_outstanding"] == "921.15"  # still owed and collectable
    assert view["summary"]["total_outstanding"] == before["total_outstanding"]

    # Installment 2 (79.64 + 9.21 = 88.85): the principal is a recovery, the interest is income.
    paid = repay(api, loan["id"], "88.85", "2024-03-20")
    assert (paid["principal"], paid["interest"]) == ("79.64", "9.21")
    gl = balances(api)
    assert gl["4400"] == Decimal("-79.64")  # recovery income
    assert gl["4100"] == Decimal("-19.21")  # 10.00 + 9.21
    assert gl["1110"] == Decimal("-822.30")  # -911.15 + 88.85
    assert gl.get("1210", ZERO) == 0 and gl["5200"] == Decimal("921.15")
    assert get_loan(api, loan["id"])["summary"]["principal_outstanding"] == "841.51"  # 921.15 - 79.64

    # Nothing dated before the charge-off; the charge-off is undone only while it is the latest transaction.
    refused(api.post(f"/api/v1/loans/{loan['id']}/repayments", {"transaction_date": "2024-03-10", "amount": "5.00"}),
             422, "transaction_date")
    refused(api.post(f"/api/v1/loans/{loan['id']}/transactions/{txn['id']}/undo"), 409, type_="charge-off-not-last")
    first_repayment = get_loan(api, loan["id"])["transactions"][1]
    refused(api.post(f"/api/v1/loans/{loan['id']}/transactions/{first_repayment['id']}/undo"), 409,
             type_="loan-charged-off")
    ok(api.post(f"/api/v1/loans/{loan['id']}/transactions/{paid['id']}/undo"))
    gl = balances(api)
    assert gl.get("4400", ZERO) == 0 and gl["4100"] == Decimal("-10.00") and gl["1110"] == Decimal("-911.15")
    undone = ok(api.post(f"/api/v1/loans/{loan['id']}/transactions/{txn['id']}/undo"))
    assert undone["reversed"] is True
    gl = balances(api)
    assert gl.get("5200", ZERO) == 0 and gl["1210"] == Decimal("921.15")
    view = get_loan(api, loan["id"])
    assert (view["status"], view["charged_off"], view["charged_off_on"]) == ("active", False, None)
    # Back to an ordinary loan: a repayment reduces the portfolio again.
    repay(api, loan["id"], "88.85", "2024-03-20")
    assert balances(api)["1210"] == Decimal("841.51")


def test_charge_off_refusals(api: Api, loan_setup: dict[str, Any], runtime: Runtime, tenant: TenantInfo) -> None:
    pid, cid = loan_setup["product"]["id"], loan_setup["client"]
    submitted = ok(api.post("/api/v1/loans", {"client_id": cid, "product_id": pid, "principal": "1000.00",
                                              "submitted_on": "2024-01-01",
                                              "expected_disbursement_date": "2024-01-01"}), 201)
    refused(api.post(f"/api/v1/loans/{submitted['id']}/charge-off", {"transaction_date": "2024-02-01"}), 409,
             type_="loan-not-active")
    loan = active_loan(api, cid, pid)
    repay(api, loan["id"], "88.85", "2024-02-01")
    refused(api.post(f"/api/v1/loans/{loan['id']}/charge-off", {"transaction_date": "2024-01-31"}), 422,
             "transaction_date")  # before the repayment
    set_business_date(runtime, tenant, date(2024, 4, 1))
    refused(api.post(f"/api/v1/loans/{loan['id']}/charge-off", {"transaction_date": "2024-04-02"}), 422,
             "transaction_date")  # after the business date
    refused(api.post(f"/api/v1/loans/{loan['id']}/charge-off", {}), 422, "transaction_date")
    assert [t["type"] for t in get_loan(api, loan["id"])["transactions"]] == ["disbursement", "repayment"]
    assert balances(api).get("5200", ZERO) == 0

    ok(api.post(f"/api/v1/loans/{loan['id']}/charge-off", {"transaction_date": "2024-04-01"}), 201)
    refused(api.post(f"/api/v1/loans/{loan['id']}/charge-off", {"transaction_date": "2024-04-01"}), 409,
             type_="loan-charged-off")
    refused(api.post(f"/api/v1/loans/{loan['id']}/write-off", {"transaction_date": "2024-04-01"}), 409,
             type_="loan-charged-off")
    refused(api.post(f"/api/v1/loans/{loan['id']}/undo-disbursal", {}), 409, type_="loan-charged-off")
    assert balances(api)["5200"] == Decimal("921.15")


def test_charge_off_expense_can_be_mapped_apart(api: Api, loan_setup: dict[str, Any]) -> None:
    product = make_product(api, name="Mapped", short_name="MAP", gl_mappings={
        "fund_source": "1110", "loan_portfolio": "1210", "interest_income": "4100", "fee_income": "4200",
        "penalty_income": "4300", "losses_written_off": "5200", "overpayment": "2300",
        "transfers_suspense": "1900", "income_from_recovery": "4400", "charge_off_expense": "5300"})
    loan = active_loan(api, loan_setup["client"], product["id"])
    ok(api.post(f"/api/v1/loans/{loan['id']}/charge-off", {"transaction_date": "2024-01-01"}), 201)
    gl = balances(api)
    assert gl["5300"] == Decimal("1000.00") and gl.get("5200", ZERO) == 0 and gl.get("1210", ZERO) == 0


# --- reschedule -------------------------------------------------------------------------------------------------


def test_reschedule_with_extra_terms_keeps_paid_installments_and_the_books(
        api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    repay(api, loan["id"], "88.85", "2024-02-01")
    books = balances(api)
    view = ok(api.post(f"/api/v1/loans/{loan['id']}/reschedule",
                       {"from_date": "2024-02-15", "extra_terms": 3, "note": "harvest failed"}))
    periods = view["schedule"]["periods"]
    assert len(periods) == 15 and view["number_of_repayments"] == 15  # 1 kept + 11 left + 3 extra
    assert (periods[0]["principal"], periods[0]["interest"], periods[0]["paid"]) == ("78.85", "10.00", "88.85")
    # 921.15 over 14 months at 1%: EMI = 9.2115 / (1 - 1.01^-14) = 70.84; first interest 921.15 x 1% = 9.21.
    assert (periods[1]["due_date"], periods[1]["principal"], periods[1]["interest"]) == ("2024-03-01", "61.63", "9.21")
    assert periods[-1]["due_date"] == "2025-04-01"
    assert sum_of(periods[1:], "principal") == Decimal("921.15")  # the outstanding principal, no more, no less
    assert sum_of(periods, "principal") == Decimal("1000.00")
    assert view["summary"]["principal_outstanding"] == "921.15"
    assert view["summary"]["interest_outstanding"] == str(sum_of(periods[1:], "interest"))
    assert view["transactions"][-1]["type"] == "reschedule" and view["transactions"][-1]["amount"] == "0.00"
    assert "harvest failed" in view["transactions"][-1]["note"]
    assert balances(api) == books  # no money moved: no journal entry
    paid = repay(api, loan["id"], "70.84", "2024-03-01")
    assert (paid["principal"], paid["interest"]) == ("61.63", "9.21")


def test_reschedule_new_rate_and_new_first_due_date(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    repay(api, loan["id"], "88.85", "2024-02-01")
    view = ok(api.post(f"/api/v1/loans/{loan['id']}/reschedule", {"from_date": "2024-03-01",
                                                                  "new_interest_rate": "6"}))
    periods = view["schedule"]["periods"]
    # 921.15 over the 11 months left at 0.5%: interest 4.60575 -> 4.61, EMI 4.60575 / (1 - 1.005^-11) = 86.27.
    assert (periods[1]["principal"], periods[1]["interest"]) == ("81.66", "4.61")
    assert len(periods) == 12 and view["annual_interest_rate"] == "6"
    assert sum_of(periods[1:], "principal") == Decimal("921.15")

    shifted = ok(api.post(f"/api/v1/loans/{loan['id']}/reschedule",
                          {"from_date": "2024-03-01", "new_first_due_date": "2024-04-15",
                           "new_number_of_repayments": 10, "grace_on_principal": 1}))
    periods = shifted["schedule"]["periods"]
    assert [p["due_date"] for p in periods[1:4]] == ["2024-04-15", "2024-05-15", "2024-06-15"]
    assert len(periods) == 10 and periods[1]["principal"] == "0.00"  # grace on principal for the first one
    assert sum_of(periods[1:], "principal") == Decimal("921.15")
    assert [t["type"] for t in shifted["transactions"]] == ["disbursement", "repayment", "reschedule", "reschedule"]


def test_reschedule_refusals(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    repay(api, loan["id"], "100.00", "2024-02-01")  # 11.15 paid in advance on installment 2
    path = f"/api/v1/loans/{loan['id']}/reschedule"
    for body, field in (
        ({"from_date": "2024-01-15", "extra_terms": 1}, "from_date"),  # installment 1 is paid
        ({"from_date": "2024-03-01", "extra_terms": 1}, "from_date"),  # installment 2 is partly paid
        ({"from_date": "2024-04-01"}, "from_date"),  # no change named
        ({"from_date": "2026-01-01", "extra_terms": 1}, "from_date"),  # nothing due then
        ({"from_date": "2024-04-01", "extra_terms": 1, "new_number_of_repayments": 13}, "extra_terms"),
        ({"from_date": "2024-04-01", "new_number_of_repayments": 2}, "new_number_of_repayments"),
        ({"from_date": "2024-04-01", "grace_on_principal": 10}, "grace_on_principal"),
        ({"from_date": "2024-04-01", "new_first_due_date": "2024-02-15"}, "new_first_due_date"),
        ({"from_date": "2024-04-01", "new_interest_rate": 6.5}, "new_interest_rate"),
        ({"from_date": "2024-04-01", "extra_terms": 0}, "extra_terms"),
        ({"from_date": "2024-04-01", "new_first_due_date": "9999-12-01"}, "new_first_due_date"),
    ):
        refused(api.post(path, body), 422, field)
    view = get_loan(api, loan["id"])
    assert len(view["schedule"]["periods"]) == 12 and [t["type"] for t in view["transactions"]] == [
        "disbursement", "repayment"]
    pending = submit(api, loan_setup["client"], loan_setup["product"]["id"])
    refused(api.post(f"/api/v1/loans/{pending['id']}/reschedule", {"from_date": "2024-04-01", "extra_terms": 1}),
             409, type_="loan-not-active")


def test_reschedule_can_wait_for_a_checker(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    ok(api.put("/api/v1/maker-checker/loans:reschedule", {"enabled": True}))
    parked = api.post(f"/api/v1/loans/{loan['id']}/reschedule", {"from_date": "2024-02-01", "extra_terms": 12})
    assert parked.status_code == 202 and parked.json()["command"] == "loans:reschedule", parked.text
    assert len(get_loan(api, loan["id"])["schedule"]["periods"]) == 12  # nothing changed yet
    make_user(api, "checker", ["loans:reschedule:check", "loans:read"])
    ok(as_user(api, "checker").post(f"/api/v1/pending-commands/{parked.json()['pending_command_id']}/approve"))
    periods = get_loan(api, loan["id"])["schedule"]["periods"]
    assert len(periods) == 24 and sum_of(periods, "principal") == Decimal("1000.00")


def test_accrual_reschedule_trues_up_the_running_period_and_charge_off_empties_it(
        api: Api, loan_setup: dict[str, Any], runtime: Runtime, tenant: TenantInfo) -> None:
    product = make_product(api, name="Accrual", short_name="ACR", accounting_rule="accrual_periodic")
    loan = active_loan(api, loan_setup["client"], product["id"])
    set_business_date(runtime, tenant, date(2024, 1, 10) + timedelta(days=1))
    with runtime.session(tenant) as s:  # close of business through 2024-01-10: 10 of 31 days of 10.00 = 3.23
        assert ensure_closed(s, loan["id"]) is True
        commit(s)
    gl = balances(api)
    assert (gl["1220"], gl["4100"]) == (Decimal("3.23"), Decimal("-3.23"))

    view = ok(api.post(f"/api/v1/loans/{loan['id']}/reschedule", {"from_date": "2024-01-01",
                                                                  "new_interest_rate": "6"}))
    # January's interest is now 1000 x 0.5% = 5.00, of which 10/31 was earned by 2024-01-10: 1.6129 -> 1.61;
    # the 1.62 accrued above that is taken back out of income.
    assert view["schedule"]["periods"][0]["interest"] == "5.00"
    assert sum_of(view["schedule"]["periods"], "principal") == Decimal("1000.00")
    gl = balances(api)
    assert (gl["1220"], gl["4100"]) == (Decimal("1.61"), Decimal("-1.61"))
    # Charge-off (no charge-off accounts mapped): the 1.61 receivable goes back out of interest income.
    ok(api.post(f"/api/v1/loans/{loan['id']}/charge-off", {"transaction_date": "2024-01-11"}), 201)
    gl = balances(api)
    assert (gl.get("1220", ZERO), gl.get("4100", ZERO), gl["5200"]) == (ZERO, ZERO, Decimal("1000.00"))


def test_statement_keeps_a_charged_off_principal_owed(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    repay(api, loan["id"], "88.85", "2024-02-01")
    ok(api.post(f"/api/v1/loans/{loan['id']}/charge-off", {"transaction_date": "2024-02-15"}), 201)
    ok(api.post(f"/api/v1/loans/{loan['id']}/reschedule", {"from_date": "2024-03-01", "extra_terms": 2}))
    st = ok(api.get(f"/api/v1/loans/{loan['id']}/statement", **{"from": "2024-01-01", "to": "2024-02-29"}))
    # 1000.00 out, 10.00 interest due and 88.85 repaid: the charge-off moves nothing the borrower owes.
    assert [(m["debit"], m["credit"]) for m in st["movements"]] == [
        ("1000.00", "0.00"), ("10.00", "0.00"), ("0.00", "88.85"), ("0.00", "0.00")]
    assert st["closing_balance"] == st["closing_principal_balance"] == "921.15"
    later = ok(api.get(f"/api/v1/loans/{loan['id']}/statement", **{"from": "2024-03-01", "to": "2030-12-31"}))
    assert later["opening_balance"] == "921.15"
    assert [m["description"] for m in later["movements"] if m["debit"] == m["credit"] == "0.00"] == [
        "Schedule changed"]
    # every rescheduled installment has fallen due by 2030: the balance is all the loan still owes
    assert later["closing_principal_balance"] == "921.15"
    assert later["closing_balance"] == ok(api.get(f"/api/v1/loans/{loan['id']}"))["summary"]["total_outstanding"]


def test_reschedule_keeps_installment_fees_and_moves_charges_with_their_date(
        api: Api, loan_setup: dict[str, Any]) -> None:
    product = make_product(api, name="Serviced", short_name="SRV", charges=[
        {"name": "Service", "charge_time": "installment", "calculation": "flat", "amount": "1.00"}])
    loan = active_loan(api, loan_setup["client"], product["id"])
    charge = ok(api.post(f"/api/v1/loans/{loan['id']}/charges",
                         {"name": "Visit", "amount": "5.00", "due_date": "2024-06-15"}), 201)
    assert charge["installment"] == 6  # 2024-06-01 < 2024-06-15 <= 2024-07-01
    view = ok(api.post(f"/api/v1/loans/{loan['id']}/reschedule",
                       {"from_date": "2024-02-01", "new_first_due_date": "2024-02-15"}))
    periods = view["schedule"]["periods"]
    # Due on the 15th now: 2024-06-15 falls in installment 5 (2024-05-15 < d <= 2024-06-15), which carries the
    # 1.00 service fee and the 5.00 visit; every other installment keeps its 1.00.
    assert [p["due_date"] for p in periods[:2]] == ["2024-02-15", "2024-03-15"] and len(periods) == 12
    assert periods[4]["fees"] == "6.00" and {p["fees"] for i, p in enumerate(periods) if i != 4} == {"1.00"}
    assert [c["installment"] for c in view["charges"]] == [5]
    assert view["summary"]["fees_outstanding"] == "17.00"  # 12 x 1.00 + 5.00
    assert sum_of(periods, "principal") == Decimal("1000.00")
