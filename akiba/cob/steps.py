"""The close of one business day for a set of loans or savings accounts, set-based.

Each step reads the whole set's state in a few queries (loans: one, aggregating the installments in SQL, so
no installment row reaches Python), decides per entity in Python what needs the product's rules, and writes
with bulk statements; no query runs per loan. A loan whose own data makes the computation fail is answered in
the errors (id -> message) and left out of the writes; the others are closed. Loan accruals are staged, not
posted: the run's final job posts the day's total (post_staged_accruals), so no chunk locks a ledger row.

    close_loans(s, ids, day) -> dict[int, str]       # errors by loan id
    close_savings(s, ids, day) -> dict[int, str]     # errors by account id
    post_staged_accruals(s, day) -> int              # the final job's (and the inline close's) posting
    accrued_through(day, rows, digits) -> Decimal    # the accrual rule in Python: the reference the SQL follows

``day`` is the business date being closed (D); the tenant's date afterwards is D+1, the date the arrears
are measured at (CONTRACT.md: days in arrears at D+1 = D+1 minus the oldest unpaid due date before D+1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlalchemy.orm import Session

from akiba.accounting import posting as ledger
from akiba.core.money import ZERO, money_str, quantize

ONE_DAY = timedelta(days=1)
ACCRUAL_SOURCE = "cob_accrual"
PENALTY_SOURCE = "cob_penalty"
# What each kind of staged accrual posts: its journal source, the receivable debited and the income credited (the
# other way round for an accrual taken back), and how its entry is described.
_STAGED_KINDS = {
    "interest": (ACCRUAL_SOURCE, "interest_receivable", "interest_income", "interest accrual of {day} (product {p})"),
    "penalty": (PENALTY_SOURCE, "penalty_receivable", "penalty_income",
                "late-payment penalties of {day} (product {p})"),
}

# Everything the close needs of each loan in one read: its product, its previous state, and from its installments
# (aggregated here, none is sent to Python) the oldest due date still owing on or before D with the total owed,
# and the interest earned by the end of D, each installment's interest spread evenly over its days. The earned
# sum is exact to 24 decimals (the cast keeps the division's scale there); Python rounds it once per loan.
_LOANS = text("""
WITH inst AS (
  SELECT i.loan_id,
         min(i.due_date) FILTER (WHERE i.due_date <= :day AND o.owed > 0) AS oldest,
         sum(o.owed) FILTER (WHERE i.due_date <= :day AND o.owed > 0) AS overdue,
         sum(CASE WHEN i.interest <= 0 THEN 0
                  WHEN i.due_date <= i.from_date THEN CASE WHEN i.due_date <= :day THEN i.interest ELSE 0 END
                  ELSE CAST(i.interest AS numeric(40, 24))
                       * LEAST(GREATEST(:day - i.from_date + 1, 0), i.due_date - i.from_date)
                       / (i.due_date - i.from_date)
             END) AS earned
    FROM loan_installments i
   CROSS JOIN LATERAL (SELECT i.principal + i.interest + i.fees + i.penalties - i.paid_principal - i.paid_interest
                              - i.paid_fees - i.paid_penalties - i.waived_interest - i.waived_fees
                              - i.waived_penalties AS owed) o
   WHERE i.loan_id = ANY(CAST(:ids AS integer[]))
   GROUP BY i.loan_id
)
SELECT l.id, l.product_id, l.office_id, l.currency, l.digits, s.bucket AS previous_bucket,
       l.charge_off_transaction_id IS NOT NULL AS charged_off,
       COALESCE(s.non_accrual, false) AS was_non_accrual, COALESCE(s.accrued_interest, 0) AS accrued,
       inst.oldest, COALESCE(inst.overdue, 0) AS overdue,
       COALESCE(inst.earned, 0) AS earned
  FROM loans l
  LEFT JOIN cob_loan_state s ON s.loan_id = l.id
  LEFT JOIN inst ON inst.loan_id = l.id
 WHERE l.id = ANY(CAST(:ids AS integer[]))
