"""Money movements: deposits, withdrawals (and their fee), transfers, reversals, interest posting, closure."""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from akiba.accounting import posting as ledger
from akiba.core.errors import DomainError, at, conflict, invalid, not_found
from akiba.core.money import ZERO, money_str, quantize
from akiba.platform.commands import command, emit
from akiba.platform.context import Principal
from akiba.platform.provisioning import business_date
from akiba.savings import jobs
from akiba.savings.models import INTEREST_TYPES, SavingsAccount, SavingsProduct, SavingsTransaction, SavingsTransfer
from akiba.savings.postings import legs_for
from akiba.savings.schemas import CloseIn, PostInterestIn, ReverseCommand, TransactionIn, TransferIn
from akiba.savings.service.common import (
    SOURCE,
    Locked,
    account_summary,
    available_balance,
    check_amount_digits,
    check_history_floor,
    check_transaction_date,
    lock_account,
    lock_accounts_in_order,
    lock_for_movement,
    lock_for_movements,
    note_back_dating,
    product_of,
    record,
    require_status,
    signed,
    transaction_view,
)


def _check_can_credit(account: SavingsAccount) -> None:
    require_status(account, "active")
    if account.credit_blocked:
        raise conflict("savings-account-credit-blocked", f"savings account {account.id} is blocked for credits")


def _check_can_debit(account: SavingsAccount, day: date) -> None:
    require_status(account, "active")
    if account.debit_blocked:
        raise conflict("savings-account-debit-blocked", f"savings account {account.id} is blocked for debits")
    if account.lock_in_until is not None and day < account.lock_in_until:
        raise conflict("savings-account-locked-in", f"savings account {account.id} is locked in until "
                                                    f"{account.lock_in_until}")


def _check_funds(s: Session, account: SavingsAccount, product: SavingsProduct, debit: Decimal, day: date) -> None:
    available = available_balance(account, product)
    if debit > available:
        raise DomainError("insufficient-funds", f"{money_str(debit, account.digits)} is more than the available "
                          f"{money_str(max(available, ZERO), account.digits)}", status=409)
    if account.last_transaction_on is not None and day < account.last_transaction_on:
        check_history_floor(s, account, product, day)


def withdrawal_fee(product: SavingsProduct, amount: Decimal, digits: int) -> Decimal:
    if product.withdrawal_fee_type == "flat":
        return product.withdrawal_fee_amount or ZERO
    if product.withdrawal_fee_type == "percent":
        rate = product.withdrawal_fee_amount or ZERO
        return quantize(amount * rate / 100, digits, decimal.ROUND_HALF_EVEN)  # named point: the fee
    return ZERO


def _fee_description(withdrawal_id: int) -> str:
    """Written by the withdrawal, read by its reversal: the link from a withdrawal to the fee it charged."""
    return f"fee of withdrawal {withdrawal_id}"


def _movement_result(tx: SavingsTransaction, account: SavingsAccount, product: SavingsProduct,
                     **extra: Any) -> dict[str, Any]:
    return {**transaction_view(tx, account.digits), **extra, "account": account_summary(account, product)}


@dataclass(frozen=True)
class DepositLine:
    account_id: int
    data: TransactionIn
    place: str = ""  # where the line sits in the caller's request ("deposits.3"), to name it in a refusal


@dataclass(frozen=True)
class Deposited:
    transaction: SavingsTransaction
    balance: Decimal  # the account's balance right after this deposit
    account: SavingsAccount  # as all the lines left it (detached: written by the statement, not the ORM)
    product: SavingsProduct


# Every deposit of a call written by one statement: the transactions (ids drawn first, in the lines' order), the
# accounts' new state (computed in Python under the row locks) and the outbox events. Their journal entries follow
# in one more statement (ledger.post_entries), last, because the GL balance rows they update are shared by every
# movement of the office and stay locked until commit.
_WRITE_DEPOSITS = """
WITH t AS MATERIALIZED (
  SELECT nextval(pg_get_serial_sequence('savings_transactions', 'id')) AS id, t.*
    FROM unnest(%(account_ids)s::integer[], %(dates)s::date[], %(amounts)s::numeric[], %(descriptions)s::text[])
         WITH ORDINALITY AS t(account_id, transaction_date, amount, description, k)
), transactions AS (
  INSERT INTO savings_transactions (id, account_id, type, transaction_date, amount, is_credit, reversed, description,
                                    created_by)
  SELECT id, account_id, 'deposit', transaction_date, amount, true, false, description, %(created_by)s FROM t
), accounts AS (
  UPDATE savings_accounts a
     SET balance = u.balance, last_transaction_on = u.last_transaction_on, sub_status = u.sub_status,
         interest_recompute_from = u.interest_recompute_from
    FROM unnest(%(ids)s::integer[], %(balances)s::numeric[], %(last_dates)s::date[], %(sub_statuses)s::text[],
                %(recompute_dates)s::date[]) AS u(id, balance, last_transaction_on, sub_status, interest_recompute_from)
   WHERE a.id = u.id
), events AS (
  INSERT INTO outbox (event_type, aggregate, aggregate_id, payload)
  SELECT 'savings.deposited', 'savings_account', account_id, jsonb_build_object('transaction_id', id, 'amount', amount)
    FROM t ORDER BY k
)
SELECT id FROM t ORDER BY k
"""


