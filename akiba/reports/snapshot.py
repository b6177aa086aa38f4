"""The daily portfolio snapshot: one row per active loan per business date, so historical PAR is a lookup.

Close of business writes it piecewise, so that no worker waits for one big statement at the end of the run:
each chunk snapshots its own loans after closing them (`snapshot_loans`), a command on a loan whose chunk has
run drops that loan's row (`forget_snapshot`), and the run's final job snapshots the active loans still without
a row (`complete_snapshot`: those forgotten, disbursed during the run, or never reached). The rows are the state
when the final job runs, as one big snapshot then would be. `snapshot_portfolio` replaces a whole date at once.
None of them commits: the caller's unit of work does.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

# What an installment still asks of the borrower: everything due less what was paid or waived.
UNPAID = (
    "(i.principal + i.interest + i.fees + i.penalties - i.paid_principal - i.paid_interest - i.paid_fees"
    " - i.paid_penalties - i.waived_interest - i.waived_fees - i.waived_penalties)"
)

# Every active loan's balances and arrears at :as_of, from the loan's running totals and its installments.
# days_in_arrears follows CONTRACT.md: as_of minus the due date of the oldest installment not fully paid
# whose due date is before as_of (0 when there is none). One join of the active loans with their installments
# due before as_of, grouped by loan, each installment's unpaid amount computed once: the close of business
# snapshots the whole portfolio with it while nothing else runs, so its time is the run's serial tail.
LIVE_LOANS = f"""
SELECT l.id AS loan_id, l.office_id, l.loan_officer_id, l.product_id, l.client_id, l.group_id, l.currency,
       COALESCE(l.disbursed_principal, 0) AS principal_disbursed,
       l.principal_outstanding, l.interest_outstanding, l.fees_outstanding, l.penalties_outstanding,
       COALESCE(SUM(i.principal - i.paid_principal), 0) AS overdue_principal,
       COALESCE(SUM(o.unpaid), 0) AS overdue_total,
       COALESCE(CAST(:as_of AS date) - MIN(i.due_date) FILTER (WHERE o.unpaid > 0), 0) AS days_in_arrears
FROM loans l
LEFT JOIN loan_installments i ON i.loan_id = l.id AND i.due_date < :as_of
LEFT JOIN LATERAL (SELECT {UNPAID} AS unpaid) o ON true
WHERE l.status = 'active'
GROUP BY l.id
"""  # noqa: S608  -- constant fragments only; every value is a bound parameter

SNAPSHOT_COLUMNS = (
    "loan_id, office_id, loan_officer_id, product_id, client_id, group_id, currency, principal_disbursed, "
    "principal_outstanding, interest_outstanding, fees_outstanding, penalties_outstanding, overdue_principal, "
    "overdue_total, days_in_arrears"
)

# Rows at :as_of: the snapshot when close of business took one that day, the live state otherwise.
LOAN_STATE = f"""
SELECT {SNAPSHOT_COLUMNS} FROM portfolio_snapshots WHERE business_date = :as_of
UNION ALL
SELECT {SNAPSHOT_COLUMNS} FROM ({LIVE_LOANS}) live
WHERE NOT EXISTS (SELECT 1 FROM portfolio_snapshots WHERE business_date = :as_of)
"""  # noqa: S608


_INSERT = f"INSERT INTO portfolio_snapshots (business_date, {SNAPSHOT_COLUMNS}) "
_OF_LOANS = text(f"{_INSERT} SELECT :as_of, {SNAPSHOT_COLUMNS} FROM ("  # noqa: S608
                 + LIVE_LOANS.replace("WHERE l.status = 'active'",
                                      "WHERE l.status = 'active' AND l.id = ANY(CAST(:ids AS integer[]))")
                 + ") live ON CONFLICT (business_date, loan_id) DO UPDATE SET "
                 + ", ".join(f"{c} = excluded.{c}" for c in SNAPSHOT_COLUMNS.split(", ")[1:]))
_MISSING = text(f"{_INSERT} SELECT :as_of, {SNAPSHOT_COLUMNS} FROM ("  # noqa: S608
                + LIVE_LOANS.replace("WHERE l.status = 'active'", "WHERE l.status = 'active' AND NOT EXISTS "
                                     "(SELECT 1 FROM portfolio_snapshots p WHERE p.business_date = :as_of "
                                     "AND p.loan_id = l.id)")
                + ") live")
_NOT_ACTIVE = text("DELETE FROM portfolio_snapshots p WHERE p.business_date = :as_of "
                   "AND NOT EXISTS (SELECT 1 FROM loans l WHERE l.id = p.loan_id AND l.status = 'active')")
_FORGET = text("DELETE FROM portfolio_snapshots WHERE business_date = :as_of "
               "AND loan_id = ANY(CAST(:ids AS integer[]))")


def snapshot_loans(session: Session, business_date: date, loan_ids: list[int]) -> int:
    """Write (or rewrite) the rows of these loans, those of them active, for `business_date`."""
    result = session.execute(_OF_LOANS, {"as_of": business_date, "ids": loan_ids})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_snapshot(session: Session, business_date: date, loan_ids: list[int]) -> None:
    """Drop these loans' rows of `business_date`: a command is changing them, complete_snapshot writes them anew."""
    session.execute(_FORGET, {"as_of": business_date, "ids": loan_ids})


def complete_snapshot(session: Session, business_date: date) -> int:
    """Make the rows of `business_date` the whole active portfolio: drop those of loans no longer active, write
    those of active loans without one. Answers the rows written."""
    session.execute(_NOT_ACTIVE, {"as_of": business_date})
    result = session.execute(_MISSING, {"as_of": business_date})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def snapshot_portfolio(session: Session, business_date: date) -> int:
    """Replace the snapshot of `business_date` with the portfolio as it stands; returns the number of loans."""
    session.execute(text("DELETE FROM portfolio_snapshots WHERE business_date = :as_of"), {"as_of": business_date})
    return complete_snapshot(session, business_date)
