"""Close of business on loans: arrears and buckets with history, penalties, accruals, events, errors, inline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cob_fixtures import active_loan, client, close_day, gl, loan_product, office, repay, set_business_date, snapshot
from conftest import Api
from sqlalchemy import text

from akiba.cob import service, steps
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime


def test_a_missed_installment_ages_into_a_bucket_is_penalised_once_and_interest_accrues(
        api: Api, runtime: Runtime) -> None:
    cid = client(api, office(api))
    product = loan_product(api)
    late = active_loan(api, cid, product)
    paying = active_loan(api, cid, product)
    repay(api, paying, "88.85", "2024-02-01")  # the first installment of 1,000 at 1 % a month over 12

    first = close_day(runtime, api.tenant, date(2024, 2, 1))
    assert (first["status"], first["loans_closed"], first["errors"]) == ("completed", 2, [])
    snap = snapshot(runtime, api.tenant)
    assert snap["date"] == [(date(2024, 2, 2),)]
    # at 2024-02-02 the installment due 2024-02-01 is 1 day late; the paying loan is current
    states = {row[0]: row for row in snap["state"]}
    assert states[late][2:5] == (1, date(2024, 2, 1), "1-30")
    assert states[paying][2:5] == (0, None, None)
    assert snap["history"] == [(late, "1-30", date(2024, 2, 2), None)]
    assert [(e[0], e[1]) for e in snap["events"]] == [("loan.installment_overdue", late)]
    # accrued through 2024-02-01: January's 10.00 and 1 of the 29 days of the second installment's interest
    with runtime.session(api.tenant) as s:
        second = Decimal(s.scalar(text("SELECT interest FROM loan_installments WHERE loan_id = :l AND n = 2"),
                                  {"l": late}))
    accrued = Decimal("10.00") + (second / 29).quantize(Decimal("0.01"))
    assert states[late][5] == accrued
    # the paying loan settled its 10.00 of January interest before it was accrued: income then, never receivable
    assert gl(runtime, api.tenant, "1220") == states[late][5] + states[paying][5] - Decimal("10.00")
    assert snap["charges"] == []  # penalty day is the day after the grace: 2024-02-02

    second_close = close_day(runtime, api.tenant, date(2024, 2, 2))
    assert second_close["status"] == "completed"
    snap2 = snapshot(runtime, api.tenant)
    assert snap2["charges"] == [(late, 1, Decimal("10.000000"), date(2024, 2, 2))]
    assert {r[0]: r[2] for r in snap2["state"]}[late] == 2


def test_an_entity_with_bad_data_is_recorded_and_skipped(api: Api, runtime: Runtime) -> None:
    cid = client(api, office(api))
    good = active_loan(api, cid, loan_product(api))
    broken_product = loan_product(api, name="Broken", short_name="BRK")
    bad = active_loan(api, cid, broken_product)
    with runtime.session(api.tenant) as s:  # a bucket without its lower bound: bad data from an import
        s.execute(text("UPDATE loan_products SET delinquency_buckets = '[{\"name\": \"x\"}]' WHERE id = :p"),
                  {"p": broken_product})
        s.commit()
    view = close_day(runtime, api.tenant, date(2024, 3, 10), chunk_size=1)
    assert view["status"] == "completed_with_errors"
    assert view["loans_closed"] == 1
    [chunk] = view["errors"]
    assert chunk["errors"][0]["id"] == bad and "KeyError" in chunk["errors"][0]["error"]
    snap = snapshot(runtime, api.tenant)
    assert [row[0] for row in snap["state"]] == [good]
    assert snap["date"] == [(date(2024, 3, 11),)]  # the day closed all the same


def test_inline_close_brings_a_loan_up_to_date_and_the_batch_then_skips_it(api: Api, runtime: Runtime) -> None:
    cid = client(api, office(api))
    loan = active_loan(api, cid, loan_product(api))
    set_business_date(runtime, api.tenant, date(2024, 2, 6))  # the close of 2024-02-05 has not run
    with runtime.session(api.tenant) as s:
        assert service.ensure_closed(s, loan) is True
        assert service.ensure_closed(s, loan) is False  # closed once
        commit(s)
    state = snapshot(runtime, api.tenant)["state"]
    assert state[0][1:5] == (date(2024, 2, 6), 5, date(2024, 2, 1), "1-30")
    journal = snapshot(runtime, api.tenant)["journal"]
    # the batch for 2024-02-05 finds the loan closed and posts nothing more
    with runtime.session(api.tenant) as s:
        s.execute(text("UPDATE tenant_settings SET business_date = '2024-02-05'"))
        s.commit()
    view = close_day(runtime, api.tenant, date(2024, 2, 5))
    assert (view["status"], view["loans_closed"]) == ("completed", 0)
    assert snapshot(runtime, api.tenant)["journal"] == journal


def test_chunks_stage_accruals_and_the_final_job_posts_one_entry_per_product(api: Api, runtime: Runtime) -> None:
    cid = client(api, office(api))
    product = loan_product(api)
    loans = [active_loan(api, cid, product, principal) for principal in ("1000.00", "2500.00", "700.00")]
    view = close_day(runtime, api.tenant, date(2024, 2, 14), chunk_size=1)  # three chunks, one loan each
    assert (view["status"], view["chunks_total"], view["loans_closed"]) == ("completed", 3, 3)
    with runtime.session(api.tenant) as s:
        staged = s.execute(text("SELECT amount, entry_id FROM cob_staged_accruals WHERE kind = 'interest' "
                                "ORDER BY id")).all()
        penalties = s.execute(text("SELECT amount, entry_id FROM cob_staged_accruals WHERE kind = 'penalty' "
                                   "ORDER BY id")).all()
        entries = s.execute(text("SELECT id, transaction_date FROM journal_entries WHERE source = 'cob_accrual'")).all()
        penalty_entries = s.execute(text("SELECT id, transaction_date FROM journal_entries "
                                         "WHERE source = 'cob_penalty'")).all()
        accrued = {r.loan_id: Decimal(r.accrued_interest) for r in s.execute(
            text("SELECT loan_id, accrued_interest FROM cob_loan_state"))}
        rows = s.execute(text("SELECT loan_id, from_date, due_date, interest FROM loan_installments "
                              "WHERE interest > 0 ORDER BY loan_id, n")).all()
    # each chunk staged its own total; one journal entry carries the three, dated the closed day
    assert len(staged) == 3 and len(entries) == 1 and entries[0][1] == date(2024, 2, 14)
    assert {r.entry_id for r in staged} == {entries[0][0]}
    assert sum(Decimal(r.amount) for r in staged) == sum(accrued.values()) == gl(runtime, api.tenant, "1220")
    # the late fee of 1 February's installment (10.00 each) is staged too, and booked by the same final job
    assert [Decimal(r.amount) for r in penalties] == [Decimal("10.00")] * 3
    assert len(penalty_entries) == 1 and penalty_entries[0][1] == date(2024, 2, 14)
    assert {r.entry_id for r in penalties} == {penalty_entries[0][0]}
    assert gl(runtime, api.tenant, "1240") == Decimal("30.00") == -gl(runtime, api.tenant, "4300")
    # the accrual computed in SQL is the Python reference's, loan by loan
    for loan in loans:
        mine = [(r.from_date, r.due_date, Decimal(r.interest)) for r in rows if r.loan_id == loan]
        assert accrued[loan] == steps.accrued_through(date(2024, 2, 14), mine, 2)
