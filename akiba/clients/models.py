"""Tables of clients, their identifiers, groups and centers, and membership history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from akiba.platform.db import TenantBase

CLIENT_STATUSES = ("pending", "active", "closed")
GROUP_LEVELS = ("group", "center")


class Client(TenantBase):
    __tablename__ = "clients"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'active', 'closed')", name="status"),
        # Name search is a case-insensitive prefix match on a first, last or full name: btree indexes with
        # text_pattern_ops serve `lower(x) LIKE 'abc%'` without an extension.
        Index("ix_clients_first_name_lower", text("lower(first_name) text_pattern_ops")),
        Index("ix_clients_last_name_lower", text("lower(last_name) text_pattern_ops")),
        Index("ix_clients_display_name_lower", text("lower(display_name) text_pattern_ops")),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(302))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    gender_id: Mapped[int | None] = mapped_column(ForeignKey("code_values.id"))
    classification_id: Mapped[int | None] = mapped_column(ForeignKey("code_values.id"))
    mobile_phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country_code: Mapped[str | None] = mapped_column(String(2))
    submitted_on: Mapped[date] = mapped_column(Date)
    activation_date: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closure_reason: Mapped[str | None] = mapped_column(Text)
    reactivated_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ClientIdentifier(TenantBase):
    """A national id, passport...: a value is unique per type, and a client has one identifier per type."""

    __tablename__ = "client_identifiers"
    __table_args__ = (UniqueConstraint("type_id", "value"), UniqueConstraint("client_id", "type_id"))

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("code_values.id"))
    value: Mapped[str] = mapped_column(String(100), index=True)  # normalised: trimmed, upper case
    description: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Group(TenantBase):
    """A group of clients, or a center (a group of groups): one table, as in Fineract, told apart by level."""

    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint("level IN ('group', 'center')", name="level"),
        CheckConstraint("status IN ('pending', 'active', 'closed')", name="status"),
        UniqueConstraint("office_id", "level", "name"),
        Index("ix_groups_name_lower", text("lower(name) text_pattern_ops")),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    level: Mapped[str] = mapped_column(String(8))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    center_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)  # groups only
    leader_client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))  # groups only
    name: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    submitted_on: Mapped[date] = mapped_column(Date)
    activation_date: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class GroupMember(TenantBase):
    """A client's membership of a group over time: left_on is NULL while the client is a member."""

    __tablename__ = "group_members"
    __table_args__ = (
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="dates"),
        Index("uq_group_members_current", "group_id", "client_id", unique=True,
              postgresql_where=text("left_on IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class CenterGroup(TenantBase):
    """A group's membership of a center over time (groups.center_id is the current one)."""

    __tablename__ = "center_groups"
    __table_args__ = (
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="dates"),
        Index("uq_center_groups_current", "group_id", unique=True, postgresql_where=text("left_on IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
