"""Close of business's non-accrual rule: from N days in arrears a loan is flagged, accrues nothing, and catches up
what it earned once it is current again; entering and leaving are events; a chunk closed twice changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from cob_fixtures import (
    active_loan,
    build,
    client,
    close_day,
    close_days,
    gl,
    loan_product,
    office,
    ok,
    portfolios,
    repay,
    snapshot,
)
from conftest import Api, api_for, new_tenant
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from akiba.cob import steps
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime

RECEIVABLE = "1220"  # interest receivable in the standard chart: what close of business accrued, not yet paid
# 1,000 over 12 months at 1 % a month (360/30): installments of 88.85. The first, due 2024-02-01, is 10.00 of
# interest and 78.85 of principal; the second (2024-02-01 to 2024-03-01, 29 days) 921.15 x 1 % = 9.2115 -> 9.21.
FIRST_INTEREST, SECOND_INTEREST, SECOND_DAYS = Decimal("10.00"), Decimal("9.21"), 29


def accrued_after(days_into_second: int) -> Decimal:
    """Interest earned by the end of a day `days_into_second` days into the second period, rounded to cents."""
    return (FIRST_INTEREST + SECOND_INTEREST * days_into_second / SECOND_DAYS).quantize(Decimal("0.01"))


def state(runtime: Runtime, api: Api, loan: int) -> tuple[Any, ...]:
    with runtime.session(api.tenant) as s:
        return tuple(s.execute(text("SELECT days_in_arrears, accrued_interest, non_accrual FROM cob_loan_state "
                                    "WHERE loan_id = :l"), {"l": loan}).one())


def events(runtime: Runtime, api: Api) -> list[tuple[str, int, str, int, str]]:
    rows = snapshot(runtime, api.tenant)["non_accrual_events"]
    return [(kind, loan, p["business_date"], p["days_in_arrears"], p["accrued_interest"]) for kind, loan, p in rows]


def test_a_loan_stops_accruing_at_the_threshold_and_catches_up_when_current(api: Api, runtime: Runtime) -> None:
    cid = client(api, office(api))
    ruled = loan_product(api, charges=[], non_accrual_after_days=5)
    unruled = loan_product(api, name="No rule", short_name="NOR", charges=[])
    loan = active_loan(api, cid, ruled)
    other = active_loan(api, cid, unruled)  # as late, but its product has no rule: it accrues throughout

    close_day(runtime, api.tenant, date(2024, 2, 4))
    # at 2024-02-05 the installment due 2024-02-01 is 4 days late: below 5, still accruing
    # 10.00 + 9.21 x 4/29 = 11.2703 -> 11.27
    before = accrued_after(4)
    assert before == Decimal("11.27")
    assert state(runtime, api, loan) == (4, before, False)
    assert ok(api.get(f"/api/v1/loans/{loan}"))["summary"]["non_accrual"] is False

    close_day(runtime, api.tenant, date(2024, 2, 5))
    # at 2024-02-06, 5 days late: non-accrual; the day's accrual (9.21/29 = 0.32) is not made, 11.27 stays
    assert state(runtime, api, loan) == (5, before, True)
    assert state(runtime, api, other) == (5, accrued_after(5), False)  # 10.00 + 9.21 x 5/29 = 11.5879 -> 11.59
    assert ok(api.get(f"/api/v1/loans/{loan}"))["summary"]["non_accrual"] is True
    assert events(runtime, api) == [("loan.non_accrual_entered", loan, "2024-02-06", 5, "11.27")]

    close_day(runtime, api.tenant, date(2024, 2, 10))
    assert state(runtime, api, loan) == (10, before, True)  # 2024-02-11: still nothing accrued, no second event
    assert len(events(runtime, api)) == 1
    # the receivable holds both loans' accruals: 11.27 + (10.00 + 9.21 x 10/29 = 13.1759 -> 13.18)
    assert gl(runtime, api.tenant, RECEIVABLE) == before + accrued_after(10)

    # paying the late installment (its 10.00 of interest was accrued: it settles the receivable) makes it current
    repay(api, loan, "88.85", "2024-02-11")
    assert gl(runtime, api.tenant, RECEIVABLE) == before - FIRST_INTEREST + accrued_after(10)
    close_day(runtime, api.tenant, date(2024, 2, 11))
    # current at 2024-02-12: out of non-accrual, accrued up to everything earned: 10.00 + 9.21 x 11/29 = 13.49,
    # the catch-up of 13.49 - 11.27 = 2.22 (the seven days missed and this one) posted with the day's accruals
    caught_up = accrued_after(11)
    assert caught_up - before == Decimal("2.22")
    assert state(runtime, api, loan) == (0, caught_up, False)
    assert ok(api.get(f"/api/v1/loans/{loan}"))["summary"]["non_accrual"] is False
    assert events(runtime, api)[1:] == [("loan.non_accrual_left", loan, "2024-02-12", 0, "13.49")]
    assert gl(runtime, api.tenant, RECEIVABLE) == caught_up - FIRST_INTEREST + accrued_after(11)


def test_closing_a_chunk_twice_flags_accrues_and_tells_once(api: Api, runtime: Runtime) -> None:
    cid = client(api, office(api))
    product = loan_product(api, charges=[], non_accrual_after_days=3)
    entering = active_loan(api, cid, product)
    leaving = active_loan(api, cid, product)
    close_day(runtime, api.tenant, date(2024, 2, 9))
    repay(api, leaving, "88.85", "2024-02-10")  # current again: leaves non-accrual at the next close
    day = date(2024, 2, 10)
    close_day(runtime, api.tenant, day)
    once = snapshot(runtime, api.tenant)
    assert [(e[0], e[1]) for e in once["non_accrual_events"]] == [
        ("loan.non_accrual_entered", entering), ("loan.non_accrual_entered", leaving),
        ("loan.non_accrual_left", leaving)]
    # the same chunk's step again (a retried job whose marks were lost): no event, no accrual, same state
    with runtime.session(api.tenant) as s:
        assert steps.close_loans(s, [entering, leaving], day) == {}
        steps.post_staged_accruals(s, day)
        commit(s)
    assert snapshot(runtime, api.tenant) == once


def test_the_rule_is_a_product_setting_validated_and_clearable(api: Api) -> None:
    product = loan_product(api, non_accrual_after_days=90)
    assert ok(api.get(f"/api/v1/loan-products/{product}"))["non_accrual_after_days"] == 90
    refused = api.put(f"/api/v1/loan-products/{product}", {"non_accrual_after_days": 0})
    assert refused.status_code == 422 and "non_accrual_after_days" in refused.text
    assert ok(api.get(f"/api/v1/loan-products/{product}"))["non_accrual_after_days"] == 90
    assert ok(api.put(f"/api/v1/loan-products/{product}", {"non_accrual_after_days": None}))[
        "non_accrual_after_days"] is None
    never = loan_product(api, name="Never", short_name="NEV")
    assert ok(api.get(f"/api/v1/loan-products/{never}"))["non_accrual_after_days"] is None


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(portfolio=portfolios, threshold=st.integers(min_value=1, max_value=60), first=close_days,
       gap=st.integers(min_value=1, max_value=45))
def test_the_flag_follows_the_threshold_a_flagged_loan_accrues_nothing_and_a_rerun_changes_nothing(
        app_client: TestClient, runtime: Runtime, portfolio: list[tuple[str, int]], threshold: int, first: date,
        gap: int) -> None:
    api = api_for(app_client, new_tenant(runtime))
    build(api, runtime, portfolio, first, non_accrual_after_days=threshold)
    close_day(runtime, api.tenant, first)
    before = {row[0]: row for row in snapshot(runtime, api.tenant)["state"]}
    second = first + timedelta(days=gap)
    close_day(runtime, api.tenant, second)
    once = snapshot(runtime, api.tenant)
    for loan, _, days, _, _, accrued, flagged in once["state"]:
        assert flagged == (days >= threshold)
        if flagged and before[loan][6]:  # flagged at both closes, no payment between: not a cent more accrued
            assert accrued == before[loan][5]
    entered = sum(1 for e in once["non_accrual_events"] if e[0] == "loan.non_accrual_entered")
    left = sum(1 for e in once["non_accrual_events"] if e[0] == "loan.non_accrual_left")
    assert entered - left == sum(1 for row in once["state"] if row[6])
    # the chunk's step again for the same day: the same flags, accruals, journal and non-accrual events (the
    # installments' due/overdue events are the chunk mark's to guard, which this bypasses)
    with runtime.session(api.tenant) as s:
        steps.close_loans(s, [row[0] for row in once["state"]], second)
        steps.post_staged_accruals(s, second)
        commit(s)
    again = snapshot(runtime, api.tenant)
    assert {k: v for k, v in again.items() if k != "events"} == {k: v for k, v in once.items() if k != "events"}
