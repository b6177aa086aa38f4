"""Tables of the organisation feature."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Identity, Integer, String, func
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
