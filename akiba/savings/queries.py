"""Read side of savings: the account with its holds, interest accrued and transactions with running balance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from akiba.accounting.models import JournalEntry
from akiba.core.money import ZERO, money_str, quantize, rounding_mode
from akiba.platform.provisioning import business_date
from akiba.savings.interest import compute_interest
from akiba.savings.jobs import movements_by_account, posted_by_account
from akiba.savings.models import SavingsAccount, SavingsHold, SavingsTransaction
from akiba.savings.service.accounts import hold_view
from akiba.savings.service.common import (
    SOURCE,
    account_summary,
    get_account,
    interest_settings,
    product_of,
    signed,
    transaction_view,
)


def interest_not_posted(s: Session, account: SavingsAccount, as_of: date) -> tuple[Decimal, Decimal]:
    """Credit interest earned and overdraft interest incurred to ``as_of`` and not yet posted: complete periods
    still owed plus the running period, both unrounded."""
    if account.status != "active" or account.activated_on is None or as_of < account.activated_on:
        return ZERO, ZERO
    start = account.activated_on
    movements = movements_by_account(s, {account.id: start}, as_of)[account.id]
    result = compute_interest(interest_settings(account), movements, start, as_of)
    posted = posted_by_account(s, [account.id])[account.id]
    owed = sum((amount - posted.interest.get(end, ZERO) for end, amount in result.postings.items()), ZERO)
    # Every period ended by as_of, charged or due: a charge a back-dated deposit undid is owed back.
    owed_overdraft = (sum(result.overdraft_postings.values(), ZERO)
                      - sum((amount for end, amount in posted.overdraft.items() if end <= as_of), ZERO))
    return owed + result.accrued_not_posted, owed_overdraft + result.overdraft_accrued_not_posted


def _entry_ids(s: Session, tx_ids: list[int]) -> dict[int, int]:
    """The journal entry each transaction posted (found by its source, as ``record`` names it)."""
    rows = s.execute(select(JournalEntry.source_id, func.min(JournalEntry.id)).where(
        JournalEntry.source == SOURCE, JournalEntry.source_id.in_(tx_ids), JournalEntry.reversal_of.is_(None))
        .group_by(JournalEntry.source_id))
    return {int(source_id): int(entry_id) for source_id, entry_id in rows if source_id is not None}


def transactions_with_running_balance(s: Session, account: SavingsAccount) -> list[dict[str, Any]]:
    rows = list(s.scalars(select(SavingsTransaction).where(SavingsTransaction.account_id == account.id)
                          .order_by(SavingsTransaction.transaction_date, SavingsTransaction.id)))
    entries = _entry_ids(s, [tx.id for tx in rows if tx.journal_entry_id is None]) if rows else {}
    running = ZERO
    views = []
    for tx in rows:
        if not tx.reversed:
            running += signed(tx)
        views.append({**transaction_view(tx, account.digits, entries.get(tx.id)),
                      "running_balance": money_str(running, account.digits)})
    return views


def account_detail(s: Session, account_id: int, as_of: date | None = None) -> dict[str, Any]:
    account = get_account(s, account_id)
    product = product_of(s, account)
    day = as_of or business_date(s)
    holds = s.scalars(select(SavingsHold).where(SavingsHold.account_id == account.id, SavingsHold.status == "active")
                      .order_by(SavingsHold.id))
    accrued, overdraft = interest_not_posted(s, account, day)
    mode = rounding_mode(account.rounding)
    return {
        **account_summary(account, product),
        "accrued_interest_as_of": day,
        # Shown rounded to the currency the way the posting will round it; the engine keeps it exact.
        "accrued_interest_not_posted": money_str(quantize(accrued, account.digits, mode), account.digits),
        "accrued_overdraft_interest_not_posted": money_str(quantize(overdraft, account.digits, mode),
                                                           account.digits),
        "holds": [hold_view(h, account.digits) for h in holds],
        "transactions": transactions_with_running_balance(s, account),
    }
