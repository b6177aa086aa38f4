"""Cursor pagination: `?limit=&cursor=` answering `{"items", "next_cursor"}` (keyset on id)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session


class Page(BaseModel):
    limit: int = 50
    cursor: int | None = None


def page_params(
    limit: Annotated[int, Query(ge=1, le=500)] = 50, cursor: Annotated[int | None, Query(ge=0)] = None
) -> Page:
    return Page(limit=limit, cursor=cursor)


def paginate(session: Session, stmt: Select[Any], id_column: InstrumentedAttribute[int], page: Page,
             view: Callable[[Any], Any]) -> dict[str, Any]:
    if page.cursor is not None:
        stmt = stmt.where(id_column > page.cursor)
    rows: Sequence[Any] = session.scalars(stmt.order_by(id_column).limit(page.limit + 1)).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_cursor = getattr(rows[-1], id_column.key) if more and rows else None
    return {"items": [view(r) for r in rows], "next_cursor": next_cursor}