""")
_PRODUCTS = text("""
SELECT id, arrears_tolerance, grace_on_arrears_ageing, delinquency_buckets, non_accrual_after_days, accounting_rule
  FROM loan_products WHERE id = ANY(CAST(:ids AS integer[]))
""")
_UPSERT_STATE = text("""
INSERT INTO cob_loan_state (loan_id, as_of, days_in_arrears, overdue_since, overdue_amount, bucket, accrued_interest,
                            non_accrual)
SELECT u.loan_id, CAST(:as_of AS date), u.days, u.since, u.amount, u.bucket, u.accrued, u.non_accrual
  FROM unnest(CAST(:ids AS integer[]), CAST(:days AS integer[]), CAST(:since AS date[]),
              CAST(:amounts AS numeric[]), CAST(:buckets AS text[]), CAST(:accrued AS numeric[]),
              CAST(:non_accrual AS boolean[]))
       AS u(loan_id, days, since, amount, bucket, accrued, non_accrual)
ON CONFLICT (loan_id) DO UPDATE SET as_of = excluded.as_of, days_in_arrears = excluded.days_in_arrears,
  overdue_since = excluded.overdue_since, overdue_amount = excluded.overdue_amount, bucket = excluded.bucket,
  accrued_interest = excluded.accrued_interest, non_accrual = excluded.non_accrual
""")
# A loan entering or leaving non-accrual: one event each, in bulk, with the arrears and the interest accrued
# (which stays on the books while the loan is non-accrual).
_NON_ACCRUAL_EVENTS = text("""
INSERT INTO outbox (event_type, aggregate, aggregate_id, payload)
SELECT CASE WHEN u.entering THEN 'loan.non_accrual_entered' ELSE 'loan.non_accrual_left' END, 'loan', u.loan_id,
       jsonb_build_object('business_date', CAST(:today AS date), 'days_in_arrears', u.days,
                          'accrued_interest', u.accrued)
  FROM unnest(CAST(:ids AS integer[]), CAST(:entering AS boolean[]), CAST(:days AS integer[]),
              CAST(:accrued AS text[])) AS u(loan_id, entering, days, accrued)
 ORDER BY u.loan_id
""")
_CLOSE_HISTORY = text("""
UPDATE cob_delinquency_history SET to_date = :day
 WHERE loan_id = ANY(CAST(:ids AS integer[])) AND to_date IS NULL
""")
_OPEN_HISTORY = text("""
INSERT INTO cob_delinquency_history (loan_id, bucket, from_date)
SELECT u.loan_id, u.bucket, CAST(:from AS date)
  FROM unnest(CAST(:ids AS integer[]), CAST(:buckets AS text[])) AS u(loan_id, bucket)
""")
# Due today (D+1) and overdue from today (due on D, still owing): one event per installment, in bulk.
_EVENTS = text("""
INSERT INTO outbox (event_type, aggregate, aggregate_id, payload)
SELECT CASE WHEN i.due_date = :day THEN 'loan.installment_overdue' ELSE 'loan.installment_due' END,
       'loan', i.loan_id,
       jsonb_build_object('installment', i.n, 'due_date', i.due_date, 'business_date', CAST(:today AS date),
                          'amount', CAST(i.principal + i.interest + i.fees + i.penalties - i.paid_principal
                                         - i.paid_interest - i.paid_fees - i.paid_penalties - i.waived_interest
                                         - i.waived_fees - i.waived_penalties AS text))
  FROM loan_installments i
 WHERE i.loan_id = ANY(CAST(:ids AS integer[])) AND i.due_date IN (:day, :today)
   AND i.principal + i.interest + i.fees + i.penalties > i.paid_principal + i.paid_interest + i.paid_fees
       + i.paid_penalties + i.waived_interest + i.waived_fees + i.waived_penalties
 ORDER BY i.loan_id, i.n
