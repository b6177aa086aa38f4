"""Tables of the accounting feature: chart of accounts, journal, daily balances, closures and GL mappings.

The migration t0003 installs the triggers that make the database itself refuse what the ledger must never
hold (see that file); the models only mirror the columns so the ORM and Core can read and write them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

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
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from akiba.platform.db import TenantBase

MONEY = Numeric(19, 6)
GL_TYPES = ("asset", "liability", "equity", "income", "expense")
GL_USAGES = ("detail", "header")
SIDES = ("debit", "credit")


class GLAccount(TenantBase):
    __tablename__ = "gl_accounts"
    __table_args__ = (
        CheckConstraint("type IN ('asset','liability','equity','income','expense')", name="type"),
        CheckConstraint("usage IN ('detail','header')", name="usage"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    gl_code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(10))
    usage: Mapped[str] = mapped_column(String(10), default="detail")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("gl_accounts.id"), index=True)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list, server_default="{}")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    manual_entries_allowed: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class JournalEntry(TenantBase):
    """The header of one balanced posting; never updated or deleted (a reversal is a new entry)."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        Index("ix_journal_entries_source", "source", "source_id"),
        # An entry is reversed at most once; only reversals are indexed.
        Index("uq_journal_entries_reversal_of", "reversal_of", unique=True,
              postgresql_where=text("reversal_of IS NOT NULL")),
        Index("ix_journal_entries_office_date", "office_id", "transaction_date"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    currency: Mapped[str] = mapped_column(String(3))
    transaction_date: Mapped[date] = mapped_column(Date)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    source: Mapped[str] = mapped_column(String(30))
    source_id: Mapped[int | None] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    reversal_of: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    created_by: Mapped[int | None] = mapped_column(Integer)


class JournalLine(TenantBase):
    """A line's entry, GL account and office are checked (and locked) by a statement trigger, once per posting,
    not by per-line foreign keys (migration t0014)."""

    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("side IN ('debit','credit')", name="side"),
        Index("ix_journal_lines_account_date", "gl_account_id", "transaction_date"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigInteger, index=True)
    gl_account_id: Mapped[int] = mapped_column(Integer)
    office_id: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    transaction_date: Mapped[date] = mapped_column(Date)
    side: Mapped[str] = mapped_column(String(6))
    amount: Mapped[Decimal] = mapped_column(MONEY)


class GLDailyBalance(TenantBase):
    """Debits and credits per account, office, currency and day, kept by a trigger on journal_lines.

    Statements sum these rows instead of the journal, so they do not slow down as the journal grows.
    """

    __tablename__ = "gl_daily_balances"
    __table_args__ = (
        PrimaryKeyConstraint("gl_account_id", "office_id", "currency", "balance_date"),
        Index("ix_gl_daily_balances_date", "balance_date"),
        # Room on each page for HOT updates, and eager autovacuum: the table stays at its live size (t0010).
        {"postgresql_with": {"fillfactor": "50", "autovacuum_vacuum_scale_factor": "0.0",
                             "autovacuum_vacuum_threshold": "2000", "autovacuum_analyze_scale_factor": "0.05"}},
    )

    gl_account_id: Mapped[int] = mapped_column(Integer)
    office_id: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    balance_date: Mapped[date] = mapped_column(Date)
    debit: Mapped[Decimal] = mapped_column(MONEY, default=0)
    credit: Mapped[Decimal] = mapped_column(MONEY, default=0)


class AccountingClosure(TenantBase):
    __tablename__ = "accounting_closures"
    __table_args__ = (UniqueConstraint("office_id", "closing_date"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    closing_date: Mapped[date] = mapped_column(Date)
    comments: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProductGLMapping(TenantBase):
    """Which GL account receives each kind of movement of one loan or savings product."""

    __tablename__ = "product_gl_mappings"
    __table_args__ = (
        PrimaryKeyConstraint("product_type", "product_id", "movement"),
        CheckConstraint("product_type IN ('loan','savings')", name="product_type"),
    )

    product_type: Mapped[str] = mapped_column(String(10))
    product_id: Mapped[int] = mapped_column(BigInteger)
    movement: Mapped[str] = mapped_column(String(50))
    gl_account_id: Mapped[int] = mapped_column(ForeignKey("gl_accounts.id"))


class FinancialActivityMapping(TenantBase):
    """Tenant-wide roles of accounts, e.g. the opening-balance contra account."""

    __tablename__ = "financial_activity_mappings"

    activity: Mapped[str] = mapped_column(String(50), primary_key=True)
    gl_account_id: Mapped[int] = mapped_column(ForeignKey("gl_accounts.id"))
