"""Late-payment penalties of many loans at once, for close of business: a few statements, none per loan.

Same rules as `payments.apply_overdue_penalties` (the per-loan path): each product's overdue-installment charge
once per installment (the partial unique index uq_loan_charges_overdue_once holds it even against a concurrent
close), on the day after its grace days, flat or a percentage of the installment's principal and interest still
due, rounded half-even to the currency. A penalty dated before a loan's latest event changes the split of that
later event; such a loan goes through the per-loan path, which replays it.

    apply_overdue_penalties_bulk(s, loan_ids, as_of) -> number of penalties charged
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from akiba.accounting.posting import Leg, post_entry, product_mapping
from akiba.cob.steps import PENALTY_SOURCE
from akiba.core.money import ZERO, quantize
from akiba.loans import postings

HUNDRED = Decimal(100)

# Every installment of the loans overdue past a penalty's grace days on :as_of and not charged that penalty yet.
_CANDIDATES = text("""
SELECT i.loan_id, i.n, l.office_id, l.currency, l.digits, l.product_id, l.last_event_date, p.accounting_rule,
       l.charge_off_transaction_id IS NOT NULL AS charged_off,
       c.id AS charge_id, c.name, c.calculation, c.amount AS rate, i.due_date + c.grace_days + 1 AS penalty_day,
       i.principal - i.paid_principal + i.interest - i.waived_interest - i.paid_interest AS overdue
  FROM loans l
  JOIN loan_products p ON p.id = l.product_id
  JOIN loan_product_charges c ON c.product_id = l.product_id AND c.charge_time = 'overdue_installment'
  JOIN loan_installments i ON i.loan_id = l.id
 WHERE l.id = ANY(CAST(:ids AS integer[])) AND l.status = 'active'
   AND i.paid_date IS NULL AND i.due_date + c.grace_days + 1 <= :as_of
   AND NOT EXISTS (SELECT 1 FROM loan_charges x WHERE x.loan_id = i.loan_id AND x.installment_n = i.n
                   AND x.product_charge_id = c.id AND x.charge_time = 'overdue_installment' AND x.active)
 ORDER BY i.loan_id, i.n, c.id
""")
# The charges, the installments carrying them and the loans' totals in one statement; a charge another close
# inserted meanwhile is skipped by the unique index and adds to nothing.
_CHARGE = text("""
WITH new AS (
  INSERT INTO loan_charges (loan_id, product_charge_id, name, charge_time, penalty, amount, charged_on,
                            installment_n, waived, active)
  SELECT u.loan_id, u.charge_id, u.name, 'overdue_installment', true, u.amount, u.day, u.n, false, true
    FROM unnest(CAST(:loans AS integer[]), CAST(:charges AS integer[]), CAST(:names AS text[]),
                CAST(:amounts AS numeric[]), CAST(:days AS date[]), CAST(:ns AS integer[]))
         AS u(loan_id, charge_id, name, amount, day, n)
  ON CONFLICT (loan_id, product_charge_id, installment_n)
     WHERE charge_time = 'overdue_installment' AND active DO NOTHING
  RETURNING loan_id, installment_n, amount, charged_on
), per_installment AS (
  UPDATE loan_installments i SET penalties = i.penalties + t.amount, paid_date = NULL
    FROM (SELECT loan_id, installment_n, sum(amount) AS amount FROM new GROUP BY 1, 2) t
   WHERE i.loan_id = t.loan_id AND i.n = t.installment_n
), per_loan AS (
  UPDATE loans l SET penalties_outstanding = l.penalties_outstanding + t.amount,
                     last_event_date = GREATEST(l.last_event_date, t.day)
    FROM (SELECT loan_id, sum(amount) AS amount, max(charged_on) AS day FROM new GROUP BY 1) t
   WHERE l.id = t.loan_id
)
SELECT loan_id, amount FROM new
""")


def _amount(row: Any) -> Decimal:
    if row.calculation == "flat":
        return Decimal(row.rate)
    overdue = max(Decimal(row.overdue), ZERO)
    return quantize(overdue * Decimal(row.rate) / HUNDRED, int(row.digits), ROUND_HALF_EVEN)


def apply_overdue_penalties_bulk(s: Session, loan_ids: Sequence[int], as_of: date,
                                 book: Callable[[dict[tuple[int, str, int], Decimal]], None] | None = None) -> int:
    """Charge the late-payment penalties due on `as_of` for these loans; answers how many were charged.

    Accrual products book the penalties as income when charged: by default one journal entry per office,
    currency and product, posted here; `book` takes those totals instead (close of business stages them).
    """
    if not loan_ids:
        return 0
    rows = s.execute(_CANDIDATES, {"ids": list(loan_ids), "as_of": as_of}).all()
    replayed = sorted({r.loan_id for r in rows if r.last_event_date is not None and r.penalty_day < r.last_event_date})
    charges = [(r, _amount(r)) for r in rows if r.loan_id not in replayed]
    charges = [(r, amount) for r, amount in charges if amount > 0]
    charged = 0
    if charges:
        params = {"loans": [r.loan_id for r, _ in charges], "charges": [r.charge_id for r, _ in charges],
                  "names": [r.name for r, _ in charges], "amounts": [a for _, a in charges],
                  "days": [r.penalty_day for r, _ in charges], "ns": [r.n for r, _ in charges]}
        inserted = s.execute(_CHARGE, params).all()
        charged = len(inserted)
        totals = _accrual_totals({r.loan_id: r for r, _ in charges}, inserted)
        if book is not None:
            book(totals)
        else:
            _post_accruals(s, totals, as_of)
    if replayed:
        from akiba.loans.service.payments import apply_overdue_penalties

        charged += apply_overdue_penalties(s, as_of, replayed)
    return charged


def _accrual_totals(loans: dict[int, Any], inserted: Sequence[Any]) -> dict[tuple[int, str, int], Decimal]:
    """The penalties accrual products book as income now, by office, currency and product (not a charged-off
    loan's: its receivables are emptied; its penalties are income when paid)."""
    totals: dict[tuple[int, str, int], Decimal] = defaultdict(lambda: ZERO)
    for loan_id, amount in inserted:
        loan = loans[loan_id]
        if loan.accounting_rule == "accrual_periodic" and not loan.charged_off:
            totals[(loan.office_id, loan.currency, loan.product_id)] += Decimal(amount)
    return dict(totals)


def _post_accruals(s: Session, totals: dict[tuple[int, str, int], Decimal], as_of: date) -> None:
    mappings: dict[int, dict[str, int]] = {}
    for (office_id, currency, product_id), amount in sorted(totals.items()):
        if product_id not in mappings:
            mappings[product_id] = product_mapping(s, "loan", product_id)
        lines = postings.penalty_accrual(mappings[product_id], amount)
        post_entry(s, office_id=office_id, currency=currency, transaction_date=as_of, source=PENALTY_SOURCE,
                   source_id=None, legs=[Leg(ln.gl_account_id, ln.side, ln.amount) for ln in lines],
                   description=f"late-payment penalties of {as_of} (product {product_id})")
