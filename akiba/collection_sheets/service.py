"""Posting a collection sheet: a meeting's repayments, deposits and withdrawals in one call and one transaction.

A sheet is all or nothing, as Fineract's saveCollectionSheet: the first refused line refuses the sheet, naming the
line (e.g. ``repayments.3.amount``), and nothing is written. Each line keeps its own transaction, journal entry
and event, so a single line is reversed later like any other repayment or deposit. Repayments and deposits are
written set-based (`repay_lines`, `deposit_lines`: the code of the single calls, for many rows); withdrawals run the
very command a single call runs.

Rows are locked in one global order, loans by id and then savings accounts by id, so two sheets sharing members
wait for each other instead of deadlocking (single commands lock one row, transfers lock in id order too).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from akiba.collection_sheets.schemas import CollectionSheet
from akiba.core.errors import DomainError, at
from akiba.core.money import money_str
from akiba.loans.schemas import Repayment
from akiba.loans.service.payments import RepaymentLine, repay_lines
from akiba.platform.commands import command
from akiba.platform.context import Principal
from akiba.savings.schemas import TransactionIn
from akiba.savings.service.common import lock_for_movements, transaction_view
from akiba.savings.service.transactions import DepositLine, deposit_lines, withdraw


def permissions_of(sheet: CollectionSheet) -> list[str]:
    """What the sheet's lines need besides collectionsheets:save: the permission of each kind of line."""
    needed = {"repayments": "loans:repay", "deposits": "savings:deposit", "withdrawals": "savings:withdraw"}
    return [permission for kind, permission in needed.items() if getattr(sheet, kind)]


def _repayments(s: Session, who: Principal, sheet: CollectionSheet) -> list[dict[str, Any]]:
    return repay_lines(s, who, [
        RepaymentLine(line.loan_id, Repayment(transaction_date=sheet.transaction_date, amount=line.amount,
                                              payment_type=sheet.payment_type, reference=line.reference,
                                              note=line.note), f"repayments.{n}")
        for n, line in enumerate(sheet.repayments)]) if sheet.repayments else []


def _deposits(s: Session, who: Principal, sheet: CollectionSheet) -> list[dict[str, Any]]:
    lines = [DepositLine(line.savings_account_id,
                         TransactionIn(transaction_date=sheet.transaction_date, amount=line.amount,
                                       description=line.description), f"deposits.{n}")
             for n, line in enumerate(sheet.deposits)]
    return [{**transaction_view(done.transaction, done.account.digits),
             "balance": money_str(done.balance, done.account.digits)}
            for done in (deposit_lines(s, who, lines) if lines else [])]


def _withdrawals(s: Session, who: Principal, sheet: CollectionSheet) -> list[dict[str, Any]]:
    answers: dict[int, dict[str, Any]] = {}
    for n, line in sorted(enumerate(sheet.withdrawals), key=lambda item: item[1].savings_account_id):
        data = TransactionIn(transaction_date=sheet.transaction_date, amount=line.amount,
                             description=line.description)
        try:
            done = withdraw(s, who, data, line.savings_account_id)
        except DomainError as error:
            raise at(f"withdrawals.{n}", error) from None
        account = done.pop("account")
        answers[n] = {**done, "balance": account["balance"]}
    return [answers[n] for n in range(len(sheet.withdrawals))]


@command("collectionsheets:save", resource="collection_sheet", payload=CollectionSheet, status=201,
         needs=permissions_of)
def save(s: Session, who: Principal, sheet: CollectionSheet, _: int | None) -> dict[str, Any]:
    repaid = _repayments(s, who, sheet)
    if sheet.withdrawals:  # every savings account of the sheet locked at once, in id order
        lock_for_movements(s, [line.savings_account_id for line in sheet.deposits + sheet.withdrawals])
    # Deposits before withdrawals: the meeting's deposit may fund a member's withdrawal.
    return {"transaction_date": sheet.transaction_date, "repayments": repaid,
            "deposits": _deposits(s, who, sheet), "withdrawals": _withdrawals(s, who, sheet)}
