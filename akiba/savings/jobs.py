"""Interest posting for many accounts at once: the close-of-business step of savings.

Set-based: per chunk of accounts (locked FOR UPDATE in id order, like every command that moves money), one
query reads their movements already summed per day, one reads what each period already posted; the pure
engine computes each account in Python; then one bulk INSERT writes the interest transactions, one journal
entry per office, currency, product, day and direction carries their total to the ledger, and one UPDATE
moves the balances. Running it twice for the same day posts nothing twice: the engine is handed what each
period already posted and only differences come back.

Overdraft interest (accounts with an overdraft rate) is charged by the same pass at the same period ends: the
engine returns its differences beside the credit interest's, and they become ``overdraft_interest`` (a debit
to the account, income to the institution) or ``overdraft_interest_reversal`` transactions the same way.

An account whose interest was posted up to a period end and that has seen no back-dated change since resumes
from the day after (the engine's close-of-business shortcut, its ledger before that day as the opening
balance); an account with a back-dated change (``interest_recompute_from``) is recomputed from activation.

    post_interest_chunk(s, as_of, after_id=0, limit=1000, account_ids=None, full=False) -> ChunkResult
        # .bookings (credit interest), .overdraft_bookings
    run_interest_posting(rt, tenant, as_of, chunk=1000) -> RunResult      # commits per chunk
    mark_dormancy(s, as_of, account_ids=None) -> int                        # one UPDATE; accounts changed
    charge_periodic_fees(s, as_of, account_ids=None) -> int                 # monthly/annual fees; accounts charged
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.orm import Session

from akiba.accounting import posting as ledger
from akiba.core.money import ZERO
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo
from akiba.savings.interest import (
    DuePostings,
    Movement,
    PostingAdjustment,
    closure_postings,
    posting_period_ends,
    postings_due,
)
from akiba.savings.models import OVERDRAFT_INTEREST_TYPES, SavingsAccount, SavingsProduct, SavingsTransaction
from akiba.savings.postings import legs_for
from akiba.savings.service.common import interest_settings

SOURCE = "savings_interest"
_ONE_DAY = timedelta(days=1)

# Movements per account and effective day, summed. An interest posting counts on the day of the period it
# belongs to (a correction posted later included), which is where the engine's own recomputation puts it;
# it is flagged as interest (ignored by the engine) only for periods the run recomputes.
_MOVEMENTS = text("""
WITH c AS (
  SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:starts AS date[])) AS c(account_id, start_day)
), t AS (
  SELECT t.account_id, c.start_day, t.interest_period_end,
         CASE WHEN t.interest_period_end IS NOT NULL THEN t.interest_period_end ELSE t.transaction_date END AS day,
         CASE WHEN t.is_credit THEN t.amount ELSE -t.amount END AS amount
    FROM c JOIN savings_transactions t ON t.account_id = c.account_id
   WHERE NOT t.reversed
)
SELECT account_id, GREATEST(day, start_day - 1) AS day,
       COALESCE(interest_period_end >= start_day, false) AS is_interest, sum(amount) AS amount
  FROM t WHERE day <= :as_of
 GROUP BY 1, 2, 3
""")
# What each period posted so far, credit interest and overdraft interest apart (signed as they moved the balance).
_POSTED = text("""
SELECT account_id, interest_period_end, type IN :overdraft_types AS is_overdraft,
       sum(CASE WHEN is_credit THEN amount ELSE -amount END) AS amount
  FROM savings_transactions
 WHERE account_id = ANY(CAST(:ids AS integer[])) AND interest_period_end IS NOT NULL AND NOT reversed
 GROUP BY 1, 2, 3
""").bindparams(bindparam("overdraft_types", value=list(OVERDRAFT_INTEREST_TYPES), expanding=True))
_UPDATE_ACCOUNTS = text("""
UPDATE savings_accounts a
   SET balance = a.balance + v.delta,
       last_interest_posted_to = COALESCE(v.posted_to, a.last_interest_posted_to),
       interest_recompute_from = CASE WHEN v.clear THEN NULL ELSE a.interest_recompute_from END
  FROM unnest(CAST(:ids AS integer[]), CAST(:deltas AS numeric[]), CAST(:posted_to AS date[]),
              CAST(:clear AS boolean[])) AS v(id, delta, posted_to, clear)
 WHERE a.id = v.id
