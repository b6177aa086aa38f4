"""Tables of the loans feature: products with their charges, loans, installments, transactions and charges.

The migration t0004 creates exactly these tables; keep the two in agreement.
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
    PrimaryKeyConstraint,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from akiba.clients import models as _clients  # noqa: F401  # the tables our foreign keys name must be known
from akiba.core.money import ZERO
from akiba.org import models as _org  # noqa: F401
from akiba.platform.db import TenantBase

MONEY = Numeric(19, 6)
RATE = Numeric(19, 6)

LOAN_STATUSES = ("submitted", "approved", "active", "overpaid", "closed", "rejected", "withdrawn", "written_off")
TRANSACTION_TYPES = ("disbursement", "repayment", "prepayment", "waive_interest", "waive_charge", "write_off", "refund",
                     "charge_off", "reschedule")
CHARGE_TIMES = ("disbursement", "installment", "overdue_installment", "specified_due_date")
CHARGE_CALCULATIONS = ("flat", "percent_of_amount", "percent_of_installment", "percent_of_overdue")


class LoanProduct(TenantBase):
    """A loan product: the defaults and limits of every loan made from it, and how it is accounted for."""

    __tablename__ = "loan_products"
    __table_args__ = (
        CheckConstraint("accounting_rule IN ('none', 'cash', 'accrual_periodic')", name="accounting_rule"),
        CheckConstraint("min_principal <= principal AND principal <= max_principal", name="principal_range"),
        CheckConstraint("min_number_of_repayments <= number_of_repayments "
                        "AND number_of_repayments <= max_number_of_repayments", name="repayments_range"),
        CheckConstraint("min_annual_interest_rate <= annual_interest_rate "
                        "AND annual_interest_rate <= max_annual_interest_rate", name="rate_range"),
        CheckConstraint("non_accrual_after_days IS NULL OR non_accrual_after_days > 0",
                        name="non_accrual_after_days_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(10), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    digits: Mapped[int] = mapped_column(Integer, default=2)
    in_multiples_of: Mapped[int] = mapped_column(Integer, default=0)
    principal: Mapped[Decimal] = mapped_column(MONEY)
    min_principal: Mapped[Decimal] = mapped_column(MONEY)
    max_principal: Mapped[Decimal] = mapped_column(MONEY)
    number_of_repayments: Mapped[int] = mapped_column(Integer)
    min_number_of_repayments: Mapped[int] = mapped_column(Integer)
    max_number_of_repayments: Mapped[int] = mapped_column(Integer)
    annual_interest_rate: Mapped[Decimal] = mapped_column(RATE)
    min_annual_interest_rate: Mapped[Decimal] = mapped_column(RATE)
    max_annual_interest_rate: Mapped[Decimal] = mapped_column(RATE)
    # Every other schedule setting of CONTRACT.md's schedule request, validated by the engine's own parser.
    schedule_settings: Mapped[dict[str, Any]] = mapped_column(JSONB)
    arrears_tolerance: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    grace_on_arrears_ageing: Mapped[int] = mapped_column(Integer, default=0)
    delinquency_buckets: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    # Days in arrears (as close of business ages them) from which a loan stops accruing; NULL: never.
    non_accrual_after_days: Mapped[int | None] = mapped_column(Integer)
    accounting_rule: Mapped[str] = mapped_column(String(20), default="none")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LoanProductCharge(TenantBase):
    """A charge every loan of the product carries: a fee or a penalty, with when and how it is computed."""

    __tablename__ = "loan_product_charges"
    __table_args__ = (
        CheckConstraint("charge_time IN ('disbursement', 'installment', 'overdue_installment', "
                        "'specified_due_date')", name="charge_time"),
        CheckConstraint("calculation IN ('flat', 'percent_of_amount', 'percent_of_installment', "
                        "'percent_of_overdue')", name="calculation"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("loan_products.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    charge_time: Mapped[str] = mapped_column(String(24))
    calculation: Mapped[str] = mapped_column(String(24))
    amount: Mapped[Decimal] = mapped_column(MONEY)  # money for flat, percent otherwise
    penalty: Mapped[bool] = mapped_column(Boolean, default=False)
    grace_days: Mapped[int] = mapped_column(Integer, default=0)  # overdue penalties: days late before it applies


class Loan(TenantBase):
    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint("(client_id IS NULL) <> (group_id IS NULL)", name="one_borrower"),
        CheckConstraint("status IN ('submitted', 'approved', 'active', 'overpaid', 'closed', 'rejected', "
                        "'withdrawn', 'written_off')", name="status"),
        CheckConstraint("principal > 0", name="principal_positive"),
        Index("ix_loans_office_status", "office_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("loan_products.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    loan_officer_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    currency: Mapped[str] = mapped_column(String(3))
    digits: Mapped[int] = mapped_column(Integer)
    principal: Mapped[Decimal] = mapped_column(MONEY)  # as applied for
    approved_principal: Mapped[Decimal | None] = mapped_column(MONEY)
    disbursed_principal: Mapped[Decimal | None] = mapped_column(MONEY)
    annual_interest_rate: Mapped[Decimal] = mapped_column(RATE)
    number_of_repayments: Mapped[int] = mapped_column(Integer)
    # The loan's own schedule settings (CONTRACT.md names), copied from the product and overridden at submission.
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    submitted_on: Mapped[date] = mapped_column(Date)
    expected_disbursement_date: Mapped[date] = mapped_column(Date)
    approved_on: Mapped[date | None] = mapped_column(Date)
    disbursed_on: Mapped[date | None] = mapped_column(Date)
    rejected_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    written_off_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    # A charged-off loan stays active and collectable; its balance left the portfolio for the charge-off expense on
    # this date, and repayments after its charge-off transaction post to recovery (t0013).
    charged_off_on: Mapped[date | None] = mapped_column(Date)
    charge_off_transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    # Running totals kept by every command, so lists and portfolio reports need no replay.
    principal_outstanding: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    interest_outstanding: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    fees_outstanding: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    penalties_outstanding: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    credit_balance: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)  # overpaid, owed back to the borrower
    # The date of the latest event replayed into the installments: a command dated earlier replays them all.
    last_event_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LoanInstallment(TenantBase):
    """One row of a disbursed loan's schedule with what has been paid and waived of it."""

    __tablename__ = "loan_installments"
    __table_args__ = (PrimaryKeyConstraint("loan_id", "n"),)

    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id", ondelete="CASCADE"))
    n: Mapped[int] = mapped_column(Integer)
    from_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    down_payment: Mapped[bool] = mapped_column(Boolean, default=False)
    principal: Mapped[Decimal] = mapped_column(MONEY)
    interest: Mapped[Decimal] = mapped_column(MONEY)
    outstanding_after: Mapped[Decimal] = mapped_column(MONEY)
    scheduled_fees: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)  # installment fees of the product
    fees: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)  # scheduled fees plus charges added later
    penalties: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    paid_principal: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    paid_interest: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    paid_fees: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    paid_penalties: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    waived_interest: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    waived_fees: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    waived_penalties: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    in_advance: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    late: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    paid_date: Mapped[date | None] = mapped_column(Date)


