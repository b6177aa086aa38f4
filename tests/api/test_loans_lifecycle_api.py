"""The loan lifecycle through HTTP: submit, approve, disburse, repay, read, and every step around them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from conftest import Api
from loan_factories import (
    active_loan,
    balances,
    get_loan,
    make_client,
    make_office,
    make_product,
    ok,
    repay,
    set_business_date,
    submit,
)
from sqlalchemy import text

from akiba.cob.service import ensure_closed
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo


def test_submit_approve_disburse_repay_and_read(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = submit(api, loan_setup["client"], loan_setup["product"]["id"])
    assert loan["status"] == "submitted"
    assert len(loan["schedule"]["periods"]) == 12
    approved = ok(api.post(f"/api/v1/loans/{loan['id']}/approve", {"approved_on": "2024-01-01"}))
    assert approved["status"] == "approved"
    active = ok(api.post(f"/api/v1/loans/{loan['id']}/disburse", {"disbursed_on": "2024-01-01"}))
    assert active["status"] == "active"
    first = active["schedule"]["periods"][0]
    # 1000 at 1% a month over 12 months: EMI 88.85, first interest 10.00.
    assert (first["principal"], first["interest"], first["total_due"]) == ("78.85", "10.00", "88.85")
    txn = repay(api, loan["id"], "100.00", "2024-02-01")
    # 88.85 settles installment 1; the 11.15 left pays installment 2 in advance, interest (9.21) first.
    assert (txn["principal"], txn["interest"], txn["fees"], txn["penalties"]) == ("80.79", "19.21", "0.00", "0.00")
    view = ok(api.get(f"/api/v1/loans/{loan['id']}"))
    periods = view["schedule"]["periods"]
    assert (periods[0]["paid"], periods[0]["outstanding"]) == ("88.85", "0.00")
    assert (periods[1]["paid"], periods[1]["outstanding"]) == ("11.15", "77.70")
    assert view["summary"]["principal_outstanding"] == "919.21"
    assert [t["type"] for t in view["transactions"]] == ["disbursement", "repayment"]
    cash = balances(api)
    assert cash["1210"] == Decimal("919.21")  # portfolio: 1000 out, 80.79 back
    assert cash["1110"] == Decimal("-900.00")  # fund source: 1000 out, 100 in
    assert cash["4100"] == Decimal("-19.21")  # interest income (credit)



def test_modify_approve_undo_reject_withdraw(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = submit(api, loan_setup["client"], loan_setup["product"]["id"])
    lid = loan["id"]
    modified = ok(api.put(f"/api/v1/loans/{lid}", {"principal": "2000.00", "number_of_repayments": 6}))
    assert (modified["principal"], len(modified["schedule"]["periods"])) == ("2000.00", 6)
    too_big = api.put(f"/api/v1/loans/{lid}", {"principal": "100000.00"})
    assert too_big.status_code == 422 and too_big.json()["errors"][0]["field"] == "principal"
    assert get_loan(api, lid)["principal"] == "2000.00"
    early = api.post(f"/api/v1/loans/{lid}/approve", {"approved_on": "2023-12-31"})
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "approved_on"
    approved = ok(api.post(f"/api/v1/loans/{lid}/approve", {"approved_on": "2024-01-02",
                                                            "approved_principal": "1500.00"}))
    assert (approved["status"], approved["approved_principal"]) == ("approved", "1500.00")
    assert approved["schedule"]["total_principal"] == "1500.00"
    assert api.post(f"/api/v1/loans/{lid}/reject", {"rejected_on": "2024-01-03"}).status_code == 409
    assert ok(api.post(f"/api/v1/loans/{lid}/undo-approval"))["status"] == "submitted"
    assert ok(api.post(f"/api/v1/loans/{lid}/reject", {"rejected_on": "2024-01-03"}))["status"] == "rejected"
    assert api.post(f"/api/v1/loans/{lid}/approve", {"approved_on": "2024-01-04"}).status_code == 409
    other = submit(api, loan_setup["client"], loan_setup["product"]["id"])
    assert ok(api.post(f"/api/v1/loans/{other['id']}/withdraw", {"withdrawn_on": "2024-01-02"}))["status"] == \
        "withdrawn"


def test_bad_loan_input_is_refused_naming_the_field(api: Api, loan_setup: dict[str, Any]) -> None:
    pid, cid = loan_setup["product"]["id"], loan_setup["client"]
    base = {"client_id": cid, "product_id": pid, "principal": "1000.00", "submitted_on": "2024-01-01",
            "expected_disbursement_date": "2024-01-01"}
    for field, change in (("principal", {"principal": 1000.0}), ("principal", {"principal": "10.00"}),
                          ("annual_interest_rate", {"annual_interest_rate": "99"}),
                          ("product_id", {"product_id": 999}), ("client_id", {"client_id": 999}),
                          ("submitted_on", {"submitted_on": "2022-01-01", "expected_disbursement_date": "2022-01-01"}),
                          ("principal", {"principal": "1000.001"})):
        response = api.post("/api/v1/loans", {**base, **change})
        assert response.status_code == 422, (field, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert ok(api.get("/api/v1/loans"))["items"] == []
    loan = submit(api, cid, pid)
    assert api.post(f"/api/v1/loans/{loan['id']}/repayments",
                    {"transaction_date": "2024-02-01", "amount": "10.00"}).status_code == 409
    active = active_loan(api, cid, pid)
    for body, field in (({"transaction_date": "2024-02-01", "amount": 10.5}, "amount"),
                        ({"transaction_date": "2023-12-31", "amount": "10.00"}, "transaction_date"),
                        ({"transaction_date": "2024-02-01", "amount": "10.005"}, "amount"),
                        ({"transaction_date": "2024-02-01", "amount": "-1"}, "amount"),
                        ({"transaction_date": "2099-01-01", "amount": "10.00"}, "transaction_date")):
        response = api.post(f"/api/v1/loans/{active['id']}/repayments", body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
    assert [t["type"] for t in get_loan(api, active["id"])["transactions"]] == ["disbursement"]


def test_disbursement_and_installment_fees(api: Api, loan_setup: dict[str, Any]) -> None:
    product = make_product(api, name="With fees", short_name="FEE", charges=[
        {"name": "Processing", "charge_time": "disbursement", "calculation": "percent_of_amount", "amount": "2"},
        {"name": "Service", "charge_time": "installment", "calculation": "flat", "amount": "1.00"}])
    loan = active_loan(api, loan_setup["client"], product["id"])
    disbursement = loan["transactions"][0]
    assert (disbursement["amount"], disbursement["fees"]) == ("1000.00", "20.00")
    assert {p["fees"] for p in loan["schedule"]["periods"]} == {"1.00"}
    assert loan["summary"]["fees_outstanding"] == "12.00"
    txn = repay(api, loan["id"], "89.85", "2024-02-01")
    assert (txn["principal"], txn["interest"], txn["fees"]) == ("78.85", "10.00", "1.00")
    gl = balances(api)
    assert gl["1110"] == Decimal("-980.00") + Decimal("89.85")
    assert gl["4200"] == Decimal("-21.00")
    assert gl["1210"] == Decimal("921.15")


def test_overpayment_becomes_a_credit_balance_and_a_refund_closes_the_loan(
        api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    total = Decimal(loan["summary"]["total_outstanding"])
    txn = repay(api, loan["id"], str(total + Decimal("50.00")), "2024-01-20")
    assert txn["overpayment"] == "50.00" and txn["loan_status"] == "overpaid"
    assert get_loan(api, loan["id"])["summary"]["credit_balance"] == "50.00"
    assert balances(api)["2300"] == Decimal("-50.00")
    too_much = api.post(f"/api/v1/loans/{loan['id']}/refund", {"transaction_date": "2024-01-21", "amount": "60.00"})
    assert too_much.status_code == 422
    ok(api.post(f"/api/v1/loans/{loan['id']}/refund", {"transaction_date": "2024-01-21", "amount": "50.00"}), 201)
    after = get_loan(api, loan["id"])
    assert (after["status"], after["closed_on"], after["summary"]["total_outstanding"]) == \
        ("closed", "2024-01-21", "0.00")
    gl = balances(api)
    assert gl.get("2300", Decimal(0)) == 0 and gl.get("1210", Decimal(0)) == 0


def test_payoff_quote_and_prepayment_close_the_loan(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    repay(api, loan["id"], "88.85", "2024-02-01")
    quote = ok(api.get(f"/api/v1/loans/{loan['id']}/payoff", date="2024-02-16"))
    # Installment 2 runs 2024-02-01..03-01 (29 days) with 9.21 interest: 15 days earned = 4.76.
    assert (quote["principal"], quote["interest"], quote["total"]) == ("921.15", "4.76", "925.91")
    wrong = api.post(f"/api/v1/loans/{loan['id']}/prepay", {"transaction_date": "2024-02-16", "amount": "900.00"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "amount"
    txn = ok(api.post(f"/api/v1/loans/{loan['id']}/prepay", {"transaction_date": "2024-02-16", "amount": "925.91"}),
             201)
    assert (txn["principal"], txn["interest"], txn["loan_status"]) == ("921.15", "4.76", "closed")
    view = get_loan(api, loan["id"])
    assert view["summary"]["total_outstanding"] == "0.00" and view["closed_on"] == "2024-02-16"
    # Everything not earned by the payoff day is forgiven: the schedule's interest less the 14.76 paid.
    assert Decimal(txn["interest_waived"]) == Decimal(loan["schedule"]["total_interest"]) - Decimal("14.76")
    gl = balances(api)
    assert gl.get("1210", Decimal(0)) == 0 and gl["4100"] == Decimal("-14.76")


def test_waive_interest(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    before = Decimal(loan["summary"]["interest_outstanding"])
    txn = ok(api.post(f"/api/v1/loans/{loan['id']}/waive-interest",
                      {"transaction_date": "2024-01-15", "amount": "12.00"}), 201)
    assert txn["interest"] == "12.00"
    view = get_loan(api, loan["id"])
    assert Decimal(view["summary"]["interest_outstanding"]) == before - Decimal("12.00")
    periods = view["schedule"]["periods"]
    assert (periods[0]["interest_waived"], periods[0]["interest"]) == ("10.00", "0.00")
    assert periods[1]["interest_waived"] == "2.00"
    too_much = api.post(f"/api/v1/loans/{loan['id']}/waive-interest",
                        {"transaction_date": "2024-01-15", "amount": "1000.00"})
    assert too_much.status_code == 422 and too_much.json()["errors"][0]["field"] == "amount"
    assert "4100" not in balances(api) or balances(api)["4100"] == 0  # cash basis: nothing was booked


def test_write_off_and_its_reversal(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    repay(api, loan["id"], "88.85", "2024-02-01")
    txn = ok(api.post(f"/api/v1/loans/{loan['id']}/write-off", {"transaction_date": "2024-03-15"}), 201)
    assert (txn["principal"], txn["loan_status"]) == ("921.15", "written_off")
    gl = balances(api)
    assert gl["5200"] == Decimal("921.15") and gl.get("1210", Decimal(0)) == 0
    view = get_loan(api, loan["id"])
    assert view["summary"]["total_outstanding"] == "0.00" and view["summary"]["principal_written_off"] == "921.15"
    assert api.post(f"/api/v1/loans/{loan['id']}/repayments",
                    {"transaction_date": "2024-03-16", "amount": "10.00"}).status_code == 409
    ok(api.post(f"/api/v1/loans/{loan['id']}/transactions/{txn['id']}/undo"))
    assert get_loan(api, loan["id"])["status"] == "active"
    gl = balances(api)
    assert gl.get("5200", Decimal(0)) == 0 and gl["1210"] == Decimal("921.15")


def test_reversal_replays_later_repayments_with_reversals_and_new_postings(
        api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    first = repay(api, loan["id"], "88.85", "2024-02-01")
    second = repay(api, loan["id"], "88.85", "2024-03-01")
    assert (second["principal"], second["interest"]) == ("79.64", "9.21")
    ok(api.post(f"/api/v1/loans/{loan['id']}/transactions/{first['id']}/undo"))
    view = get_loan(api, loan["id"])
    by_id = {t["id"]: t for t in view["transactions"]}
    assert by_id[first["id"]]["reversed"] is True
    # Without the first payment, the second one settles installment 1, which was overdue.
    assert (by_id[second["id"]]["principal"], by_id[second["id"]]["interest"]) == ("78.85", "10.00")
    gl = balances(api)
    assert gl["1210"] == Decimal("921.15") and gl["4100"] == Decimal("-10.00")
    entries = ok(api.get("/api/v1/journal-entries", source="loan_transaction", source_id=second["id"]))["items"]
    assert len(entries) == 3  # the first posting, its reversal, the new posting: nothing edited
    assert sum(1 for e in entries if e.get("reversal_of")) == 1


def test_back_dated_repayment_replays_the_later_one(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    later = repay(api, loan["id"], "88.85", "2024-03-01")
    assert (later["principal"], later["interest"]) == ("78.85", "10.00")  # pays overdue installment 1
    earlier = repay(api, loan["id"], "88.85", "2024-02-01")
    assert (earlier["principal"], earlier["interest"]) == ("78.85", "10.00")
    view = get_loan(api, loan["id"])
    replayed = next(t for t in view["transactions"] if t["id"] == later["id"])
    assert (replayed["principal"], replayed["interest"]) == ("79.64", "9.21")
    gl = balances(api)
    assert gl["4100"] == Decimal("-19.21") and gl["1210"] == Decimal("1000.00") - Decimal("158.49")


def test_adjust_a_repayment(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    wrong = repay(api, loan["id"], "100.00", "2024-02-01")
    fixed = ok(api.post(f"/api/v1/loans/{loan['id']}/transactions/{wrong['id']}/adjust",
                        {"transaction_date": "2024-02-02", "amount": "88.85"}), 201)
    assert (fixed["principal"], fixed["interest"], fixed["reversed"]) == ("78.85", "10.00", False)
    gl = balances(api)
    assert gl["1110"] == Decimal("-1000.00") + Decimal("88.85") and gl["4100"] == Decimal("-10.00")


def test_days_in_arrears_at_the_business_date(api: Api, loan_setup: dict[str, Any], runtime: Runtime,
                                              tenant: TenantInfo) -> None:
    set_business_date(runtime, tenant, date(2024, 3, 10))
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    summary = get_loan(api, loan["id"])["summary"]
    assert (summary["days_in_arrears"], summary["delinquency_bucket"]) == (38, "31-60")  # due 2024-02-01
    assert summary["total_overdue"] == "177.70"
    repay(api, loan["id"], "88.85", "2024-03-05")
    assert get_loan(api, loan["id"])["summary"]["days_in_arrears"] == 9  # next unpaid: due 2024-03-01
    repay(api, loan["id"], "88.85", "2024-03-10")
    assert get_loan(api, loan["id"])["summary"]["days_in_arrears"] == 0
    set_business_date(runtime, tenant, date(2024, 4, 1))  # due on the business date itself: not in arrears
    assert get_loan(api, loan["id"])["summary"]["days_in_arrears"] == 0


def test_undo_disbursal_reverses_everything(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    repay(api, loan["id"], "88.85", "2024-02-01")
    undone = ok(api.post(f"/api/v1/loans/{loan['id']}/undo-disbursal", {}))
    assert undone["status"] == "approved" and undone["summary"]["total_outstanding"] == "0.00"
    assert all(t["reversed"] for t in undone["transactions"])
    assert all(v == 0 for v in balances(api).values())
    again = ok(api.post(f"/api/v1/loans/{loan['id']}/disburse", {"disbursed_on": "2024-01-05"}))
    assert again["status"] == "active" and balances(api)["1210"] == Decimal("1000.00")


def test_idempotent_repayment_posts_once(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    body = {"transaction_date": "2024-02-01", "amount": "88.85"}
    first = api.post(f"/api/v1/loans/{loan['id']}/repayments", body, headers={"Idempotency-Key": "k-1"})
    again = api.post(f"/api/v1/loans/{loan['id']}/repayments", body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert len(get_loan(api, loan["id"])["transactions"]) == 2
    assert balances(api)["1210"] == Decimal("921.15")


def test_group_loan_officers_and_lists(api: Api, loan_setup: dict[str, Any]) -> None:
    office = loan_setup["office"]
    officer = ok(api.post("/api/v1/staff", {"office_id": office, "first_name": "Grace", "last_name": "Wanjiru",
                                            "is_loan_officer": True}), 201)["id"]
    other = ok(api.post("/api/v1/staff", {"office_id": office, "first_name": "Peter", "last_name": "Otieno",
                                          "is_loan_officer": True}), 201)["id"]
    clerk = ok(api.post("/api/v1/staff", {"office_id": office, "first_name": "Sam", "last_name": "Clerk"}), 201)["id"]
    group = ok(api.post("/api/v1/groups", {"office_id": office, "name": "Umoja", "activation_date": "2023-06-01",
                                           "client_ids": [loan_setup["client"]]}), 201)["id"]
    body = {"group_id": group, "product_id": loan_setup["product"]["id"], "principal": "5000.00",
            "submitted_on": "2024-01-01", "expected_disbursement_date": "2024-01-08", "loan_officer_id": officer}
    group_loan = ok(api.post("/api/v1/loans", body), 201)
    assert (group_loan["group_id"], group_loan["client_id"], group_loan["loan_officer_id"]) == (group, None, officer)
    bad = api.post(f"/api/v1/loans/{group_loan['id']}/assign-officer", {"staff_id": clerk, "assigned_on": "2024-01-02"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "staff_id"
    moved = ok(api.post(f"/api/v1/loans/{group_loan['id']}/assign-officer",
                        {"staff_id": other, "assigned_on": "2024-01-02"}))
    assert moved["loan_officer_id"] == other
    client_loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    assert [x["id"] for x in ok(api.get("/api/v1/loans", loan_officer_id=other))["items"]] == [group_loan["id"]]
    assert [x["id"] for x in ok(api.get("/api/v1/loans", status="active"))["items"]] == [client_loan["id"]]
    assert [x["id"] for x in ok(api.get(f"/api/v1/groups/{group}/loans"))["items"]] == [group_loan["id"]]
    client_loans = ok(api.get(f"/api/v1/clients/{loan_setup['client']}/loans"))["items"]
    assert [x["id"] for x in client_loans] == [client_loan["id"]]
    page = ok(api.get("/api/v1/loans", limit=1))
    assert len(page["items"]) == 1 and page["next_cursor"] is not None
    assert api.get("/api/v1/loans", status="sleeping").status_code == 422


def test_specified_charge_and_its_waiver(api: Api, loan_setup: dict[str, Any]) -> None:
    loan = active_loan(api, loan_setup["client"], loan_setup["product"]["id"])
    charge = ok(api.post(f"/api/v1/loans/{loan['id']}/charges",
                         {"name": "Statement fee", "amount": "3.00", "due_date": "2024-02-01"}), 201)
    assert charge["installment"] == 1
    assert get_loan(api, loan["id"])["schedule"]["periods"][0]["fees"] == "3.00"
    waived = ok(api.post(f"/api/v1/loans/{loan['id']}/waive-charge",
                         {"charge_id": charge["id"], "transaction_date": "2024-01-20"}), 201)
    assert waived["fees"] == "3.00"
    assert get_loan(api, loan["id"])["summary"]["fees_outstanding"] == "0.00"


def test_demo_loans_cover_every_state(api: Api, runtime: Runtime, tenant: TenantInfo) -> None:
    from akiba.loans.demo import populate_demo

    office = make_office(api)
    clients = [make_client(api, office, f"Client{i}", "Demo") for i in range(7)]
    group = ok(api.post("/api/v1/groups", {"office_id": office, "name": "Tumaini", "activation_date": "2023-06-01",
                                           "client_ids": clients[:2]}), 201)["id"]
    populate_demo(runtime, tenant)
    populate_demo(runtime, tenant)  # a second call adds nothing
    assert len(ok(api.get("/api/v1/loan-products"))["items"]) == 3
    loans = ok(api.get("/api/v1/loans", limit=100))["items"]
    states = sorted(x["status"] for x in loans)
    assert states == sorted(["submitted", "approved", "rejected", "active", "active", "closed", "written_off",
                             "active", "active"])
    summaries = [ok(api.get(f"/api/v1/loans/{x['id']}"))["summary"] for x in loans if x["status"] == "active"]
    assert any(s["days_in_arrears"] > 0 for s in summaries) and any(s["days_in_arrears"] == 0 for s in summaries)
    assert [x["group_id"] for x in loans if x["group_id"]] == [group]
    balances(api)  # the trial balance still balances


def _closed_for(runtime: Runtime, tenant: TenantInfo, loan_id: int) -> date | None:
    with runtime.session(tenant) as s:
        value: date | None = s.scalar(text("SELECT closed_for FROM cob_marks WHERE kind = 'loan' AND entity_id = :l"),
                                      {"l": loan_id})
    return value


def test_a_command_on_a_loan_left_behind_runs_its_close_of_business_first(api: Api, loan_setup: dict[str, Any],
                                                                         runtime: Runtime, tenant: TenantInfo) -> None:
    product = make_product(api, name="Penalised", short_name="PEN", charges=[
        {"name": "Late", "charge_time": "overdue_installment", "calculation": "flat", "amount": "5.00",
         "penalty": True, "grace_days": 3}])
    behind = active_loan(api, loan_setup["client"], product["id"])["id"]
    never_closed = active_loan(api, loan_setup["client"], product["id"])["id"]
    set_business_date(runtime, tenant, date(2024, 1, 21))
    with runtime.session(tenant) as s:  # the batch closed 2024-01-20 for the first loan only
        assert ensure_closed(s, behind) is True
        commit(s)
    set_business_date(runtime, tenant, date(2024, 2, 10))  # the closes of 2024-01-21..2024-02-09 have not run

    paid = repay(api, behind, "20.00", "2024-02-10")
    # the close of 2024-02-09 ran first: the penalty of the installment due 2024-02-01 (past 3 days' grace) was
    # charged, so the repayment pays it first, and the loan is marked closed for 2024-02-09
    assert (paid["penalties"], paid["interest"], paid["principal"]) == ("5.00", "10.00", "5.00")
    assert _closed_for(runtime, tenant, behind) == date(2024, 2, 9)
    assert [c["charged_on"] for c in get_loan(api, behind)["charges"] if c["penalty"]] == ["2024-02-05"]
    # a second command finds it closed: nothing is charged twice
    assert repay(api, behind, "1.00", "2024-02-10")["penalties"] == "0.00"
    assert sum(c["penalty"] for c in get_loan(api, behind)["charges"]) == 1

    # as Fineract's inline close: a loan close of business never reached is not behind; the next run closes it
    untouched = repay(api, never_closed, "20.00", "2024-02-10")
    assert (untouched["penalties"], untouched["interest"]) == ("0.00", "10.00")
    assert _closed_for(runtime, tenant, never_closed) is None
