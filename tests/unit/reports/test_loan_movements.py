"""A loan statement's lines (pure): a worked month, and invariants over random schedules and payments.

The random loans are paid with an allocator written here (each installment oldest first: fees, interest,
principal), so payments may run ahead of the schedule; the expected balance of any day is computed apart
from the module: principal left, plus per component what fell due by then less what was paid, never below
zero (what was paid ahead is charged the day it is paid).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from akiba.reports.loan_movements import Charge, Row, Txn, loan_history

D = Decimal
START = date(2024, 1, 1)


def _due(n: int) -> date:
    return date(2024 + n // 12, n % 12 + 1, 1)


def test_a_late_month_with_a_penalty_waived() -> None:
    rows = [Row(1, date(2024, 2, 1), D("10.00"), D("1.00"), D(0)),
            Row(2, date(2024, 3, 1), D("9.21"), D("1.00"), D("5.00"), waived_penalties=D("5.00"))]
    charges = [Charge(7, date(2024, 2, 20), "Late visit", True, D("5.00"), 2)]
    txns = [Txn(1, "disbursement", START, D("1000.00")),
            Txn(2, "repayment", date(2024, 2, 10), D("6.00"), interest=D("5.00"), fees=D("1.00")),
            Txn(3, "waive_charge", date(2024, 2, 25), D("5.00"), penalties=D("5.00"), charge_id=7)]
    h = loan_history(rows, charges, txns, date(2024, 2, 1), date(2024, 3, 1), 2)
    assert (h.opening, h.opening_principal) == (D("1000.00"), D("1000.00"))
    assert [(ln.on.day, ln.debit, ln.credit, ln.balance) for ln in h.lines] == [
        (1, D("10.00"), 0, D("1010.00")), (1, D("1.00"), 0, D("1011.00")),  # installment 1 falls due
        (10, 0, D("6.00"), D("1005.00")),  # 5.00 of its interest still owed
        (20, D("5.00"), 0, D("1010.00")), (25, 0, D("5.00"), D("1005.00")),  # penalty charged, then waived
        (1, D("9.21"), 0, D("1014.21")), (1, D("1.00"), 0, D("1015.21"))]  # March 1: installment 2
    assert h.lines[3].description == "Penalties charged: Late visit"
    assert (h.totals.charged["penalties"], h.totals.waived["penalties"]) == (D("5.00"), D("5.00"))


@st.composite
def loans(draw: st.DrawFn) -> tuple[list[Row], list[Txn]]:
    count = draw(st.integers(1, 6))
    principal = [D(draw(st.integers(1, 50_000))) / 100 for _ in range(count)]
    interest = [D(draw(st.integers(0, 5_000))) / 100 for _ in range(count)]
    fees = [D(draw(st.integers(0, 300))) / 100 for _ in range(count)]
    rows = [Row(n + 1, _due(n + 1), interest[n], fees[n], D(0)) for n in range(count)]
    owed = [[fees[n], interest[n], principal[n]] for n in range(count)]
    txns = [Txn(1, "disbursement", START, sum(principal, D(0)))]
    day = START
    for k in range(draw(st.integers(0, 8))):
        day += timedelta(days=draw(st.integers(1, 70)))
        left = D(draw(st.integers(1, 60_000))) / 100
        split = [D(0), D(0), D(0)]
        for parts in owed:  # oldest installment first, fees, interest, principal
            for i in range(3):
                take = min(parts[i], left)
                parts[i] -= take
                split[i] += take
                left -= take
        if sum(split) > 0:
            txns.append(Txn(k + 2, "repayment", day, sum(split, D(0)), principal=split[2], interest=split[1],
                            fees=split[0]))
    return rows, txns


def _expected(rows: list[Row], txns: list[Txn], on: date) -> D:
    paid = [t for t in txns if t.type == "repayment" and t.on <= on]
    principal = sum((t.amount for t in txns if t.type == "disbursement"), D(0))
    principal -= sum((t.principal for t in paid), D(0))
    due_interest = sum((r.interest for r in rows if r.due_date <= on), D(0))
    due_fees = sum((r.fees for r in rows if r.due_date <= on), D(0))
    return (principal + max(due_interest - sum((t.interest for t in paid), D(0)), D(0))
            + max(due_fees - sum((t.fees for t in paid), D(0)), D(0)))


@settings(max_examples=150, deadline=None)
@given(loans(), st.integers(0, 900), st.integers(0, 900))
def test_periods_chain_and_each_closing_is_what_is_owed(loan: tuple[list[Row], list[Txn]], cut: int,
                                                       length: int) -> None:
    rows, txns = loan
    middle = START + timedelta(days=cut)
    end = middle + timedelta(days=length)
    first = loan_history(rows, [], txns, START, middle, 2)
    second = loan_history(rows, [], txns, middle + timedelta(days=1), end, 2)
    whole = loan_history(rows, [], txns, START, end, 2)
    closing_first = first.lines[-1].balance if first.lines else first.opening
    assert second.opening == closing_first == _expected(rows, txns, middle)
    assert [(ln.on, ln.debit, ln.credit, ln.balance) for ln in whole.lines] == [
        (ln.on, ln.debit, ln.credit, ln.balance) for ln in first.lines + second.lines]
    closing = whole.lines[-1].balance if whole.lines else whole.opening
    assert closing == _expected(rows, txns, end)
    assert all(ln.debit >= 0 and ln.credit >= 0 for ln in whole.lines)
    charged = sum((ln.debit for ln in whole.lines if ln.description.startswith("Interest")), D(0))
    assert charged == whole.totals.charged["interest"] <= sum((r.interest for r in rows), D(0))


@settings(max_examples=50, deadline=None)
@given(loans())
def test_a_loan_paid_in_full_ends_at_zero_having_charged_its_whole_schedule(
        loan: tuple[list[Row], list[Txn]]) -> None:
    rows, txns = loan
    principal_left = txns[0].amount - sum((t.principal for t in txns[1:]), D(0))
    interest_left = sum((r.interest for r in rows), D(0)) - sum((t.interest for t in txns), D(0))
    fees_left = sum((r.fees for r in rows), D(0)) - sum((t.fees for t in txns), D(0))
    on = max(max(t.on for t in txns) + timedelta(days=1), _due(len(rows)))  # after the last due date
    payoff = Txn(99, "repayment", on, principal_left + interest_left + fees_left, principal=principal_left,
                 interest=interest_left, fees=fees_left)
    h = loan_history(rows, [], [*txns, payoff], START, date(2030, 1, 1), 2)
    assert h.lines[-1].balance == 0 and h.lines[-1].principal == 0
    assert h.totals.charged["interest"] == sum((r.interest for r in rows), D(0))
    assert h.totals.charged["fees"] == sum((r.fees for r in rows), D(0))
