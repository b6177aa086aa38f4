"""Tables of the reports feature (tenant revisions t0007 and t0015 create exactly these).

- portfolio_snapshots: filled by close of business (akiba.reports.snapshot).
- report_region_grants: the tenants this institution lets aggregate its reports (a hosting company's
  regional tenant); the consent lives with the data it opens.
- statement_settings: what a regulatory statement prints about the institution.
- statement_runs, statement_chunks: bulk statement generation, one procrastinate job per chunk.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
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
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from akiba.platform.db import TenantBase

MONEY = Numeric(19, 6)


class PortfolioSnapshot(TenantBase):
    __tablename__ = "portfolio_snapshots"
    __table_args__ = (PrimaryKeyConstraint("business_date", "loan_id"),)

    business_date: Mapped[date] = mapped_column(Date)
    loan_id: Mapped[int] = mapped_column(Integer)  # no FK: history outlives a loan's row changes
    office_id: Mapped[int] = mapped_column(Integer)
    loan_officer_id: Mapped[int | None] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(Integer)
    client_id: Mapped[int | None] = mapped_column(Integer)
    group_id: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    principal_disbursed: Mapped[Decimal] = mapped_column(MONEY)
    principal_outstanding: Mapped[Decimal] = mapped_column(MONEY)
    interest_outstanding: Mapped[Decimal] = mapped_column(MONEY)
    fees_outstanding: Mapped[Decimal] = mapped_column(MONEY)
    penalties_outstanding: Mapped[Decimal] = mapped_column(MONEY)
    overdue_principal: Mapped[Decimal] = mapped_column(MONEY)
    overdue_total: Mapped[Decimal] = mapped_column(MONEY)
    days_in_arrears: Mapped[int] = mapped_column(Integer)


class RegionGrant(TenantBase):
    __tablename__ = "report_region_grants"

    region_tenant: Mapped[str] = mapped_column(String(31), primary_key=True)
    granted_by: Mapped[str] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StatementSettings(TenantBase):
    __tablename__ = "statement_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    institution_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    complaints_contact: Mapped[str] = mapped_column(Text, default="")
    regulator_note: Mapped[str] = mapped_column(Text, default="")


class StatementRun(TenantBase):
    """A month's bulk statements (tenant revision t0015): its accounts are split into chunks, one job each."""

    __tablename__ = "statement_runs"
    __table_args__ = (
        CheckConstraint("kind IN ('loan', 'savings', 'all')", name="kind"),
        CheckConstraint("status IN ('running', 'completed', 'completed_with_errors')", name="status"),
        Index("ux_statement_runs_running", "month", "kind", unique=True, postgresql_where=text("status = 'running'")),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(24), default="running")
    total: Mapped[int] = mapped_column(Integer)  # accounts planned
    chunk_size: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StatementChunk(TenantBase):
    """An id range of one kind of account; done once its statements are all on disk (or failed, recorded)."""

    __tablename__ = "statement_chunks"
    __table_args__ = (CheckConstraint("status IN ('pending', 'done')", name="status"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("statement_runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    first_id: Mapped[int] = mapped_column(Integer)
    last_id: Mapped[int] = mapped_column(Integer)
    accounts: Mapped[int] = mapped_column(Integer)  # planned
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    written: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # already on disk
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