def _checked_deposit(s: Session, line: DepositLine, locked: Locked | None) -> Locked:
    try:
        if locked is None:
            raise not_found("savings-account", line.account_id)
        _check_can_credit(locked.account)
        check_transaction_date(s, locked.account, line.data.transaction_date, today=locked.business_date)
        check_amount_digits(line.data.amount, locked.account)
    except DomainError as error:
        raise at(line.place, error) from None
    return locked


def deposit_lines(s: Session, who: Principal, lines: Sequence[DepositLine]) -> list[Deposited]:
    """Deposits to any accounts in three statements however many lines: lock, write, journal.

    Each line is a transaction with its own journal entry and event, as a single deposit; all lines or none."""
    found = lock_for_movements(s, [line.account_id for line in lines])
    checked = [_checked_deposit(s, line, found.get(line.account_id)) for line in lines]
    for locked in found.values():
        s.expunge(locked.account)  # written by _WRITE_DEPOSITS, not by the ORM
    balances = []
    for line, locked in zip(lines, checked, strict=True):
        account, day = locked.account, line.data.transaction_date
        account.balance += line.data.amount
        note_back_dating(account, day)
        if account.last_transaction_on is None or day > account.last_transaction_on:
            account.last_transaction_on, account.sub_status = day, None  # a deposit wakes a dormant account
        balances.append(account.balance)
    accounts = [found[account_id].account for account_id in sorted({line.account_id for line in lines})]
    ids = [int(row[0]) for row in s.connection().exec_driver_sql(_WRITE_DEPOSITS, {
        "account_ids": [line.account_id for line in lines], "dates": [line.data.transaction_date for line in lines],
        "amounts": [line.data.amount for line in lines], "descriptions": [line.data.description for line in lines],
        "created_by": who.user_id, "ids": [a.id for a in accounts], "balances": [a.balance for a in accounts],
        "last_dates": [a.last_transaction_on for a in accounts], "sub_statuses": [a.sub_status for a in accounts],
        "recompute_dates": [a.interest_recompute_from for a in accounts]})]
    transactions = [SavingsTransaction(id=tx_id, account_id=line.account_id, type="deposit",
                                       transaction_date=line.data.transaction_date, amount=line.data.amount,
                                       is_credit=True, reversed=False, description=line.data.description,
                                       created_by=who.user_id) for tx_id, line in zip(ids, lines, strict=True)]
    _post_deposits(s, who, transactions, checked)
    return [Deposited(tx, balance, held.account, held.product)
            for tx, balance, held in zip(transactions, balances, checked, strict=True)]


def _post_deposits(s: Session, who: Principal, transactions: list[SavingsTransaction], locked: list[Locked]) -> None:
    posted = [(tx, held) for tx, held in zip(transactions, locked, strict=True)
              if held.product.accounting_rule != "none"]
    entry_ids = ledger.post_entries(s, [
        ledger.Entry(held.account.office_id, held.account.currency, tx.transaction_date, SOURCE, tx.id,
                     [ledger.Leg(leg.gl_account_id, leg.side, leg.amount)
                      for leg in legs_for("deposit", tx.amount, held.mapping)],
                     held.account.account_no, tx.description or "deposit", who.user_id)
        for tx, held in posted]) if posted else []
    for (tx, _), entry_id in zip(posted, entry_ids, strict=True):
        setattr(tx, "posted_entry_id", entry_id)  # noqa: B010  # for the answer only, as `record` does


@command("savings:deposit", resource="savings_account", payload=TransactionIn, status=201)
def deposit(s: Session, who: Principal, data: TransactionIn, account_id: int | None) -> dict[str, Any]:
    assert account_id is not None
    [done] = deposit_lines(s, who, [DepositLine(account_id, data)])
    return _movement_result(done.transaction, done.account, done.product)


