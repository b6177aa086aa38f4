"""Accrual accounting of a loan that recalculates its interest: close of business accrues the interest earned on
the installments as they stand; a payment that rebuilds them posts an accrual adjustment (more accrued, or the
excess taken back), never an edit; the books reconcile to the cent after the payoff.

The loan: 1,000.00 USD at 12% a year, 3 monthly installments from 2024-01-01, interest per day on actual days over
365, recalculated daily, principal paid ahead reducing the EMI (as tests/api/test_loan_interest_recalculation.py);
accrual accounting. January's interest at disbursement: 1000 x 12% x 31/365 = 10.19.

The rule the test holds the books to, worked independently of the code: after the close of day D, the interest
accounted for is the larger of what the current installments earned by the end of D (each installment's interest
spread evenly over its days, the sum rounded once) and what was paid; income is that amount, the receivable is
what of it is not paid yet.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from cob_fixtures import active_loan, client, close_day, gl, loan_product, office, ok, set_business_date, snapshot
from conftest import Api
from sqlalchemy import text

from akiba.cob import service
from akiba.platform.runtime import Runtime

RECEIVABLE, INCOME, PORTFOLIO, CASH = "1220", "4100", "1210", "1110"
ZERO = Decimal(0)
RECALCULATING: dict[str, Any] = {
    "number_of_repayments": 3, "interest_calculation_period": "daily", "days_in_year": "365",
    "days_in_month": "actual", "charges": [],
    "interest_recalculation": {"compounding": "none", "rest_frequency": "daily",
                               "reschedule_strategy": "reduce_emi_amount"},
}


def _earned(periods: list[dict[str, Any]], day: date) -> Decimal:
    """Interest the installments earned by the end of `day`: each spread evenly over its days, rounded once."""
    total = ZERO
    for p in periods:
        start, due = date.fromisoformat(p["from_date"]), date.fromisoformat(p["due_date"])
        span = (due - start).days
        days = min(max((day - start).days + 1, 0), span)
        total += Decimal(p["interest"]) * days / span
    return total.quantize(Decimal("0.01"), ROUND_HALF_EVEN)


def _paid_interest(view: dict[str, Any]) -> Decimal:
    return sum((Decimal(t["interest"]) for t in view["transactions"]
                if t["type"] in ("repayment", "prepayment") and not t["reversed"]), ZERO)


def _assert_books(api: Api, runtime: Runtime, loan_id: int, closed: date) -> dict[str, Any]:
    """Income is max(earned by `closed`, paid); the receivable is income less paid (never negative)."""
    view = ok(api.get(f"/api/v1/loans/{loan_id}"))
    earned, paid = _earned(view["schedule"]["periods"], closed), _paid_interest(view)
    income = max(earned, paid)
    assert -gl(runtime, api.tenant, INCOME) == income, (closed, earned, paid)
    assert gl(runtime, api.tenant, RECEIVABLE) == income - paid, (closed, earned, paid)
    return view


def _adjustments(runtime: Runtime, api: Api, loan_id: int) -> list[tuple[str, Decimal]]:
    """The loan's own accrual adjustments on interest income taking income back: (side, amount) per entry."""
    with runtime.session(api.tenant) as s:
        rows = s.execute(text("SELECT l.side, l.amount FROM journal_entries e "
                              "JOIN journal_lines l ON l.entry_id = e.id JOIN gl_accounts g ON g.id = l.gl_account_id "
                              "WHERE e.source = 'loan_accrual' "
                              "AND e.source_id = :loan AND g.gl_code = :income AND l.side = 'debit' ORDER BY e.id"),
                         {"loan": loan_id, "income": INCOME}).all()
    return [(side, Decimal(amount)) for side, amount in rows]


def _close(api: Api, runtime: Runtime, first: date, last: date, loan_id: int) -> None:
    """Close every day from `first` to `last`, checking the books after each."""
    day = first
    while day <= last:
        assert close_day(runtime, api.tenant, day)["status"] == "completed"
        _assert_books(api, runtime, loan_id, day)
        day += timedelta(days=1)


