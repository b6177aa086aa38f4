"""The posting service: how every feature writes to the ledger, inside its own transaction.

Interface (stable; loans, savings and close of business call it and never commit themselves):

    from akiba.accounting.posting import Leg, post_entry, reverse_entry, reverse_entries_for_source

    Leg(gl_account_id: int, side: "debit" | "credit", amount: Decimal)     # frozen dataclass

    post_entry(s, *, office_id, currency, transaction_date, source, source_id, legs,
               reference=None, description="", created_by=None) -> int    # the journal entry id
    post_entries(s, [Entry(office_id, currency, transaction_date, source, source_id, legs, ...), ...])
        -> list[int]                                                        # many entries, one statement
    with postings_queued(s): post_or_queue(s, Entry(...))                 # posted together at the block's end
    reverse_entry(s, entry_id, *, transaction_date=None, reason="", created_by=None) -> int
    reverse_entries_for_source(s, source, source_id, *, transaction_date=None, reason="",
                               created_by=None) -> list[int]
    gl_account_id(s, gl_code) -> int

    set_product_mappings(s, product_type, product_id, mapping: dict[movement, gl_account_id])
    product_mapping(s, product_type, product_id) -> dict[movement, gl_account_id]
    default_mapping(s, product_type, accounting_rule) -> dict[movement, gl_account_id]
    missing_movements(product_type, accounting_rule, mapping) -> list[str]
    financial_activity_account(s, activity) -> int    # e.g. "opening_balance_contra"

`source` names where an entry comes from: "manual", "opening_balance", "loan_transaction",
"savings_transaction", "cob" (any short string works; reports group by it) and `source_id` the id of that
transaction, so `reverse_entries_for_source` can undo what one loan/savings transaction posted.

post_entry refuses (DomainError, nothing written): an unknown office, a bad currency code, a negative amount or
one with more than 6 decimals, legs that do not balance, an unknown, header or disabled GL account, and a date on or
before the office's latest accounting closure. Zero legs are skipped (a repayment with no interest part posts
no interest leg); an entry left with no legs is refused.

Behind it, the database enforces the same rules for any writer (migration t0003): the lines of an entry balance
per currency (a deferred constraint trigger, fired by `commit()`), lines and entries are append-only, amounts are
positive, and closed periods and header accounts take no lines. The per-account, per-office, per-day balance
table (gl_daily_balances) is updated in the same statement that inserts the lines, by one set-based
INSERT ... ON CONFLICT DO UPDATE in a statement trigger, so no writer can leave it behind the journal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from akiba.accounting.chart import ACCOUNTING_RULES, DEFAULT_CODES, MOVEMENTS, PRODUCT_TYPES, required_movements
from akiba.accounting.currencies import is_currency_code
from akiba.accounting.models import FinancialActivityMapping, GLAccount, JournalEntry, JournalLine, ProductGLMapping
from akiba.core.errors import DomainError, invalid, not_found
from akiba.platform.db import refusal_for, register_refusals

Side = Literal["debit", "credit"]
MAX_AMOUNT = Decimal("1e13")  # NUMERIC(19,6) holds 13 digits before the point


@dataclass(frozen=True)
class Leg:
    gl_account_id: int
    side: Side
    amount: Decimal


@dataclass(frozen=True)
class _Line:
    gl_account_id: int
    office_id: int
    currency: str
    side: str
    amount: Decimal


# One round trip: the entry and all its lines in one statement, so the statement triggers on journal_lines
# (closure and header checks, the daily balance upsert) run once per entry, set-based.
_INSERT_ENTRY = text("""
WITH entry AS (
  INSERT INTO journal_entries (office_id, currency, transaction_date, source, source_id, reference, description,
                               reversal_of, created_by)
  VALUES (:office_id, :currency, :transaction_date, :source, :source_id, :reference, :description,
          :reversal_of, :created_by)
  RETURNING id, transaction_date
)
INSERT INTO journal_lines (entry_id, transaction_date, gl_account_id, office_id, currency, side, amount)
SELECT entry.id, entry.transaction_date, l.gl_account_id, l.office_id, l.currency, l.side, l.amount
  FROM entry, unnest(CAST(:gl_ids AS integer[]), CAST(:office_ids AS integer[]), CAST(:currencies AS text[]),
                     CAST(:sides AS text[]), CAST(:amounts AS numeric[]))
       AS l(gl_account_id, office_id, currency, side, amount)