""")
_STAGE = text("""
INSERT INTO cob_staged_accruals (business_date, office_id, currency, product_id, amount, kind)
SELECT CAST(:day AS date), u.office_id, u.currency, u.product_id, u.amount, :kind
  FROM unnest(CAST(:offices AS integer[]), CAST(:currencies AS text[]), CAST(:products AS integer[]),
              CAST(:amounts AS numeric[])) AS u(office_id, currency, product_id, amount)
""")
_STAGED = text("""
SELECT id, office_id, currency, product_id, amount, kind FROM cob_staged_accruals
 WHERE business_date = :day AND entry_id IS NULL ORDER BY id FOR UPDATE
""")
_STAMP = text("UPDATE cob_staged_accruals SET entry_id = :entry WHERE id = ANY(CAST(:ids AS bigint[]))")


# --- loans ---------------------------------------------------------------------------------------------------


class LoanState(NamedTuple):
    """What the close leaves of one loan in cob_loan_state, and whether it was non-accrual before."""

    loan_id: int
    days: int
    overdue_since: date | None
    overdue: Decimal
    bucket: str | None
    accrued: Decimal
    non_accrual: bool
    was_non_accrual: bool
    digits: int


def bucket_for(days: int, buckets: Sequence[dict[str, Any]]) -> str | None:
    """The product's delinquency bucket holding `days` (None when current)."""
    if days <= 0:
        return None
    for b in buckets:
        low, high = int(b["min_days"]), b.get("max_days")
        if days >= low and (high is None or days <= int(high)):
            return str(b["name"])
    return None


def arrears_days(today: date, oldest: date | None, overdue: Decimal, tolerance: Decimal, grace: int) -> int:
    """CONTRACT.md's days in arrears; owing no more than the product's tolerance is not being in arrears, and the
    product's grace on arrears ageing holds the ageing back by that many days."""
    if oldest is None or overdue <= tolerance:
        return 0
    return max((today - oldest).days - grace, 0)


def accrued_through(day: date, rows: Sequence[tuple[date, date, Decimal]], digits: int) -> Decimal:
    """Interest earned by the end of `day`: each installment's interest spread evenly over its days.

    The close computes the same sum in SQL (_LOANS) and rounds it here the same way; loans' commands call this
    one to true up a loan's accrual after a replay.

    Rounded half-even to the currency once per loan (the named rounding point), so the daily amounts are
    differences of rounded totals and add up to the scheduled interest exactly by the last due date.
    """
    total = ZERO
    for from_date, due_date, interest in rows:
        span = (due_date - from_date).days
        if span <= 0:
            earned_days, span = (1, 1) if due_date <= day else (0, 1)
        else:
            earned_days = min(max((day - from_date).days + 1, 0), span)
        total += interest * earned_days / span
    return quantize(total, digits, ROUND_HALF_EVEN)


def _apply_penalties(s: Session, ids: list[int], day: date) -> None:
    # The loans feature owns how a penalty enters a loan (charge row, installments, balances); set-based for the
    # chunk, once per installment and grace period, so a repeated close charges nothing twice. The income of
    # accrual products' penalties is staged with the interest accruals, for the final job to post.
    from akiba.loans.service.penalties import apply_overdue_penalties_bulk

    apply_overdue_penalties_bulk(s, ids, day, book=lambda totals: stage_accruals(
        s, {key: [amount] for key, amount in totals.items()}, day, kind="penalty"))


def is_non_accrual(days: int, after_days: int | None) -> bool:
    """The product's non-accrual rule: arrears of at least `after_days` days (None: the rule never applies)."""
    return after_days is not None and days >= after_days


def _product_rules(s: Session, product_ids: set[int]) -> dict[int, Any]:
    return {r.id: r for r in s.execute(_PRODUCTS, {"ids": sorted(product_ids)})}