@command("savings:withdraw", resource="savings_account", payload=TransactionIn, status=201)
def withdraw(s: Session, who: Principal, data: TransactionIn, account_id: int | None) -> dict[str, Any]:
    assert account_id is not None
    locked = lock_for_movement(s, account_id)
    account, product = locked.account, locked.product
    _check_can_debit(account, data.transaction_date)
    check_transaction_date(s, account, data.transaction_date, today=locked.business_date)
    check_amount_digits(data.amount, account)
    fee = withdrawal_fee(product, data.amount, account.digits)
    _check_funds(s, account, product, data.amount + fee, data.transaction_date)
    emit(s, "savings.withdrawn", "savings_account", account.id, {"transaction_id": locked.next_id,
                                                                 "amount": data.amount})
    tx = record(s, account, product, who, "withdrawal", data.transaction_date, data.amount,
                description=data.description, mapping=locked.mapping, tx_id=locked.next_id)
    fee_view = None
    if fee > 0:
        fee_tx = record(s, account, product, who, "withdrawal_fee", data.transaction_date, fee,
                        description=_fee_description(tx.id), mapping=locked.mapping)
        fee_view = transaction_view(fee_tx, account.digits)
    if account.last_transaction_on and data.transaction_date < account.last_transaction_on:
        check_history_floor(s, account, product, data.transaction_date)
    return _movement_result(tx, account, product, fee=fee_view)


@command("savings:transfer", resource="savings_transfer", payload=TransferIn, status=201)
def transfer(s: Session, who: Principal, data: TransferIn, _: int | None) -> dict[str, Any]:
    if data.from_account_id == data.to_account_id:
        raise invalid("to_account_id", "a transfer needs two different accounts")
    locked = lock_accounts_in_order(s, [data.from_account_id, data.to_account_id])
    source, target = locked[data.from_account_id], locked[data.to_account_id]
    if source.currency != target.currency:
        raise invalid("to_account_id", f"account {target.id} holds {target.currency}, not {source.currency}")
    _check_can_debit(source, data.transaction_date)
    _check_can_credit(target)
    check_transaction_date(s, source, data.transaction_date)
    check_transaction_date(s, target, data.transaction_date)
    check_amount_digits(data.amount, source)
    source_product, target_product = product_of(s, source), product_of(s, target)
    _check_funds(s, source, source_product, data.amount, data.transaction_date)
    row = SavingsTransfer(from_account_id=source.id, to_account_id=target.id, transaction_date=data.transaction_date,
                          amount=data.amount, description=data.description, reversed=False)
    s.add(row)
    s.flush()
    emit(s, "savings.transferred", "savings_transfer", row.id,
         {"from_account_id": source.id, "to_account_id": target.id, "amount": data.amount})
    out_tx = record(s, source, source_product, who, "transfer_out", data.transaction_date, data.amount,
                    description=data.description, transfer_id=row.id)
    in_tx = record(s, target, target_product, who, "transfer_in", data.transaction_date, data.amount,
                   description=data.description, transfer_id=row.id)
    if source.last_transaction_on and data.transaction_date < source.last_transaction_on:
        check_history_floor(s, source, source_product, data.transaction_date)
    return {"id": row.id, "from_account_id": source.id, "to_account_id": target.id,
            "transaction_date": row.transaction_date, "amount": money_str(row.amount, source.digits),
            "from_transaction": transaction_view(out_tx, source.digits),
            "to_transaction": transaction_view(in_tx, target.digits),
            "from_balance": money_str(source.balance, source.digits),
            "to_balance": money_str(target.balance, target.digits)}


def _reverse_one(s: Session, who: Principal, account: SavingsAccount, tx: SavingsTransaction, reason: str) -> None:
    """Mark one transaction reversed, undo its balance effect and post the mirror of its journal entry."""
    tx.reversed, tx.reversed_on, tx.reversal_reason = True, business_date(s), reason or None
    account.balance -= signed(tx)
    note_back_dating(account, tx.transaction_date)
    reason = reason or f"reversal of savings transaction {tx.id}"
    if tx.journal_entry_id is None:  # the transaction's own entry
        ledger.reverse_entries_for_source(s, SOURCE, tx.id, reason=reason, created_by=who.user_id)
        return
    # A batch fee shares one entry with other accounts: post the mirror of this transaction's share only.
    product = product_of(s, account)
    mapping = ledger.product_mapping(s, "savings", product.id)
    mirrored = [ledger.Leg(leg.gl_account_id, "credit" if leg.side == "debit" else "debit", leg.amount)
                for leg in legs_for(tx.type, tx.amount, mapping)]
    ledger.post_entry(s, office_id=account.office_id, currency=account.currency, transaction_date=tx.transaction_date,
                      source=SOURCE, source_id=tx.id, legs=mirrored, reference=account.account_no,
                      description=reason, created_by=who.user_id)