RETURNING entry_id
""")

register_refusals({
    "accounting_closure": ("accounting-period-closed", 409),
    "journal_entry_balanced": ("journal-entry-unbalanced", 422),
    "journal_lines_detail_accounts": ("gl-account-header", 422),
    "uq_journal_entries_reversal_of": ("journal-entry-already-reversed", 409),
    "fk_journal_lines_gl_account_id_gl_accounts": ("gl-account-not-found", 422),
    "fk_journal_lines_office_id_offices": ("office-not-found", 422),
    "fk_journal_lines_entry": ("journal-entry-not-found", 422),
    "journal_parent_in_use": ("in-use", 409),
})


def _check_amount(leg: Leg, index: int) -> None:
    if not isinstance(leg.amount, Decimal) or not leg.amount.is_finite():
        raise invalid(f"legs.{index}.amount", "must be a finite Decimal")
    if leg.amount < 0:
        raise invalid(f"legs.{index}.amount", "must not be negative")
    if leg.amount >= MAX_AMOUNT:
        raise invalid(f"legs.{index}.amount", "is too large")
    exponent = leg.amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6 and leg.amount != leg.amount.quantize(Decimal("1e-6")):
        raise invalid(f"legs.{index}.amount", "has more than 6 decimal places")
    if leg.side not in ("debit", "credit"):
        raise invalid(f"legs.{index}.side", "must be debit or credit")


def _nonzero_legs(legs: Sequence[Leg]) -> list[Leg]:
    for i, leg in enumerate(legs):
        _check_amount(leg, i)
    kept = [leg for leg in legs if leg.amount != 0]
    if not kept:
        raise invalid("legs", "a journal entry needs at least one leg with a non-zero amount")
    return kept


def _check_balanced(legs: Iterable[Leg]) -> None:
    debits = sum((leg.amount for leg in legs if leg.side == "debit"), Decimal(0))
    credits = sum((leg.amount for leg in legs if leg.side == "credit"), Decimal(0))
    if debits != credits:
        raise DomainError("journal-entry-unbalanced", f"debits {debits} do not equal credits {credits}", status=422)


def check_accounts_postable(s: Session, gl_ids: Iterable[int]) -> None:
    """Every account exists, is a detail account and is enabled."""
    wanted = set(gl_ids)
    rows = s.execute(select(GLAccount.id, GLAccount.gl_code, GLAccount.usage, GLAccount.enabled)
                     .where(GLAccount.id.in_(wanted))).all()
    _refuse_unpostable({row.id: row for row in rows}, wanted)


def _refuse_unpostable(found: Mapping[int, Any], wanted: Iterable[int]) -> None:
    for gl_id in sorted(wanted):
        row = found.get(gl_id)
        if row is None:
            raise DomainError("gl-account-not-found", f"GL account {gl_id} does not exist", status=422)
        if row.usage != "detail":
            raise DomainError("gl-account-header", f"GL account {row.gl_code} is a header account", status=422)
        if not row.enabled:
            raise DomainError("gl-account-disabled", f"GL account {row.gl_code} is disabled", status=422)


def latest_closing_date(s: Session, office_id: int) -> date | None:
    value: date | None = s.scalar(
        text("SELECT max(closing_date) FROM accounting_closures WHERE office_id = :o"), {"o": office_id})
    return value


def check_period_open(s: Session, office_ids: Iterable[int], transaction_date: date) -> None:
    for office_id in sorted(set(office_ids)):
        closed_to = latest_closing_date(s, office_id)
        if closed_to is not None and transaction_date <= closed_to:
            raise DomainError("accounting-period-closed",
                              f"office {office_id} is closed up to {closed_to}; {transaction_date} is refused",
                              status=409)


# One round trip for every check that needs the database: the office, its latest closure and the accounts.
_PRECHECK = text("""
SELECT c.closed_to, a.id, a.gl_code, a.usage, a.enabled
  FROM offices o
  CROSS JOIN LATERAL (SELECT max(closing_date) AS closed_to FROM accounting_closures WHERE office_id = o.id) c
  LEFT JOIN gl_accounts a ON a.id = ANY(CAST(:gl_ids AS integer[]))
 WHERE o.id = :office_id