def close_loans(s: Session, ids: Sequence[int], day: date) -> dict[int, str]:
    """Penalties, arrears and bucket (with history), non-accrual, accruals and due/overdue events of `day`.

    Non-accrual (Fineract's NPA): a loan whose arrears at D+1 reach its product's non_accrual_after_days is
    flagged and accrues nothing; what it accrued before stays on the books (interest paid meanwhile beyond it is
    income when paid, as akiba.loans books it). Once its arrears drop below the threshold the flag is cleared
    and the close accrues up to all the interest earned so far, the days missed included: the catch-up.

    The accruals are staged (cob_staged_accruals), not posted: post_staged_accruals turns them into journal
    entries, once for the whole day, so chunks closing side by side never wait on the ledger's daily balances.
    """
    if not ids:
        return {}
    today = day + ONE_DAY
    ids = list(ids)
    _apply_penalties(s, ids, day)
    loans = s.execute(_LOANS, {"ids": ids, "day": day}).all()
    products = _product_rules(s, {loan.product_id for loan in loans})
    errors: dict[int, str] = {}
    states: list[LoanState] = []
    moved: list[tuple[int, str | None]] = []
    accruals: dict[tuple[int, str, int], list[Decimal]] = defaultdict(list)
    for loan in loans:
        try:
            product = products[loan.product_id]
            overdue = Decimal(loan.overdue)
            days = arrears_days(today, loan.oldest, overdue, Decimal(product.arrears_tolerance or 0),
                                int(product.grace_on_arrears_ageing or 0))
            bucket = bucket_for(days, product.delinquency_buckets or [])
            non_accrual = is_non_accrual(days, product.non_accrual_after_days)
            accrued = Decimal(loan.accrued)
            # A charged-off loan's receivable was emptied: it accrues nothing until the charge-off is undone.
            if product.accounting_rule == "accrual_periodic" and not non_accrual and not loan.charged_off:
                # `accrued` counts interest settled before it was accrued (akiba.loans booked it as income then)
                target = max(quantize(Decimal(loan.earned), int(loan.digits), ROUND_HALF_EVEN), accrued)
                if target != accrued:
                    accruals[(loan.office_id, loan.currency, loan.product_id)].append(target - accrued)
                accrued = target
        except Exception as error:  # bad data of one loan: recorded, the rest of the chunk goes on
            errors[loan.id] = f"{type(error).__name__}: {error}"
            continue
        states.append(LoanState(loan.id, days, loan.oldest if days else None, overdue, bucket, accrued, non_accrual,
                                bool(loan.was_non_accrual), int(loan.digits)))
        if bucket != loan.previous_bucket:
            moved.append((loan.id, bucket))
    _write_states(s, states, today)
    _write_history(s, moved, day)
    _non_accrual_events(s, [st for st in states if st.non_accrual != st.was_non_accrual], today)
    stage_accruals(s, accruals, day)
    closed = [loan_id for loan_id in ids if loan_id not in errors]
    if closed:
        s.execute(_EVENTS, {"ids": closed, "day": day, "today": today})
    return errors


def _write_states(s: Session, states: list[LoanState], today: date) -> None:
    if not states:
        return
    s.execute(_UPSERT_STATE, {
        "ids": [st.loan_id for st in states], "as_of": today, "days": [st.days for st in states],
        "since": [st.overdue_since for st in states], "amounts": [st.overdue for st in states],
        "buckets": [st.bucket for st in states], "accrued": [st.accrued for st in states],
        "non_accrual": [st.non_accrual for st in states]})


def _non_accrual_events(s: Session, changed: list[LoanState], today: date) -> None:
    if changed:
        s.execute(_NON_ACCRUAL_EVENTS, {"ids": [st.loan_id for st in changed], "today": today,
                                        "entering": [st.non_accrual for st in changed],
                                        "days": [st.days for st in changed],
                                        "accrued": [money_str(st.accrued, st.digits) for st in changed]})


