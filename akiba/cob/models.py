"""Tables of close of business: runs, their chunks, what each loan/account was closed for, loan arrears state.

The migrations t0006, t0009 and t0011 create exactly these tables; keep the two in agreement.

Why a separate ``cob_marks`` table rather than a ``closed_for`` column on loans and savings accounts: the close
writes its mark in the same transaction as its postings, and a mark table keeps that write away from the rows
every teller command locks and updates (no extra column churn on the hot loan row, no migration of another
feature's table), and one table serves every kind of entity a step closes (loan, savings account, later shares).
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
    Text,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from akiba.platform.db import TenantBase

MONEY = Numeric(19, 6)
RUN_STATUSES = ("running", "completed", "completed_with_errors", "failed")
CHUNK_STATUSES = ("pending", "done")
KINDS = ("loan", "savings")


class CobRun(TenantBase):
    __tablename__ = "cob_runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'completed', 'completed_with_errors', 'failed')", name="status"),
        # One run at a time per business date: a second POST for D joins the first.
        Index("uq_cob_runs_running_date", "business_date", unique=True, postgresql_where="status = 'running'"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    business_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24), default="running")
    chunk_size: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CobChunk(TenantBase):
    """An id range of one kind of entity; last_id NULL means open-ended (entities created during the run)."""

    __tablename__ = "cob_chunks"
    __table_args__ = (
        CheckConstraint("kind IN ('loan', 'savings')", name="kind"),
        CheckConstraint("status IN ('pending', 'done')", name="status"),
        Index("ix_cob_chunks_run_status", "run_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("cob_runs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    first_id: Mapped[int] = mapped_column(Integer)
    last_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    entities: Mapped[int] = mapped_column(Integer, default=0)  # closed by this chunk
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    seconds: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))


class CobMark(TenantBase):
    """The last business date an entity was closed for: the close of D skips every entity marked D or later."""

    __tablename__ = "cob_marks"
    __table_args__ = (PrimaryKeyConstraint("kind", "entity_id"),)

    kind: Mapped[str] = mapped_column(String(10))
    entity_id: Mapped[int] = mapped_column(Integer)
    closed_for: Mapped[date] = mapped_column(Date)


class LoanArrears(TenantBase):
    """A loan's arrears as the last close left them, and the interest accrued so far (accrual products)."""

    __tablename__ = "cob_loan_state"

    loan_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    days_in_arrears: Mapped[int] = mapped_column(Integer, default=0)
    overdue_since: Mapped[date | None] = mapped_column(Date)
    overdue_amount: Mapped[Decimal] = mapped_column(MONEY, default=0)
    bucket: Mapped[str | None] = mapped_column(String(50))
    accrued_interest: Mapped[Decimal] = mapped_column(MONEY, default=0)
    # Arrears at or above the product's non_accrual_after_days: the close accrues nothing until it is current.
    non_accrual: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class DelinquencyHistory(TenantBase):
    """Each bucket a loan was in, from and to (to NULL: still in it)."""

    __tablename__ = "cob_delinquency_history"
    __table_args__ = (Index("ix_cob_delinquency_history_loan", "loan_id", "from_date"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    loan_id: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(50))
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


class StagedAccrual(TenantBase):
    """Loan accruals of a business date closed by a chunk, waiting to be posted (entry_id NULL) or posted.

    Chunks insert these instead of posting, so they never lock the ledger's daily balance rows; the final job of
    the day posts one entry per office, currency, product and direction (steps.post_staged_accruals).
    """

    __tablename__ = "cob_staged_accruals"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_nonzero"),
        Index("ix_cob_staged_accruals_unposted", "business_date", postgresql_where="entry_id IS NULL"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    business_date: Mapped[date] = mapped_column(Date)
    office_id: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    product_id: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    entry_id: Mapped[int | None] = mapped_column(BigInteger)
