"""Tables of the savings feature: products, accounts, their transactions, holds and transfers.

Balances are kept on the account row (updated under its row lock by every command) so that a deposit or a
withdrawal reads and writes one row; running balances are derived from the transactions at read time, so
a back-dated transaction or a reversal never has to rewrite later rows.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from akiba.platform.db import TenantBase

MONEY = Numeric(19, 6)
ACCOUNT_STATUSES = ("submitted", "approved", "rejected", "active", "closed")
# Credits raise the balance, debits lower it; the sign is kept beside a positive amount.
CREDIT_TYPES = ("deposit", "transfer_in", "interest_posting", "overdraft_interest_reversal")
DEBIT_TYPES = ("withdrawal", "transfer_out", "withdrawal_fee", "fee", "interest_reversal", "overdraft_interest")
# Written by interest posting only (credit interest on positive balances, overdraft interest on negative ones):
# never reversed by hand, recomputed instead.
OVERDRAFT_INTEREST_TYPES = ("overdraft_interest", "overdraft_interest_reversal")
INTEREST_TYPES = ("interest_posting", "interest_reversal", *OVERDRAFT_INTEREST_TYPES)
TRANSACTION_TYPES = CREDIT_TYPES + DEBIT_TYPES


class SavingsProduct(TenantBase):
    __tablename__ = "savings_products"
    __table_args__ = (
        CheckConstraint("kind IN ('voluntary','compulsory')", name="kind"),
        CheckConstraint("interest_calculation IN ('daily_balance','average_daily_balance')", name="calculation"),
        CheckConstraint("compounding IN ('daily','monthly','quarterly','semiannual','annual')", name="compounding"),
        CheckConstraint("posting IN ('monthly','quarterly','semiannual','annual')", name="posting"),
        CheckConstraint("days_in_year IN (360, 365)", name="days_in_year"),
        CheckConstraint("accounting_rule IN ('none','cash')", name="accounting_rule"),
        CheckConstraint("annual_interest_rate >= 0", name="rate"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(12), default="voluntary")
    currency: Mapped[str] = mapped_column(String(3))
    digits: Mapped[int] = mapped_column(Integer, default=2)
    annual_interest_rate: Mapped[Decimal] = mapped_column(MONEY)
    interest_calculation: Mapped[str] = mapped_column(String(24))
    compounding: Mapped[str] = mapped_column(String(12))
    posting: Mapped[str] = mapped_column(String(12))
    days_in_year: Mapped[int] = mapped_column(Integer)
    rounding: Mapped[str] = mapped_column(String(12), default="HALF_EVEN")
    min_balance_for_interest: Mapped[Decimal | None] = mapped_column(MONEY)
    rate_tiers: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    min_opening_balance: Mapped[Decimal | None] = mapped_column(MONEY)
    min_required_balance: Mapped[Decimal | None] = mapped_column(MONEY)
    withdrawal_fee_type: Mapped[str | None] = mapped_column(String(8))  # flat | percent
    withdrawal_fee_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    monthly_fee: Mapped[Decimal | None] = mapped_column(MONEY)
    annual_fee: Mapped[Decimal | None] = mapped_column(MONEY)
    allow_overdraft: Mapped[bool] = mapped_column(Boolean, default=False)
    overdraft_limit: Mapped[Decimal | None] = mapped_column(MONEY)
    overdraft_interest_rate: Mapped[Decimal | None] = mapped_column(MONEY)
    lock_in_period: Mapped[int | None] = mapped_column(Integer)
    lock_in_unit: Mapped[str | None] = mapped_column(String(8))  # days | weeks | months | years
    inactive_after_days: Mapped[int | None] = mapped_column(Integer)
    dormant_after_days: Mapped[int | None] = mapped_column(Integer)
    fees_stop_when_dormant: Mapped[bool] = mapped_column(Boolean, default=True)
    accounting_rule: Mapped[str] = mapped_column(String(8), default="cash")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SavingsAccount(TenantBase):
    __tablename__ = "savings_accounts"
    __table_args__ = (
        CheckConstraint("status IN ('submitted','approved','rejected','active','closed')", name="status"),
        CheckConstraint("(client_id IS NULL) <> (group_id IS NULL)", name="one_holder"),
        CheckConstraint("on_hold >= 0", name="on_hold"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    account_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("savings_products.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    digits: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="submitted", index=True)
    sub_status: Mapped[str | None] = mapped_column(String(12))  # inactive | dormant
    submitted_on: Mapped[date] = mapped_column(Date)
    approved_on: Mapped[date | None] = mapped_column(Date)
    rejected_on: Mapped[date | None] = mapped_column(Date)
    activated_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    # The interest settings are copied from the product when the account is opened: a later product change
    # must not rewrite the terms of accounts already running.
    annual_interest_rate: Mapped[Decimal] = mapped_column(MONEY)
    interest_calculation: Mapped[str] = mapped_column(String(24))
    compounding: Mapped[str] = mapped_column(String(12))
    posting: Mapped[str] = mapped_column(String(12))
    days_in_year: Mapped[int] = mapped_column(Integer)
    rounding: Mapped[str] = mapped_column(String(12))
    min_balance_for_interest: Mapped[Decimal | None] = mapped_column(MONEY)
    rate_tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    overdraft_interest_rate: Mapped[Decimal | None] = mapped_column(MONEY)
    debit_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    credit_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    balance: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    on_hold: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    lock_in_until: Mapped[date | None] = mapped_column(Date)
    # Interest is posted for every posting period ending on or before this day; a transaction dated on or
    # before it (or a reversal of one) sets interest_recompute_from so the next posting runs from activation.
    last_interest_posted_to: Mapped[date | None] = mapped_column(Date)
    interest_recompute_from: Mapped[date | None] = mapped_column(Date)
    last_transaction_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SavingsTransfer(TenantBase):
    __tablename__ = "savings_transfers"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    from_account_id: Mapped[int] = mapped_column(ForeignKey("savings_accounts.id"), index=True)
    to_account_id: Mapped[int] = mapped_column(ForeignKey("savings_accounts.id"), index=True)
    transaction_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    description: Mapped[str] = mapped_column(Text, default="")
    reversed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SavingsTransaction(TenantBase):
    __tablename__ = "savings_transactions"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "type IN ('deposit','transfer_in','interest_posting','withdrawal','transfer_out','withdrawal_fee',"
            "'fee','interest_reversal','overdraft_interest','overdraft_interest_reversal')",
            name="type",
        ),
        Index("ix_savings_transactions_account_date", "account_id", "transaction_date", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("savings_accounts.id"))
    type: Mapped[str] = mapped_column(String(32))
    transaction_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    is_credit: Mapped[bool] = mapped_column(Boolean)
    interest_period_end: Mapped[date | None] = mapped_column(Date)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("savings_transfers.id"), index=True)
    # Reversal marks the row and reverses its journal entry; the row itself keeps its amount and date.
    reversed: Mapped[bool] = mapped_column(Boolean, default=False)
    reversed_on: Mapped[date | None] = mapped_column(Date)
    reversal_reason: Mapped[str | None] = mapped_column(Text)
    # Set for interest posted by the batch (one entry carries many accounts' postings). Every other transaction
    # has an entry of its own, found by source = 'savings_transaction' and source_id = this id.
    journal_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SavingsHold(TenantBase):
    __tablename__ = "savings_holds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('active','released')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("savings_accounts.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    reason: Mapped[str] = mapped_column(Text)
    placed_on: Mapped[date] = mapped_column(Date)
    released_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