""")


@dataclass(frozen=True)
class Booking:
    """One interest transaction to write.

    Credit interest (``overdraft`` False): a posting (difference > 0) or a reversal of over-posted interest.
    Overdraft interest (``overdraft`` True): a charge (difference > 0, lowers the balance) or the return of an
    over-charge.
    """

    account_id: int
    office_id: int
    currency: str
    product_id: int
    period_end: date
    day: date
    difference: Decimal
    overdraft: bool = False

    @property
    def tx_type(self) -> str:
        if self.overdraft:
            return "overdraft_interest" if self.difference > 0 else "overdraft_interest_reversal"
        return "interest_posting" if self.difference > 0 else "interest_reversal"

    @property
    def balance_change(self) -> Decimal:
        return -self.difference if self.overdraft else self.difference


@dataclass(frozen=True)
class PostedInterest:
    """What an account's periods posted so far, by period end: credit interest, and overdraft interest charged
    (positive)."""

    interest: dict[date, Decimal] = field(default_factory=dict)
    overdraft: dict[date, Decimal] = field(default_factory=dict)


@dataclass
class ChunkResult:
    accounts: int = 0
    last_id: int | None = None
    bookings: list[Booking] = field(default_factory=list)  # credit interest
    overdraft_bookings: list[Booking] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        """Credit interest posted (net of reversals)."""
        return sum((b.difference for b in self.bookings), ZERO)

    @property
    def overdraft_total(self) -> Decimal:
        """Overdraft interest charged (net of what was given back)."""
        return sum((b.difference for b in self.overdraft_bookings), ZERO)


@dataclass
class RunResult:
    accounts: int = 0
    postings: int = 0  # interest transactions written, credit and overdraft
    total: Decimal = ZERO  # credit interest
    chunks: int = 0
    overdraft_total: Decimal = ZERO


def _start_day(account: Any, full: bool) -> date:
    activated_on: date = account.activated_on
    posted_to: date | None = account.last_interest_posted_to
    if full or posted_to is None or account.interest_recompute_from is not None:
        return activated_on
    return posted_to + _ONE_DAY


_CHUNK_COLUMNS = [getattr(SavingsAccount, name) for name in (
    "id", "office_id", "currency", "product_id", "activated_on", "last_interest_posted_to", "interest_recompute_from",
    "annual_interest_rate", "interest_calculation", "compounding", "posting", "days_in_year",
    "min_balance_for_interest", "rate_tiers", "digits", "rounding", "overdraft_interest_rate")]


def _lock_chunk(s: Session, as_of: date, after_id: int, limit: int,
                account_ids: Sequence[int] | None) -> list[Any]:
    """Core rows, not ORM objects: thousands of accounts per chunk, read once and never changed through the ORM."""
    a = SavingsAccount
    stmt = select(*_CHUNK_COLUMNS).where(a.status == "active", a.activated_on <= as_of)
    chosen = a.id.in_(account_ids) if account_ids is not None else a.id > after_id
    stmt = stmt.where(chosen).limit(limit if account_ids is None else None)
    return list(s.execute(stmt.order_by(a.id).with_for_update(of=SavingsAccount)))


def movements_by_account(s: Session, starts: dict[int, date], as_of: date) -> dict[int, list[Movement]]:
    found: dict[int, list[Movement]] = defaultdict(list)
    if not starts:
        return found
    rows = s.execute(_MOVEMENTS, {"ids": list(starts), "starts": list(starts.values()), "as_of": as_of})
    for row in rows:
        found[row.account_id].append(Movement(row.day, Decimal(row.amount), bool(row.is_interest)))
    return found


def posted_by_account(s: Session, ids: Iterable[int]) -> dict[int, PostedInterest]:
    found: dict[int, PostedInterest] = defaultdict(PostedInterest)
    for row in s.execute(_POSTED, {"ids": list(ids)}):
        posted = found[row.account_id]
        if row.is_overdraft:
            posted.overdraft[row.interest_period_end] = -Decimal(row.amount)  # a charge lowered the balance
        else:
            posted.interest[row.interest_period_end] = Decimal(row.amount)
    return found


def bookings_for(account: Any, adjustments: Iterable[PostingAdjustment], as_of: date,
                 overdraft: bool = False) -> list[Booking]:
    """A first posting is dated on its period end; a later difference on ``as_of`` (never an edit of the past)."""
    return [
        Booking(account.id, account.office_id, account.currency, account.product_id, adj.period_end,
                adj.period_end if adj.already_posted == 0 else as_of, adj.difference, overdraft)
        for adj in adjustments if adj.difference != 0
    ]


def _bookings_of(account: Any, due: DuePostings, as_of: date) -> tuple[list[Booking], list[Booking]]:
    return bookings_for(account, due.interest, as_of), bookings_for(account, due.overdraft, as_of, overdraft=True)


def post_interest_chunk(
    s: Session,
    as_of: date,
    *,
    after_id: int = 0,
    limit: int = 1000,
    account_ids: Sequence[int] | None = None,
    full: bool = False,
    created_by: int | None = None,
) -> ChunkResult:
    """Post the interest due on or before ``as_of`` for one chunk of active accounts (see module docstring)."""
    s.flush()
    accounts = _lock_chunk(s, as_of, after_id, limit, account_ids)
    result = ChunkResult(accounts=len(accounts), last_id=accounts[-1].id if accounts else None)
    starts: dict[int, date] = {}
    for account in accounts:
        start = _start_day(account, full)
        if posting_period_ends(start, as_of, account.posting):
            starts[account.id] = start
    movements = movements_by_account(s, starts, as_of)
    posted = posted_by_account(s, starts)
    updates: list[tuple[int, Decimal, date | None, bool]] = []
    for account in accounts:
        start_or_none = starts.get(account.id)
        if start_or_none is None:
            continue
        start = start_or_none
        already = posted[account.id]
        due = postings_due(interest_settings(account), movements[account.id], start, as_of,
                           {day: amount for day, amount in already.interest.items() if day >= start},
                           {day: amount for day, amount in already.overdraft.items() if day >= start})
        interest, overdraft = _bookings_of(account, due, as_of)
        result.bookings.extend(interest)
        result.overdraft_bookings.extend(overdraft)
        ends = posting_period_ends(start, as_of, account.posting)
        last = account.last_interest_posted_to
        posted_to = max(ends[-1], last) if last else ends[-1]
        covered = last is None or as_of >= last
        updates.append((account.id, sum((b.balance_change for b in interest + overdraft), ZERO), posted_to, covered))
    book_interest(s, result.bookings + result.overdraft_bookings, created_by)
    if updates:
        ids, deltas, posted_tos, clears = zip(*updates, strict=True)
        s.execute(_UPDATE_ACCOUNTS, {"ids": list(ids), "deltas": list(deltas), "posted_to": list(posted_tos),
                                     "clear": list(clears)})
    return result


def closing_bookings(s: Session, account: SavingsAccount, closed_on: date) -> tuple[list[Booking], list[Booking]]:
    """Everything interest still owes at closure, credit and overdraft interest apart: differences of past
    periods and the running period's share."""
    s.flush()
    start = account.activated_on
    assert start is not None
    movements = movements_by_account(s, {account.id: start}, closed_on)[account.id]
    already = posted_by_account(s, [account.id])[account.id]
    due = closure_postings(interest_settings(account), movements, start, closed_on, already.interest,
                           already.overdraft)
    return _bookings_of(account, due, closed_on)