""")


def _check_postable(s: Session, office_id: int, gl_ids: set[int], transaction_date: date) -> None:
    rows = s.execute(_PRECHECK, {"office_id": office_id, "gl_ids": sorted(gl_ids)}).all()
    if not rows:
        raise invalid("office_id", f"office {office_id} does not exist")
    closed_to = rows[0].closed_to
    if closed_to is not None and transaction_date <= closed_to:
        raise DomainError("accounting-period-closed",
                          f"office {office_id} is closed up to {closed_to}; {transaction_date} is refused", status=409)
    _refuse_unpostable({row.id: row for row in rows if row.id is not None}, gl_ids)


def _check_office(s: Session, office_id: int) -> None:
    if s.scalar(text("SELECT 1 FROM offices WHERE id = :o"), {"o": office_id}) is None:
        raise invalid("office_id", f"office {office_id} does not exist")


def _insert(s: Session, header: Mapping[str, Any], lines: Sequence[_Line]) -> int:
    params = {
        **header,
        "gl_ids": [ln.gl_account_id for ln in lines],
        "office_ids": [ln.office_id for ln in lines],
        "currencies": [ln.currency for ln in lines],
        "sides": [ln.side for ln in lines],
        "amounts": [ln.amount for ln in lines],
    }
    try:
        # No savepoint (it would cost two round trips per entry): a refusal here fails the caller's command.
        entry_id = s.execute(_INSERT_ENTRY, params).scalars().first()
    except IntegrityError as error:
        raise _domain_error(error) from None
    assert entry_id is not None
    return int(entry_id)


def _domain_error(error: IntegrityError) -> DomainError:
    return refusal_for(error) or DomainError("ledger-refused", str(error.orig), status=409)


@dataclass(frozen=True)
class Entry:
    """One journal entry to post: its header and its legs."""

    office_id: int
    currency: str
    transaction_date: date
    source: str
    source_id: int | None
    legs: Sequence[Leg]
    reference: str | None = None
    description: str = ""
    created_by: int | None = None


# One round trip for any number of entries: the guard (every office exists with its period open, every account a
# postable detail account) and the inserts of the entries and all their lines. Entry ids are drawn first, so lines
# find their entry by its place in the input (k). When the guard fails nothing is inserted and no id comes back;
# `_check_postable` then names the reason (that slow path runs only for refusals). The database triggers still
# check closures and header accounts for every writer, once per statement however many entries it carries; the
# guard only spares the refusal a failed transaction and gives it a precise message. Sent with the driver's own
# parameter style (no SQLAlchemy compilation: this runs for every money movement), prepared by psycopg after a
# few executions.
_POST_ENTRIES = """
WITH e AS MATERIALIZED (
  SELECT nextval(pg_get_serial_sequence('journal_entries', 'id')) AS id, e.*
    FROM unnest(%(office_ids)s::integer[], %(currencies)s::text[], %(dates)s::date[], %(sources)s::text[],
                %(source_ids)s::bigint[], %(references)s::text[], %(descriptions)s::text[], %(creators)s::integer[])
         WITH ORDINALITY AS e(office_id, currency, transaction_date, source, source_id, reference, description,
                              created_by, k)
), guard AS (
  SELECT NOT EXISTS (SELECT 1 FROM e LEFT JOIN offices o ON o.id = e.office_id
                      WHERE o.id IS NULL
                         OR EXISTS (SELECT 1 FROM accounting_closures c
                                     WHERE c.office_id = e.office_id AND c.closing_date >= e.transaction_date))
     AND (SELECT count(*) FROM gl_accounts a
           WHERE a.id = ANY(%(accounts)s::integer[]) AND a.usage = 'detail' AND a.enabled) = %(n_accounts)s AS ok
), entry AS (
  INSERT INTO journal_entries (id, office_id, currency, transaction_date, source, source_id, reference, description,
                               created_by)
  SELECT id, office_id, currency, transaction_date, source, source_id, reference, description, created_by
    FROM e WHERE (SELECT ok FROM guard)
), lines AS (
  INSERT INTO journal_lines (entry_id, transaction_date, gl_account_id, office_id, currency, side, amount)
  SELECT e.id, e.transaction_date, l.gl_account_id, e.office_id, e.currency, l.side, l.amount
    FROM unnest(%(line_entries)s::bigint[], %(gl_ids)s::integer[], %(sides)s::text[], %(amounts)s::numeric[])
         AS l(k, gl_account_id, side, amount)
    JOIN e ON e.k = l.k
   WHERE (SELECT ok FROM guard)
)
SELECT id FROM e WHERE (SELECT ok FROM guard) ORDER BY k
"""


def _checked_legs(entry: Entry) -> list[Leg]:
    if not is_currency_code(entry.currency):
        raise invalid("currency", "must be an ISO 4217 code of 3 capital letters")
    if not entry.source or len(entry.source) > 30:
        raise invalid("source", "must be 1-30 characters")
    kept = _nonzero_legs(entry.legs)
    _check_balanced(kept)
    return kept


def post_entries(s: Session, entries: Sequence[Entry]) -> list[int]:
    """Post balanced journal entries in the caller's transaction, in one statement; their ids in the order given.

    A batch of money movements (a collection sheet's deposits) posts an entry per movement this way, so each can
    be reversed on its own, and the journal's statement triggers run once for the batch."""
    legs = [_checked_legs(entry) for entry in entries]
    accounts = sorted({leg.gl_account_id for kept in legs for leg in kept})
    params = {
        "office_ids": [e.office_id for e in entries], "currencies": [e.currency for e in entries],
        "dates": [e.transaction_date for e in entries], "sources": [e.source for e in entries],
        "source_ids": [e.source_id for e in entries], "references": [e.reference for e in entries],
        "descriptions": [e.description for e in entries], "creators": [e.created_by for e in entries],
        "accounts": accounts, "n_accounts": len(accounts),
        "line_entries": [k for k, kept in enumerate(legs, 1) for _ in kept],
        "gl_ids": [leg.gl_account_id for kept in legs for leg in kept],
        "sides": [leg.side for kept in legs for leg in kept],
        "amounts": [leg.amount for kept in legs for leg in kept],
    }
    try:
        ids = [int(row[0]) for row in s.connection().exec_driver_sql(_POST_ENTRIES, params)]
    except IntegrityError as error:
        raise _domain_error(error) from None
    if len(ids) != len(entries):
        for entry, kept in zip(entries, legs, strict=True):  # raises the precise refusal
            _check_postable(s, entry.office_id, {leg.gl_account_id for leg in kept}, entry.transaction_date)
        raise DomainError("ledger-refused", "the posting was refused; retry", status=409)
    return ids


_QUEUE = "akiba.ledger.queued_entries"


@contextmanager
def postings_queued(s: Session) -> Iterator[None]:
    """Entries given to `post_or_queue` inside the block are posted together, in one statement, when it ends.

    A command posting many entries (a collection sheet's repayments) would otherwise lock the GL balance rows that
    every posting of the office shares from its first entry until commit, and so hold back every other command
    of the office all that time. Anything reading the journal meanwhile posts the queue first."""
    s.info[_QUEUE] = []
    try:
        yield
        _post_queued(s)
    finally:
        s.info.pop(_QUEUE, None)


def _post_queued(s: Session) -> None:
    queued: list[Entry] | None = s.info.get(_QUEUE)
    if queued:
        entries = list(queued)
        queued.clear()
        post_entries(s, entries)


def post_or_queue(s: Session, entry: Entry) -> None:
    """Post the entry now, or queue it inside `postings_queued` (for callers that need no entry id)."""
    queued: list[Entry] | None = s.info.get(_QUEUE)
    if queued is None:
        post_entries(s, [entry])
    else:
        _checked_legs(entry)  # refused now, by the movement that made it
        queued.append(entry)


def post_entry(
    s: Session,
    *,
    office_id: int,
    currency: str,
    transaction_date: date,
    source: str,
    source_id: int | None,
    legs: Sequence[Leg],
    reference: str | None = None,
    description: str = "",
    created_by: int | None = None,
) -> int:
    """Post one balanced journal entry in the caller's transaction and return its id (see module docstring)."""
    entry = Entry(office_id, currency, transaction_date, source, source_id, legs, reference, description, created_by)
    return post_entries(s, [entry])[0]


def reverse_entry(s: Session, entry_id: int, *, transaction_date: date | None = None, reason: str = "",
                  created_by: int | None = None) -> int:
    """Post the mirror of an entry (debits become credits), linked to it; an entry is reversed at most once.

    The reversal keeps the original's source and source_id and is dated like it unless a date is given
    (a date after the latest closure is needed once the original's period is closed).
    """
    _post_queued(s)
    original = s.execute(select(JournalEntry).where(JournalEntry.id == entry_id).with_for_update()).scalar_one_or_none()
    if original is None:
        raise not_found("journal-entry", entry_id)
    if original.reversal_of is not None:
        raise DomainError("journal-entry-is-a-reversal", f"entry {entry_id} is itself a reversal", status=409)
    if s.scalar(select(JournalEntry.id).where(JournalEntry.reversal_of == entry_id)) is not None:
        raise DomainError("journal-entry-already-reversed", f"entry {entry_id} is already reversed", status=409)
    lines = s.execute(select(JournalLine).where(JournalLine.entry_id == entry_id).order_by(JournalLine.id)).scalars()
    mirrored = [_Line(ln.gl_account_id, ln.office_id, ln.currency, "credit" if ln.side == "debit" else "debit",
                      ln.amount) for ln in lines]
    when = transaction_date or original.transaction_date
    check_period_open(s, {ln.office_id for ln in mirrored}, when)
    header = {"office_id": original.office_id, "currency": original.currency, "transaction_date": when,
              "source": original.source, "source_id": original.source_id, "reference": original.reference,
              "description": reason or f"Reversal of entry {entry_id}", "reversal_of": entry_id,
              "created_by": created_by}
    return _insert(s, header, mirrored)


def reverse_entries_for_source(s: Session, source: str, source_id: int, *, transaction_date: date | None = None,
                               reason: str = "", created_by: int | None = None) -> list[int]:
    """Reverse every entry a source transaction posted that is not reversed yet; returns the reversals' ids."""
    _post_queued(s)
    reversed_ids = select(JournalEntry.reversal_of).where(JournalEntry.reversal_of.is_not(None))
    open_ids = s.scalars(
        select(JournalEntry.id)
        .where(JournalEntry.source == source, JournalEntry.source_id == source_id,
               JournalEntry.reversal_of.is_(None), JournalEntry.id.not_in(reversed_ids))
        .order_by(JournalEntry.id)
    ).all()
    return [reverse_entry(s, entry_id, transaction_date=transaction_date, reason=reason, created_by=created_by)
            for entry_id in open_ids]


def gl_account_id(s: Session, gl_code: str) -> int:
    found = s.scalar(select(GLAccount.id).where(GLAccount.gl_code == gl_code))
    if found is None:
        raise not_found("gl-account", gl_code)
    return int(found)


# --- product-to-GL mappings -------------------------------------------------------------------------------------


def _check_product_type(product_type: str) -> None:
    if product_type not in PRODUCT_TYPES:
        raise invalid("product_type", f"must be one of {', '.join(PRODUCT_TYPES)}")


def missing_movements(product_type: str, accounting_rule: str, mapping: Mapping[str, int]) -> list[str]:
    """The movements the rule needs that the mapping does not name."""
    _check_product_type(product_type)
    if accounting_rule not in ACCOUNTING_RULES:
        raise invalid("accounting_rule", f"must be one of {', '.join(ACCOUNTING_RULES)}")
    return [m for m in required_movements(product_type, accounting_rule) if m not in mapping]


def set_product_mappings(s: Session, product_type: str, product_id: int, mapping: Mapping[str, int]) -> None:
    """Point each named movement of a product at a detail GL account (others keep their mapping)."""
    _check_product_type(product_type)
    unknown = sorted(set(mapping) - MOVEMENTS[product_type])
    if unknown:
        raise invalid("mapping", f"unknown movements for a {product_type} product: {', '.join(unknown)}")
    if not mapping:
        return
    check_accounts_postable(s, mapping.values())
    stmt = pg_insert(ProductGLMapping).values([
        {"product_type": product_type, "product_id": product_id, "movement": m, "gl_account_id": gl}
        for m, gl in sorted(mapping.items())
    ])
    s.execute(stmt.on_conflict_do_update(index_elements=["product_type", "product_id", "movement"],
                                         set_={"gl_account_id": stmt.excluded.gl_account_id}))


def product_mapping(s: Session, product_type: str, product_id: int) -> dict[str, int]:
    rows = s.execute(select(ProductGLMapping.movement, ProductGLMapping.gl_account_id).where(
        ProductGLMapping.product_type == product_type, ProductGLMapping.product_id == product_id)).all()
    return {row.movement: row.gl_account_id for row in rows}


def default_mapping(s: Session, product_type: str, accounting_rule: str) -> dict[str, int]:
    """The seeded chart's accounts for each movement the rule needs (for products created without mappings)."""
    needed = missing_movements(product_type, accounting_rule, {})  # validates both names; all are missing
    codes = {m: DEFAULT_CODES[product_type][m] for m in needed}
    ids = dict(s.execute(select(GLAccount.gl_code, GLAccount.id).where(GLAccount.gl_code.in_(codes.values()))).all())
    absent = sorted(code for code in codes.values() if code not in ids)
    if absent:
        raise DomainError("gl-default-mapping-missing",
                          f"the standard chart's accounts {', '.join(absent)} are missing; map the product explicitly",
                          status=409)
    return {m: int(ids[code]) for m, code in codes.items()}


def financial_activity_account(s: Session, activity: str) -> int:
    found = s.scalar(select(FinancialActivityMapping.gl_account_id)
                     .where(FinancialActivityMapping.activity == activity))
    if found is None:
        raise DomainError("financial-activity-not-mapped", f"no GL account is mapped to {activity}", status=409)
    return int(found)


def set_financial_activity(s: Session, activity: str, gl_account_id: int) -> None:
    check_accounts_postable(s, [gl_account_id])
    stmt = pg_insert(FinancialActivityMapping).values(activity=activity, gl_account_id=gl_account_id)
    s.execute(stmt.on_conflict_do_update(index_elements=["activity"], set_={"gl_account_id": gl_account_id}))