def _write_history(s: Session, moved: list[tuple[int, str | None]], day: date) -> None:
    if not moved:
        return
    s.execute(_CLOSE_HISTORY, {"ids": [loan_id for loan_id, _ in moved], "day": day})
    entering = [(loan_id, bucket) for loan_id, bucket in moved if bucket is not None]
    if entering:
        s.execute(_OPEN_HISTORY, {"ids": [i for i, _ in entering], "buckets": [b for _, b in entering],
                                  "from": day + ONE_DAY})


def stage_accruals(s: Session, accruals: dict[tuple[int, str, int], list[Decimal]], day: date,
                   kind: str = "interest") -> None:
    """The chunk's accrual changes as staged rows: per office, currency, product and direction, their total.

    Written in the chunk's own transaction (with its marks), so a chunk that rolls back stages nothing and one
    that commits has staged exactly once; inserts of different chunks never wait on each other.
    """
    rows: list[tuple[int, str, int, Decimal]] = []
    for (office_id, currency, product_id), deltas in sorted(accruals.items()):
        for up in (True, False):
            amount = sum((d for d in deltas if (d > 0) == up), ZERO)
            if amount != 0:
                rows.append((office_id, currency, product_id, amount))
    if rows:
        offices, currencies, products, amounts = (list(col) for col in zip(*rows, strict=True))
        s.execute(_STAGE, {"day": day, "offices": offices, "currencies": currencies, "products": products,
                           "amounts": amounts, "kind": kind})


def post_staged_accruals(s: Session, day: date) -> int:
    """Post the accruals staged for `day` and not posted yet: one journal entry per office, currency, product, kind
    (interest, penalty) and direction (receivable against income), each staged row stamped with its entry.
    Answers the entries posted.

    The staged rows are locked first: of two callers, the second finds them stamped and posts nothing.
    """
    staged = s.execute(_STAGED, {"day": day}).all()
    groups: dict[tuple[int, str, int, str, bool], list[Any]] = defaultdict(list)
    for row in staged:
        groups[(row.office_id, row.currency, row.product_id, row.kind, row.amount < 0)].append(row)
    mappings: dict[int, dict[str, int]] = {}
    for (office_id, currency, product_id, kind, down), rows in sorted(groups.items()):
        if product_id not in mappings:
            mappings[product_id] = ledger.product_mapping(s, "loan", product_id)
        source, receivable, income, description = _STAGED_KINDS[kind]
        amount = abs(sum((Decimal(r.amount) for r in rows), ZERO))
        entry_id = ledger.post_entry(
            s, office_id=office_id, currency=currency, transaction_date=day, source=source, source_id=None,
            description=description.format(day=day, p=product_id),
            legs=[ledger.Leg(mappings[product_id][receivable], "credit" if down else "debit", amount),
                  ledger.Leg(mappings[product_id][income], "debit" if down else "credit", amount)])
        s.execute(_STAMP, {"entry": entry_id, "ids": [r.id for r in rows]})
    return len(groups)


# --- savings -------------------------------------------------------------------------------------------------


def close_savings(s: Session, ids: Sequence[int], day: date) -> dict[int, str]:
    """Savings' own batch steps for the chunk's accounts: interest posted at the period ends falling on `day`,
    then inactive/dormant, then the monthly/annual fees due on `day`.

    Dormancy is judged before the fees so that an account turning dormant on a month end is spared that
    month's fee when its product stops fees for dormant accounts. Daily interest is not stored: the interest
    accrued and not posted is a function of the account's movements and settings up to any day, computed when
    read (savings.queries.interest_not_posted), and savings are cash-accounted, so no accrual entry awaits it.
    Each step charges once per day even when run twice (its own guard), besides the chunk's mark.
    """
    if not ids:
        return {}
    from akiba.savings.jobs import charge_periodic_fees, mark_dormancy, post_interest_chunk

    accounts = list(ids)
    post_interest_chunk(s, day, account_ids=accounts)
    mark_dormancy(s, day, account_ids=accounts)
    charge_periodic_fees(s, day, account_ids=accounts)
    return {}


CLOSERS = {"loan": close_loans, "savings": close_savings}