def _pay(api: Api, loan_id: int, amount: str, on: date) -> dict[str, Any]:
    return ok(api.post(f"/api/v1/loans/{loan_id}/repayments", {"transaction_date": on.isoformat(), "amount": amount}),
              201)


def test_recalculating_loan_accrues_day_by_day_and_adjusts_at_each_payment(api: Api, runtime: Runtime) -> None:
    set_business_date(runtime, api.tenant, date(2024, 1, 1))
    product = loan_product(api, **RECALCULATING)
    loan_id = active_loan(api, client(api, office(api)), product)
    first = ok(api.get(f"/api/v1/loans/{loan_id}"))["schedule"]["periods"][0]
    assert first["interest"] == "10.19"

    _close(api, runtime, date(2024, 1, 1), date(2024, 1, 15), loan_id)
    # 15 of January's 31 days: 10.19 x 15/31 = 4.9306 -> 4.93 accrued, nothing paid.
    assert gl(runtime, api.tenant, RECEIVABLE) == Decimal("4.93") == -gl(runtime, api.tenant, INCOME)

    # Early: 200.00 on 2024-01-16. January's interest becomes 4.93 + 800 x 12% x 16/365 (4.21) = 9.14, all paid
    # by the 200 (interest first). It was 4.93 accrued: the receivable is cleared and the other 4.21 is income now.
    early = _pay(api, loan_id, "200.00", date(2024, 1, 16))
    assert early["interest"] == "9.14"
    view = _assert_books(api, runtime, loan_id, date(2024, 1, 15))
    assert view["schedule"]["periods"][0]["interest"] == "9.14"
    assert gl(runtime, api.tenant, RECEIVABLE) == ZERO and gl(runtime, api.tenant, INCOME) == Decimal("-9.14")

    # Across the month end: January accrues nothing more (all of it was paid); February starts on 2024-02-01.
    _close(api, runtime, date(2024, 1, 16), date(2024, 2, 4), loan_id)
    second = ok(api.get(f"/api/v1/loans/{loan_id}"))["schedule"]["periods"][1]
    # February as scheduled after the early payment: 669.21 x 12% x 29/365 = 6.38; 4 of its 29 days earned by
    # 2024-02-04: 6.38 x 4/29 = 0.88 receivable, income 9.14 + 0.88 = 10.02.
    assert second["interest"] == "6.38"
    assert gl(runtime, api.tenant, RECEIVABLE) == Decimal("0.88")
    assert gl(runtime, api.tenant, INCOME) == Decimal("-10.02")

    # Late: installment 1's 139.93 paid on 2024-02-05. Its principal (139.93) stayed unpaid 4 days into February,
    # so the rebuild charges February interest on it too: the accrual follows the new installment (adjusted up or
    # down to what it earned by 2024-02-04), and the payment takes no interest (installment 1's is paid).
    late = _pay(api, loan_id, "139.93", date(2024, 2, 5))
    view = _assert_books(api, runtime, loan_id, date(2024, 2, 4))
    assert Decimal(late["interest"]) == ZERO
    assert Decimal(view["schedule"]["periods"][1]["interest"]) > Decimal("6.38")

    # Closing a day twice posts nothing twice.
    _close(api, runtime, date(2024, 2, 5), date(2024, 2, 10), loan_id)
    journal = snapshot(runtime, api.tenant)["journal"]
    with runtime.session(api.tenant) as s:
        assert service.ensure_closed(s, loan_id) is False  # 2024-02-10 is closed: nothing to run
        s.rollback()
    assert close_day(runtime, api.tenant, date(2024, 2, 10))["status"] == "completed"  # the run again: done
    assert snapshot(runtime, api.tenant)["journal"] == journal

    # Back-dated: 100.00 paid on 2024-01-20, recorded on 2024-02-11. January's interest falls to 4.93 (1000 for 15
    # days) + 800 x 12% x 4/365 (1.05) + 700 x 12% x 12/365 (2.76) = 8.74, and the 139.93 of 2024-02-05 now pays
    # all of installment 1 and February's interest in advance: what was paid is more than what was earned, so
    # income is what was paid and nothing is receivable.
    _pay(api, loan_id, "100.00", date(2024, 1, 20))
    view = _assert_books(api, runtime, loan_id, date(2024, 2, 10))
    periods = view["schedule"]["periods"]
    assert periods[0]["interest"] == "8.74" and Decimal(periods[1]["paid"]) >= Decimal(periods[1]["interest"])
    assert -gl(runtime, api.tenant, INCOME) == Decimal("8.74") + Decimal(periods[1]["interest"])
    assert gl(runtime, api.tenant, RECEIVABLE) == ZERO

    # The payoff on 2024-02-11: income ends as every cent of interest the loan charged, nothing receivable.
    quote = ok(api.get(f"/api/v1/loans/{loan_id}/payoff", date="2024-02-11"))
    ok(api.post(f"/api/v1/loans/{loan_id}/prepay", {"transaction_date": "2024-02-11", "amount": quote["total"]}), 201)
    closed = ok(api.get(f"/api/v1/loans/{loan_id}"))
    assert (closed["status"], closed["summary"]["total_outstanding"]) == ("closed", "0.00")
    charged = sum((Decimal(p["interest"]) for p in closed["schedule"]["periods"]), ZERO)
    assert charged == _paid_interest(closed)
    assert -gl(runtime, api.tenant, INCOME) == charged
    assert gl(runtime, api.tenant, RECEIVABLE) == ZERO
    assert gl(runtime, api.tenant, PORTFOLIO) == ZERO
    # Cash: 1000 out; 200 + 100 + 139.93 + the payoff in. What came back beyond the principal is the interest.
    cash = Decimal("-1000.00") + Decimal("200.00") + Decimal("100.00") + Decimal("139.93") + Decimal(quote["total"])
    assert gl(runtime, api.tenant, CASH) == cash == charged