@command("savings:reverse", resource="savings_account", payload=ReverseCommand)
def reverse_transaction(s: Session, who: Principal, data: ReverseCommand, account_id: int | None) -> dict[str, Any]:
    assert account_id is not None
    found = s.get(SavingsTransaction, data.transaction_id)
    if found is None or found.account_id != account_id:
        raise not_found("savings-transaction", data.transaction_id)
    # Both sides of a transfer go together; their accounts are locked in id order like the transfer itself.
    sides = [found] if found.transfer_id is None else list(s.scalars(
        select(SavingsTransaction).where(SavingsTransaction.transfer_id == found.transfer_id)))
    accounts = lock_accounts_in_order(s, [tx.account_id for tx in sides])
    s.refresh(found, with_for_update=True)
    if found.type == "withdrawal":
        # The fee a withdrawal charged goes back with it.
        sides += list(s.scalars(select(SavingsTransaction).where(
            SavingsTransaction.account_id == found.account_id, SavingsTransaction.type == "withdrawal_fee",
            SavingsTransaction.description == _fee_description(found.id), SavingsTransaction.reversed.is_(False))))
    if found.reversed:
        raise conflict("savings-transaction-reversed", f"transaction {found.id} is already reversed")
    if found.type in INTEREST_TYPES:
        raise conflict("savings-interest-not-reversible",
                       "interest is not reversed by hand: it is recomputed at the next posting")
    for tx in sides:
        require_status(accounts[tx.account_id], "active")
        _reverse_one(s, who, accounts[tx.account_id], tx, data.reason)
    for tx in sides:
        if tx.is_credit:  # taking a credit away must not leave any later day below the floor
            account = accounts[tx.account_id]
            check_history_floor(s, account, product_of(s, account), tx.transaction_date)
    if found.transfer_id is not None:
        transfer_row = s.get(SavingsTransfer, found.transfer_id)
        assert transfer_row is not None
        transfer_row.reversed = True
    account = accounts[account_id]
    emit(s, "savings.transaction_reversed", "savings_account", account_id, {"transaction_id": found.id})
    return _movement_result(found, account, product_of(s, account))


@command("savings:post_interest", resource="savings_account", payload=PostInterestIn, status=201)
def post_interest(s: Session, who: Principal, data: PostInterestIn, account_id: int | None) -> dict[str, Any]:
    assert account_id is not None
    account = lock_account(s, account_id)
    require_status(account, "active")
    check_transaction_date(s, account, data.as_of, "as_of")
    result = jobs.post_interest_chunk(s, data.as_of, account_ids=[account.id], full=True, created_by=who.user_id)
    account = lock_account(s, account_id)  # the batch moved the balance with a set-based UPDATE
    if result.bookings or result.overdraft_bookings:
        emit(s, "savings.interest_posted", "savings_account", account.id,
             {"total": result.total, "overdraft_total": result.overdraft_total})
    # "posted" keeps CONTRACT.md's shape (credit interest only); overdraft interest has its own key, an amount
    # charged (or, negative, given back after a back-dated change).
    return {"account_id": account.id,
            "posted": _interest_view(result.bookings, account.digits),
            "overdraft_interest": _interest_view(result.overdraft_bookings, account.digits),
            "balance": money_str(account.balance, account.digits)}


def _interest_view(bookings: list[jobs.Booking], digits: int) -> list[dict[str, Any]]:
    return [{"period_end": b.period_end, "transaction_date": b.day, "amount": money_str(b.difference, digits)}
            for b in bookings]


@command("savings:close", resource="savings_account", payload=CloseIn)
def close_account(s: Session, who: Principal, data: CloseIn, account_id: int | None) -> dict[str, Any]:
    assert account_id is not None
    account = lock_account(s, account_id)
    require_status(account, "active")
    check_transaction_date(s, account, data.closed_on, "closed_on")
    if account.last_transaction_on and data.closed_on < account.last_transaction_on:
        raise invalid("closed_on", f"is before the last transaction on {account.last_transaction_on}")
    if account.on_hold > 0:
        raise conflict("savings-account-on-hold", "release the holds before closing the account")
    product = product_of(s, account)
    interest, overdraft = jobs.closing_bookings(s, account, data.closed_on)
    jobs.book_interest(s, interest + overdraft, who.user_id)
    account.balance += sum((b.balance_change for b in interest + overdraft), ZERO)
    account.last_interest_posted_to = data.closed_on
    account.interest_recompute_from = None
    if data.withdraw_balance and account.balance > 0:
        _check_can_debit(account, data.closed_on)
        record(s, account, product, who, "withdrawal", data.closed_on, account.balance, description="closure")
    if account.balance != 0:
        raise conflict("savings-balance-not-zero", f"the balance is {money_str(account.balance, account.digits)} "
                       "after interest; withdraw it first or close with withdraw_balance")
    account.status, account.closed_on = "closed", data.closed_on
    emit(s, "savings_account.closed", "savings_account", account.id, {"closed_on": data.closed_on})
    return {**account_summary(account, product),
            "interest_posted": [{"period_end": b.period_end, "amount": money_str(b.difference, account.digits)}
                                for b in interest],
            "overdraft_interest_charged": [{"period_end": b.period_end,
                                            "amount": money_str(b.difference, account.digits)} for b in overdraft]}
