"""Tables of the organisation feature."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from akiba.platform.db import TenantBase


class Office(TenantBase):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    # Materialised path ("/1/4/9/") so a subtree is one indexed prefix match.
    hierarchy: Mapped[str] = mapped_column(String(500), index=True, default="/")
    opening_date: Mapped[date] = mapped_column(Date)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Staff(TenantBase):
    """An employee of an office; loan officers are the staff clients, groups and loans are assigned to."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(202))
    is_loan_officer: Mapped[bool] = mapped_column(Boolean, default=False)
    mobile_phone: Mapped[str | None] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    joined_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WorkingDays(TenantBase):
    """The tenant's working week (one row, id 1) and where a due date on a non-working day goes."""

    __tablename__ = "working_days"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    weekdays: Mapped[list[int]] = mapped_column(ARRAY(Integer))  # ISO: 1 Monday ... 7 Sunday
    repayment_rule: Mapped[str] = mapped_column(String(32))


class Holiday(TenantBase):
    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date] = mapped_column(Date)
    # NULL: repayments due in the holiday move to the next working day after it.
    repayments_rescheduled_to: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)
    # pending until activated (as in Fineract): only active holidays move due dates.
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HolidayOffice(TenantBase):
    __tablename__ = "holiday_offices"

    holiday_id: Mapped[int] = mapped_column(ForeignKey("holidays.id", ondelete="CASCADE"), primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), primary_key=True, index=True)


class Code(TenantBase):
    """A code list (gender, id_type...): the values a field may take, editable per tenant."""

    __tablename__ = "codes"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # System codes are ones the platform itself reads (e.g. id_type): they cannot be renamed.
    system: Mapped[bool] = mapped_column(Boolean, default=False)


class CodeValue(TenantBase):
    __tablename__ = "code_values"
    __table_args__ = (UniqueConstraint("code_id", "value"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(100))  # the stable key the API takes, e.g. "national_id"
    label: Mapped[str] = mapped_column(String(200))  # what people read, e.g. "National ID card"
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
