"""Read-side SQL of the ledger: entries with their lines, account totals for statements, general ledger lines.

Statements sum gl_daily_balances (one row per account, office, currency and day), never the journal, so their
cost follows the number of accounts x offices x days, not the number of postings.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from akiba.accounting.currencies import currency_digits
from akiba.accounting.models import GLAccount, GLDailyBalance, JournalEntry, JournalLine
from akiba.accounting.statements import AccountTotal, LedgerLine
from akiba.core.errors import not_found
from akiba.core.money import money_str
from akiba.platform.tenancy import TenantInfo

ZERO = Decimal(0)


def entry_views(s: Session, entries: Sequence[JournalEntry]) -> list[dict[str, Any]]:
    """Entries with their lines (one query for all lines) and the id of the entry that reversed each."""
    ids = [e.id for e in entries]
    if not ids:
        return []
    lines = s.execute(
        select(JournalLine, GLAccount.gl_code, GLAccount.name)
        .join(GLAccount, GLAccount.id == JournalLine.gl_account_id)
        .where(JournalLine.entry_id.in_(ids)).order_by(JournalLine.id)
    ).all()
    reversed_by = dict(s.execute(select(JournalEntry.reversal_of, JournalEntry.id)
                                 .where(JournalEntry.reversal_of.in_(ids))).tuples().all())
    by_entry: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for line, gl_code, name in lines:
        digits = currency_digits(line.currency)
        amount = money_str(line.amount, digits)
        by_entry[line.entry_id].append({
            "gl_code": gl_code, "gl_account_id": line.gl_account_id, "name": name, "office_id": line.office_id,
            "currency": line.currency,
            "debit": amount if line.side == "debit" else None, "credit": amount if line.side == "credit" else None,
        })
    return [{
        "id": e.id, "office_id": e.office_id, "currency": e.currency, "transaction_date": e.transaction_date,
        "posted_at": e.posted_at, "source": e.source, "source_id": e.source_id, "reference": e.reference,
        "description": e.description, "reversal_of": e.reversal_of, "reversed_by": reversed_by.get(e.id),
        "created_by": e.created_by, "lines": by_entry[e.id],
    } for e in entries]


def entry_view(s: Session, entry_id: int) -> dict[str, Any]:
    entry = s.get(JournalEntry, entry_id)
    if entry is None:
        raise not_found("journal-entry", entry_id)
    return entry_views(s, [entry])[0]


def ledger_currencies(s: Session) -> list[str]:
    return list(s.scalars(select(GLDailyBalance.currency).distinct().order_by(GLDailyBalance.currency)))


def default_currency(s: Session, tenant: TenantInfo) -> str:
    """The ledger's only currency, or the tenant's base currency when there are several (or none)."""
    found = ledger_currencies(s)
    return found[0] if len(found) == 1 else tenant.base_currency


def account_totals(s: Session, *, currency: str, to: date, since: date | None = None,
                   office_ids: Sequence[int] | None = None) -> list[AccountTotal]:
    """Debits and credits per account over [since, to] (since=None: from the beginning), offices filtered."""
    sums = (
        select(GLDailyBalance.gl_account_id, func.sum(GLDailyBalance.debit).label("debit"),
               func.sum(GLDailyBalance.credit).label("credit"))
        .where(GLDailyBalance.currency == currency, GLDailyBalance.balance_date <= to)
        .group_by(GLDailyBalance.gl_account_id)
    )
    if since is not None:
        sums = sums.where(GLDailyBalance.balance_date >= since)
    if office_ids is not None:
        sums = sums.where(GLDailyBalance.office_id.in_(office_ids))
    sub = sums.subquery()
    rows = s.execute(
        select(GLAccount.gl_code, GLAccount.name, GLAccount.type, sub.c.debit, sub.c.credit)
        .join(sub, sub.c.gl_account_id == GLAccount.id).order_by(GLAccount.gl_code)
    ).all()
    return [AccountTotal(r.gl_code, r.name, r.type, r.debit, r.credit) for r in rows]


def account_by_code(s: Session, gl_code: str) -> GLAccount:
    account = s.scalar(select(GLAccount).where(GLAccount.gl_code == gl_code))
    if account is None:
        raise not_found("gl-account", gl_code)
    return account


def opening_balance(s: Session, account: GLAccount, *, currency: str, before: date,
                    office_ids: Sequence[int] | None) -> tuple[Decimal, Decimal]:
    stmt = select(func.coalesce(func.sum(GLDailyBalance.debit), ZERO),
                  func.coalesce(func.sum(GLDailyBalance.credit), ZERO)).where(
        GLDailyBalance.gl_account_id == account.id, GLDailyBalance.currency == currency,
        GLDailyBalance.balance_date < before)
    if office_ids is not None:
        stmt = stmt.where(GLDailyBalance.office_id.in_(office_ids))
    debit, credit = s.execute(stmt).one()
    return debit, credit


def ledger_lines(s: Session, account: GLAccount, *, currency: str, since: date, to: date,
                 office_ids: Sequence[int] | None) -> Iterator[LedgerLine]:
    """The account's lines in date order, streamed from a server-side cursor."""
    stmt = (
        select(JournalLine.transaction_date, JournalLine.entry_id, JournalLine.side, JournalLine.amount,
               JournalEntry.reference, JournalEntry.description)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.gl_account_id == account.id, JournalLine.currency == currency,
               JournalLine.transaction_date >= since, JournalLine.transaction_date <= to)
        .order_by(JournalLine.transaction_date, JournalLine.entry_id, JournalLine.id)
        .execution_options(yield_per=2000)
    )
    if office_ids is not None:
        stmt = stmt.where(JournalLine.office_id.in_(office_ids))
    for r in s.execute(stmt):
        debit = r.amount if r.side == "debit" else ZERO
        credit = r.amount if r.side == "credit" else ZERO
        yield LedgerLine(r.transaction_date, r.entry_id, r.reference, r.description, debit, credit)
