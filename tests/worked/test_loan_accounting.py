"""A worked loan, every journal amount checked against the trial balance to the cent.

1,000.00 USD at 12% a year over 12 months (EMI 88.85), a 2% processing fee kept back at disbursement, a 1.00
service fee per installment, and a 5.00 late penalty charged by close of business 3 days after a missed due date.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from conftest import Api
from sqlalchemy import text

from akiba.cob.service import ensure_closed
from akiba.loans.service.payments import apply_overdue_penalties
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
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


def _close_of_business(runtime: Runtime, tenant: TenantInfo, as_of: date) -> int:
    with runtime.session(tenant) as s:
        charged = apply_overdue_penalties(s, as_of)
        commit(s)
    return charged


def test_disburse_penalise_repay_close_with_the_books_balanced(api: Api, runtime: Runtime,
                                                               tenant: TenantInfo) -> None:
    office = make_office(api)
    product = make_product(api, charges=[
        {"name": "Processing", "charge_time": "disbursement", "calculation": "percent_of_amount", "amount": "2"},
        {"name": "Service", "charge_time": "installment", "calculation": "flat", "amount": "1.00"},
        {"name": "Late", "charge_time": "overdue_installment", "calculation": "flat", "amount": "5.00",
         "penalty": True, "grace_days": 3}])
    loan: dict[str, Any] = active_loan(api, make_client(api, office), product["id"])
    gl = balances(api)
    assert (gl["1210"], gl["1110"], gl["4200"]) == (Decimal("1000.00"), Decimal("-980.00"), Decimal("-20.00"))

    assert _close_of_business(runtime, tenant, date(2024, 2, 4)) == 0  # still inside the 3 grace days
    assert _close_of_business(runtime, tenant, date(2024, 2, 10)) == 1
    assert _close_of_business(runtime, tenant, date(2024, 2, 10)) == 0  # a second run charges nothing twice
    view = ok(api.get(f"/api/v1/loans/{loan['id']}"))
    assert view["summary"]["penalties_outstanding"] == "5.00"
    assert [(c["name"], c["charged_on"], c["installment"]) for c in view["charges"] if c["penalty"]] == [
        ("Late", "2024-02-05", 1)]
    assert balances(api).get("4300", Decimal(0)) == 0  # cash basis: a penalty is income when paid

    txn = repay(api, loan["id"], "94.85", "2024-02-10")
    assert (txn["penalties"], txn["fees"], txn["interest"], txn["principal"]) == ("5.00", "1.00", "10.00", "78.85")
    gl = balances(api)
    assert gl["1210"] == Decimal("921.15")
    assert gl["1110"] == Decimal("-980.00") + Decimal("94.85")
    assert (gl["4100"], gl["4200"], gl["4300"]) == (Decimal("-10.00"), Decimal("-21.00"), Decimal("-5.00"))

    rest = ok(api.get(f"/api/v1/loans/{loan['id']}"))["summary"]["total_outstanding"]
    final = repay(api, loan["id"], rest, "2024-02-10")
    assert final["loan_status"] == "closed"
    closed = ok(api.get(f"/api/v1/loans/{loan['id']}"))
    total_interest = Decimal(closed["schedule"]["total_interest"])
    gl = balances(api)
    assert gl.get("1210", Decimal(0)) == 0
    assert gl["4100"] == -total_interest
    assert gl["4200"] == Decimal("-32.00")  # 20.00 processing + 12 x 1.00 service
    assert gl["4300"] == Decimal("-5.00")
    # Cash out 980.00; cash in principal + interest + fees + penalty: the fund source holds the income.
    assert gl["1110"] == total_interest + Decimal("37.00")


def _close(runtime: Runtime, tenant: TenantInfo, loan_id: int, day: date) -> None:
    """The close of business of `day` for the loan (the batch's own steps and postings, run inline)."""
    set_business_date(runtime, tenant, day + timedelta(days=1))
    with runtime.session(tenant) as s:
        assert ensure_closed(s, loan_id) is True
        commit(s)


def _books(api: Api) -> defaultdict[str, Decimal]:
    return defaultdict(Decimal, balances(api))


def _cents(value: str) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def test_accrual_accounting_books_interest_once_whether_accrued_or_paid_first(api: Api, runtime: Runtime,
                                                                            tenant: TenantInfo) -> None:
    """1,000.00 at 12 % (360/30 days) over 12 months: January's interest is 10.00, spread over its 31 days by
    close of business. Receivable holds what was accrued and not paid; income is always what was earned."""
    office = make_office(api)
    product = make_product(api, accounting_rule="accrual_periodic", charges=[
        {"name": "Late", "charge_time": "overdue_installment", "calculation": "flat", "amount": "5.00",
         "penalty": True, "grace_days": 3}])
    loan_id = int(active_loan(api, make_client(api, office), product["id"])["id"])

    _close(runtime, tenant, loan_id, date(2024, 1, 10))  # 10 of 31 days: 3.2258 -> 3.23
    gl = _books(api)
    assert (gl["1220"], gl["4100"]) == (Decimal("3.23"), Decimal("-3.23"))

    # Paying January's installment early: 3.23 clears the receivable, only the 6.77 not accrued yet is income.
    first = repay(api, loan_id, "88.85", "2024-01-11")
    assert (first["interest"], first["principal"]) == ("10.00", "78.85")
    gl = _books(api)
    assert (gl["1220"], gl["4100"], gl["1210"]) == (Decimal("0.00"), Decimal("-10.00"), Decimal("921.15"))

    # Closing further into January accrues nothing more: that interest is income already, never receivable.
    _close(runtime, tenant, loan_id, date(2024, 1, 15))
    gl = _books(api)
    assert (gl["1220"], gl["4100"]) == (Decimal("0.00"), Decimal("-10.00"))

    # Reversing the payment brings back what close of business earned through 2024-01-15: 15/31 of 10.00.
    ok(api.post(f"/api/v1/loans/{loan_id}/transactions/{first['id']}/undo", {}))
    gl = _books(api)
    assert (gl["1220"], gl["4100"], gl["1210"]) == (Decimal("4.84"), Decimal("-4.84"), Decimal("1000.00"))
    again = repay(api, loan_id, "88.85", "2024-01-16")
    assert again["interest"] == "10.00"
    gl = _books(api)
    assert (gl["1220"], gl["4100"]) == (Decimal("0.00"), Decimal("-10.00"))

    # February's installment (due 2024-03-01) is missed: interest accrues, a penalty is booked when charged.
    _close(runtime, tenant, loan_id, date(2024, 3, 5))
    view = ok(api.get(f"/api/v1/loans/{loan_id}"))
    february = Decimal(view["schedule"]["periods"][1]["interest"])
    march = Decimal(view["schedule"]["periods"][2]["interest"])
    march_earned = _cents(str(march * 5 / 31))  # 2024-03-01..05 of March's 31 days
    gl = _books(api)
    assert view["summary"]["penalties_outstanding"] == "5.00"
    assert gl["1220"] == february + march_earned
    assert gl["4100"] == -(Decimal("10.00") + february + march_earned)
    assert (gl["1240"], gl["4300"]) == (Decimal("5.00"), Decimal("-5.00"))

    # Paying everything off on 2024-03-06 (all the schedule's interest, as the contract's repayment does): the
    # receivables clear and the interest not accrued yet is income now. Income = all the interest, once.
    rest = view["summary"]["total_outstanding"]
    final = repay(api, loan_id, rest, "2024-03-06")
    assert final["loan_status"] == "closed"
    total_interest = Decimal(ok(api.get(f"/api/v1/loans/{loan_id}"))["schedule"]["total_interest"])
    gl = _books(api)
    assert gl["1220"] == 0 and gl["1240"] == 0 and gl["1210"] == 0
    assert gl["4100"] == -total_interest
    assert gl["4300"] == Decimal("-5.00")
    assert gl["1110"] == Decimal("-1000.00") + Decimal("88.85") + Decimal(rest)
    assert Decimal("88.85") + Decimal(rest) == Decimal("1000.00") + total_interest + Decimal("5.00")


def test_bulk_penalties_equal_the_per_loan_path(api: Api, runtime: Runtime, tenant: TenantInfo) -> None:
    """Two identical portfolios, one penalised loan by loan and one set-based: same charges, installments,
    balances and penalty income, whatever the loan's state (unpaid, partly paid, paid after the penalty day)."""
    from akiba.loans.service.penalties import apply_overdue_penalties_bulk

    office = make_office(api)
    client = make_client(api, office)
    flat = make_product(api, name="Flat late", short_name="FL", accounting_rule="accrual_periodic", charges=[
        {"name": "Late", "charge_time": "overdue_installment", "calculation": "flat", "amount": "5.00",
         "penalty": True, "grace_days": 3}])
    percent = make_product(api, name="Percent late", short_name="PL", charges=[
        {"name": "Late %", "charge_time": "overdue_installment", "calculation": "percent_of_overdue",
         "amount": "2", "penalty": True, "grace_days": 0}])
    payments: list[list[tuple[str, str]]] = [[], [("88.85", "2024-02-01")], [("30.00", "2024-02-03")],
                                             [("50.00", "2024-03-20")]]
    groups: list[list[int]] = [[], []]
    for group in groups:
        for product in (flat, percent):
            for paid in payments:
                loan_id = int(active_loan(api, client, product["id"])["id"])
                for amount, on in paid:
                    repay(api, loan_id, amount, on)
                group.append(loan_id)
    set_business_date(runtime, tenant, date(2024, 3, 21))
    with runtime.session(tenant) as s:
        per_loan = apply_overdue_penalties(s, date(2024, 3, 10), groups[0])
        bulk = apply_overdue_penalties_bulk(s, groups[1], date(2024, 3, 10))
        assert apply_overdue_penalties_bulk(s, groups[1], date(2024, 3, 10)) == 0  # once per installment
        commit(s)
    assert per_loan == bulk > 0
    with runtime.session(tenant) as s:
        def state(loan_id: int) -> tuple[Any, ...]:
            loan = s.execute(text("SELECT status, principal_outstanding, interest_outstanding, fees_outstanding, "
                                  "penalties_outstanding, last_event_date FROM loans WHERE id = :l"),
                             {"l": loan_id}).one()
            rows = s.execute(text("SELECT n, penalties, paid_penalties, paid_date FROM loan_installments "
                                  "WHERE loan_id = :l ORDER BY n"), {"l": loan_id}).all()
            charges = s.execute(text("SELECT name, amount, charged_on, installment_n FROM loan_charges "
                                     "WHERE loan_id = :l ORDER BY installment_n"), {"l": loan_id}).all()
            splits = s.execute(text("SELECT principal, interest, penalties FROM loan_transactions "
                                    "WHERE loan_id = :l AND NOT reversed ORDER BY id"), {"l": loan_id}).all()
            return tuple(loan), [tuple(r) for r in rows], [tuple(c) for c in charges], [tuple(t) for t in splits]

        for one, other in zip(groups[0], groups[1], strict=True):
            assert state(one) == state(other)
        income = {source: Decimal(total) for source, total in s.execute(text(
            "SELECT e.source, sum(l.amount) FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id "
            "JOIN gl_accounts g ON g.id = l.gl_account_id WHERE g.gl_code = '4300' AND l.side = 'credit' "
            "AND e.source IN ('loan_charge', 'cob_penalty') GROUP BY 1"))}
    # the accrual product books its penalties when charged: 5.00 for each of February's and March's installments
    # still unpaid on 2024-03-10 (2 + 1 + 2 + 2 per portfolio); the loan paid after its penalty days goes through
    # the per-loan path in both (its repayment's split changes); the bulk group's other three post 25.00 in one entry
    assert income == {"loan_charge": Decimal("35.00") + Decimal("10.00"), "cob_penalty": Decimal("25.00")}
