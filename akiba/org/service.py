"""Office commands."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from akiba.core.errors import DomainError, conflict, invalid, not_found
from akiba.org.models import Office
from akiba.org.schemas import OfficeCreate, OfficeOut, OfficeUpdate
from akiba.platform.commands import command, emit
from akiba.platform.context import Principal


def get_office(s: Session, office_id: int) -> Office:
    office = s.get(Office, office_id)
    if office is None:
        raise not_found("office", office_id)
    return office


def _check_unique(s: Session, name: str | None, external_id: str | None, own_id: int | None = None) -> None:
    if name and s.scalar(select(Office.id).where(Office.name == name, Office.id != (own_id or 0))):
        raise conflict("office-name-taken", f"an office named {name!r} exists")
    if external_id and s.scalar(select(Office.id).where(Office.external_id == external_id, Office.id != (own_id or 0))):
        raise conflict("external-id-taken", f"external_id {external_id!r} is in use")


@command("offices:create", resource="office", payload=OfficeCreate, status=201)
def create_office(s: Session, _: Principal, data: OfficeCreate, __: int | None) -> OfficeOut:
    has_root = s.scalar(select(Office.id).where(Office.parent_id.is_(None)).limit(1)) is not None
    if data.parent_id is None and has_root:
        raise invalid("parent_id", "the head office exists; a new office needs a parent")
    parent = None
    if data.parent_id is not None:
        parent = s.get(Office, data.parent_id)
        if parent is None:
            raise invalid("parent_id", f"office {data.parent_id} does not exist")
        if data.opening_date < parent.opening_date:
            raise invalid("opening_date", "an office cannot open before its parent")
    _check_unique(s, data.name, data.external_id)
    office = Office(name=data.name, parent_id=data.parent_id, opening_date=data.opening_date,
                    external_id=data.external_id)
    s.add(office)
    s.flush()
    office.hierarchy = f"{parent.hierarchy if parent else '/'}{office.id}/"
    emit(s, "office.created", "office", office.id, {"name": office.name})
    return OfficeOut.model_validate(office)


@command("offices:update", resource="office", payload=OfficeUpdate)
def update_office(s: Session, _: Principal, data: OfficeUpdate, office_id: int | None) -> OfficeOut:
    assert office_id is not None
    office = get_office(s, office_id)
    _check_unique(s, data.name, data.external_id, own_id=office.id)
    for field in data.model_fields_set:
        value = getattr(data, field)
        if value is None:
            raise invalid(field, "cannot be null")
        setattr(office, field, value)
    return OfficeOut.model_validate(office)


def subtree_ids(s: Session, office_id: int) -> list[int]:
    """The office and every office below it (for per-office and consolidated reports)."""
    office = get_office(s, office_id)
    return list(s.scalars(select(Office.id).where(Office.hierarchy.startswith(office.hierarchy))))


def ensure_office_open(s: Session, office_id: int, field: str = "office_id") -> Office:
    office = s.get(Office, office_id)
    if office is None:
        raise invalid(field, f"office {office_id} does not exist")
    return office


__all__ = ["DomainError", "create_office", "ensure_office_open", "get_office", "subtree_ids", "update_office"]