def book_interest(s: Session, bookings: Sequence[Booking], created_by: int | None) -> None:
    """Journal entries (one per office, currency, product, day and direction) and the transactions they carry.

    The caller moves the account balances (a set-based UPDATE in the batch, the locked row at closure).
    """
    if not bookings:
        return
    groups: dict[tuple[int, str, int, date, str], list[Booking]] = defaultdict(list)
    for b in bookings:
        groups[(b.office_id, b.currency, b.product_id, b.day, b.tx_type)].append(b)
    products = {p.id: p for p in s.scalars(select(SavingsProduct).where(
        SavingsProduct.id.in_({b.product_id for b in bookings})))}
    mappings = {pid: ledger.product_mapping(s, "savings", pid) for pid, p in products.items()
                if p.accounting_rule != "none"}
    rows: list[dict[str, Any]] = []
    for (office_id, currency, product_id, day, tx_type), items in sorted(groups.items()):
        entry_id = None
        if product_id in mappings:
            total = sum((abs(b.difference) for b in items), ZERO)
            legs = [ledger.Leg(leg.gl_account_id, leg.side, leg.amount)
                    for leg in legs_for(tx_type, total, mappings[product_id])]
            entry_id = ledger.post_entry(
                s, office_id=office_id, currency=currency, transaction_date=day, source=SOURCE, source_id=None,
                legs=legs, description=f"savings {tx_type.replace('_', ' ')} ({len(items)} accounts)",
                created_by=created_by)
        rows.extend({"account_id": b.account_id, "type": tx_type, "transaction_date": day,
                     "amount": abs(b.difference), "is_credit": b.balance_change > 0,
                     "interest_period_end": b.period_end,
                     "reversed": False, "journal_entry_id": entry_id, "description": "", "created_by": created_by}
                    for b in items)
    s.execute(insert(SavingsTransaction), rows)