class LoanTransaction(TenantBase):
    """A money event of a loan with its split; a reversed one stays, marked, and its journal entries reversed."""

    __tablename__ = "loan_transactions"
    __table_args__ = (
        CheckConstraint("type IN ('disbursement', 'repayment', 'prepayment', 'waive_interest', 'waive_charge', "
                        "'write_off', 'refund', 'charge_off', 'reschedule')", name="type"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_loan_transactions_loan_date", "loan_id", "transaction_date", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    type: Mapped[str] = mapped_column(String(16))
    transaction_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    principal: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    interest: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    fees: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    penalties: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    overpayment: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    interest_waived: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)  # prepayment: unearned interest forgiven
    # Accrual accounting: of the interest this transaction settled, what close of business had accrued already
    # (credited to interest receivable rather than income); a reversal gives it back to the receivable.
    interest_accrued: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    charge_id: Mapped[int | None] = mapped_column(BigInteger)  # waive_charge: the charge waived
    payment_type: Mapped[str | None] = mapped_column(String(50))
    reference: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(500))
    reversed: Mapped[bool] = mapped_column(Boolean, default=False)
    reversed_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LoanCharge(TenantBase):
    """A fee or penalty charged to one loan, on one installment (disbursement fees have none: paid at once)."""

    __tablename__ = "loan_charges"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    product_charge_id: Mapped[int | None] = mapped_column(ForeignKey("loan_product_charges.id"))
    name: Mapped[str] = mapped_column(String(100))
    charge_time: Mapped[str] = mapped_column(String(24))
    penalty: Mapped[bool] = mapped_column(Boolean, default=False)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    charged_on: Mapped[date] = mapped_column(Date)  # when it became due (the event date in the replay)
    installment_n: Mapped[int | None] = mapped_column(Integer)
    waived: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LoanOfficerAssignment(TenantBase):
    """Who looked after a loan and when: the current officer has no end date."""

    __tablename__ = "loan_officer_assignments"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)


class LoanReschedule(TenantBase):
    """A reschedule of a loan (t0016): the terms from its first rescheduled installment on, and what the loan had
    before (rate, number of repayments, the installments replaced, its charges' installments, its live
    transactions), so the latest one can be undone exactly; the accrual true-up entry it posted is reversed then."""

    __tablename__ = "loan_reschedules"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("loan_transactions.id"), unique=True)
    first_n: Mapped[int] = mapped_column(Integer)
    start: Mapped[date] = mapped_column(Date)  # where the first rescheduled period starts
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB)
    before: Mapped[dict[str, Any]] = mapped_column(JSONB)
    accrual_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    accrual_adjustment: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    undone_on: Mapped[date | None] = mapped_column(Date)
    undone_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