def test_a_rebuild_lowering_accrued_interest_takes_the_excess_back(api: Api, runtime: Runtime) -> None:
    """Principal first: a payment ahead lowers the running installment's interest without paying it, so what was
    accrued above what the new installment earned is reversed by an adjustment entry, never edited."""
    set_business_date(runtime, api.tenant, date(2024, 1, 1))
    product = loan_product(api, **RECALCULATING,
                           transaction_processing_strategy="PRINCIPAL_INTEREST_PENALTIES_FEES_ORDER_STRATEGY")
    loan_id = active_loan(api, client(api, office(api)), product)
    _close(api, runtime, date(2024, 1, 1), date(2024, 1, 15), loan_id)
    assert gl(runtime, api.tenant, RECEIVABLE) == Decimal("4.93")  # 10.19 x 15/31
    assert _adjustments(runtime, api, loan_id) == []

    paid = _pay(api, loan_id, "200.00", date(2024, 1, 16))
    assert (paid["principal"], paid["interest"]) == ("200.00", "0.00")  # principal first: no interest paid
    view = _assert_books(api, runtime, loan_id, date(2024, 1, 15))
    january = Decimal(view["schedule"]["periods"][0]["interest"])
    # 200 less principal from 2024-01-16 lowers January's interest below 10.19; of it, 15/31 was earned by
    # 2024-01-15, and the 4.93 accrued above that comes back out of income in one entry.
    earned = (january * 15 / 31).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    assert january < Decimal("10.19") and earned < Decimal("4.93")
    assert _adjustments(runtime, api, loan_id) == [("debit", Decimal("4.93") - earned)]
    assert gl(runtime, api.tenant, RECEIVABLE) == earned == -gl(runtime, api.tenant, INCOME)

    # The close goes on from there: January earns the rest of its (new) interest by its last day.
    _close(api, runtime, date(2024, 1, 16), date(2024, 1, 31), loan_id)
    assert gl(runtime, api.tenant, RECEIVABLE) == january
