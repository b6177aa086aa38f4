"""Tables of the reports feature (tenant revision t0007 creates exactly these).

- portfolio_snapshots: filled by close of business through `snapshot_portfolio`.
- report_region_grants: the tenants this institution lets aggregate its reports (a hosting company's
  regional tenant); the consent lives with the data it opens.
- statement_settings: what a regulatory statement prints about the institution.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, Integer, Numeric, PrimaryKeyConstraint, String, Text, func
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