# Accounts owing the product's monthly fee (at a month end) and annual fee (at a year end) that were not charged
# for this day yet; a dormant account is spared when the product says fees stop. A fee the balance (with any
# overdraft) cannot pay is skipped, not forced into an overdraft the product does not allow.
_FEES_DUE = text("""
SELECT a.id, a.office_id, a.currency, a.product_id, a.digits, due.fee
  FROM savings_accounts a JOIN savings_products p ON p.id = a.product_id
 CROSS JOIN LATERAL (SELECT CASE WHEN :month_end THEN COALESCE(p.monthly_fee, 0) ELSE 0 END
                          + CASE WHEN :year_end THEN COALESCE(p.annual_fee, 0) ELSE 0 END AS fee) due
 WHERE a.status = 'active' AND a.activated_on <= :as_of AND due.fee > 0
   AND (CAST(:ids AS integer[]) IS NULL OR a.id = ANY(CAST(:ids AS integer[])))
   AND NOT (p.fees_stop_when_dormant AND a.sub_status IS NOT DISTINCT FROM 'dormant')
   AND a.balance - a.on_hold + CASE WHEN p.allow_overdraft THEN COALESCE(p.overdraft_limit, 0) ELSE 0 END >= due.fee
   AND NOT EXISTS (SELECT 1 FROM savings_transactions t WHERE t.account_id = a.id AND t.type = 'fee'
                      AND t.transaction_date = :as_of AND NOT t.reversed)
 ORDER BY a.id
   FOR UPDATE OF a
""")
_MOVE_BALANCES = text("""
UPDATE savings_accounts a SET balance = a.balance + v.delta
  FROM unnest(CAST(:ids AS integer[]), CAST(:deltas AS numeric[])) AS v(id, delta) WHERE a.id = v.id
""")


def charge_periodic_fees(s: Session, as_of: date, account_ids: Sequence[int] | None = None) -> int:
    """Charge monthly fees on a month's last day and annual fees on the year's last day, set-based: one entry
    per office, currency and product carries the total to the ledger. Charging twice for a day charges once."""
    tomorrow = as_of + _ONE_DAY
    params = {"as_of": as_of, "month_end": tomorrow.day == 1, "year_end": tomorrow.timetuple().tm_yday == 1,
              "ids": None if account_ids is None else list(account_ids)}
    if not (params["month_end"] or params["year_end"]):
        return 0
    rows = s.execute(_FEES_DUE, params).all()
    if not rows:
        return 0
    groups: dict[tuple[int, str, int], list[Any]] = defaultdict(list)
    for row in rows:
        groups[(row.office_id, row.currency, row.product_id)].append(row)
    products = {p.id: p for p in s.scalars(select(SavingsProduct).where(SavingsProduct.id.in_(
        {row.product_id for row in rows})))}
    inserts: list[dict[str, Any]] = []
    for (office_id, currency, product_id), items in sorted(groups.items()):
        entry_id = None
        if products[product_id].accounting_rule != "none":
            mapping = ledger.product_mapping(s, "savings", product_id)
            total = sum((Decimal(r.fee) for r in items), ZERO)
            legs = [ledger.Leg(leg.gl_account_id, leg.side, leg.amount) for leg in legs_for("fee", total, mapping)]
            entry_id = ledger.post_entry(s, office_id=office_id, currency=currency, transaction_date=as_of,
                                         source="savings_fees", source_id=None, legs=legs,
                                         description=f"savings periodic fees ({len(items)} accounts)")
        inserts.extend({"account_id": r.id, "type": "fee", "transaction_date": as_of, "amount": Decimal(r.fee),
                        "is_credit": False, "reversed": False, "journal_entry_id": entry_id,
                        "description": "periodic fee"} for r in items)
    s.execute(insert(SavingsTransaction), inserts)
    s.execute(_MOVE_BALANCES, {"ids": [r.id for r in rows], "deltas": [-Decimal(r.fee) for r in rows]})
    return len(rows)


def run_interest_posting(rt: Runtime, tenant: TenantInfo, as_of: date, chunk: int = 1000,
                         created_by: int | None = None) -> RunResult:
    """Every active account of a tenant, one committed transaction per chunk (resumable: reruns post nothing)."""
    run = RunResult()
    after_id = 0
    while True:
        with rt.session(tenant) as s:
            result = post_interest_chunk(s, as_of, after_id=after_id, limit=chunk, created_by=created_by)
            commit(s)
        if result.last_id is None:
            return run
        run.chunks += 1
        run.accounts += result.accounts
        run.postings += len(result.bookings) + len(result.overdraft_bookings)
        run.total += result.total
        run.overdraft_total += result.overdraft_total
        after_id = result.last_id


# Inactive after N days without a customer transaction, dormant after M (the product's dormancy settings); a
# customer transaction clears it again (see service.common.record).
_DORMANCY = text("""
WITH judged AS (
  SELECT a.id,
         CASE WHEN p.dormant_after_days IS NOT NULL
                   AND :as_of - COALESCE(a.last_transaction_on, a.activated_on) >= p.dormant_after_days THEN 'dormant'
              WHEN p.inactive_after_days IS NOT NULL
                   AND :as_of - COALESCE(a.last_transaction_on, a.activated_on) >= p.inactive_after_days THEN 'inactive'
         END AS sub_status
    FROM savings_accounts a JOIN savings_products p ON p.id = a.product_id
   WHERE a.status = 'active' AND (p.inactive_after_days IS NOT NULL OR p.dormant_after_days IS NOT NULL)
     AND (CAST(:ids AS integer[]) IS NULL OR a.id = ANY(CAST(:ids AS integer[])))
)
UPDATE savings_accounts a SET sub_status = judged.sub_status
  FROM judged WHERE a.id = judged.id AND a.sub_status IS DISTINCT FROM judged.sub_status
""")


def mark_dormancy(s: Session, as_of: date, account_ids: Sequence[int] | None = None) -> int:
    """Set-based close-of-business step: move accounts (all, or the ones named) to inactive or dormant by their
    last customer transaction."""
    ids = None if account_ids is None else list(account_ids)
    result = s.execute(_DORMANCY, {"as_of": as_of, "ids": ids})
    return int(result.rowcount)  # type: ignore[attr-defined]


__all__ = ["Booking", "ChunkResult", "PostedInterest", "RunResult", "charge_periodic_fees", "closing_bookings",
           "mark_dormancy", "post_interest_chunk", "run_interest_posting"]
