"""Organisation commands: offices, staff, working days, holidays and code lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from akiba.core.errors import DomainError, conflict, invalid, not_found
from akiba.org.calendar import ALL_WEEKDAYS, Rule, adjust_to_working_day
from akiba.org.calendar import Holiday as HolidaySpan
from akiba.org.models import Code, CodeValue, Holiday, HolidayOffice, Office, Staff, WorkingDays
from akiba.org.schemas import (
    WEEKDAYS,
    CodeCreate,
    CodeOut,
    CodeValueCreate,
    CodeValueOut,
    CodeValueUpdate,
    HolidayCreate,
    HolidayOut,
    OfficeCreate,
    OfficeOut,
    OfficeUpdate,
    StaffCreate,
    StaffOut,
    StaffUpdate,
    WorkingDaysIn,
    WorkingDaysOut,
)
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




def ensure_office_open_on(s: Session, office_id: int, on: date, date_field: str,
                          office_field: str = "office_id") -> Office:
    """The office, refusing a date before it opened (a client, group or staff cannot predate its office)."""
    office = ensure_office_open(s, office_id, office_field)
    if on < office.opening_date:
        raise invalid(date_field, f"is before the office opened on {office.opening_date.isoformat()}")
    return office


def office_in_hierarchy_of(s: Session, office_id: int, ancestor_id: int) -> bool:
    """Whether `ancestor_id` is `office_id` itself or above it (staff of a parent office may serve a branch)."""
    office, ancestor = s.get(Office, office_id), s.get(Office, ancestor_id)
    return office is not None and ancestor is not None and office.hierarchy.startswith(ancestor.hierarchy)


# --- staff -------------------------------------------------------------------------------------------------------


def get_staff(s: Session, staff_id: int) -> Staff:
    staff = s.get(Staff, staff_id)
    if staff is None:
        raise not_found("staff", staff_id)
    return staff


def _check_staff_external_id(s: Session, external_id: str | None, own_id: int = 0) -> None:
    if external_id and s.scalar(select(Staff.id).where(Staff.external_id == external_id, Staff.id != own_id)):
        raise conflict("external-id-taken", f"external_id {external_id!r} is in use")


@command("staff:create", resource="staff", payload=StaffCreate, status=201)
def create_staff(s: Session, _: Principal, data: StaffCreate, __: int | None) -> StaffOut:
    if data.joined_on is not None:
        ensure_office_open_on(s, data.office_id, data.joined_on, "joined_on")
    else:
        ensure_office_open(s, data.office_id)
    _check_staff_external_id(s, data.external_id)
    staff = Staff(**data.model_dump(), display_name=f"{data.first_name} {data.last_name}", active=True)
    s.add(staff)
    s.flush()
    emit(s, "staff.created", "staff", staff.id, {"office_id": staff.office_id})
    return StaffOut.model_validate(staff)


@command("staff:update", resource="staff", payload=StaffUpdate)
def update_staff(s: Session, _: Principal, data: StaffUpdate, staff_id: int | None) -> StaffOut:
    assert staff_id is not None
    staff = get_staff(s, staff_id)
    nullable = {"mobile_phone", "external_id"}
    for field in data.model_fields_set:
        value = getattr(data, field)
        if value is None and field not in nullable:
            raise invalid(field, "cannot be null")
        if field == "office_id":
            ensure_office_open(s, value)
        if field == "external_id":
            _check_staff_external_id(s, value, staff.id)
        setattr(staff, field, value)
    staff.display_name = f"{staff.first_name} {staff.last_name}"
    return StaffOut.model_validate(staff)


def ensure_loan_officer(s: Session, staff_id: int, office_id: int, field: str = "staff_id") -> Staff:
    """An active loan officer of the office or an office above it (as Fineract requires)."""
    staff = s.get(Staff, staff_id)
    if staff is None:
        raise invalid(field, f"staff {staff_id} does not exist")
    if not staff.is_loan_officer or not staff.active:
        raise invalid(field, f"staff {staff_id} is not an active loan officer")
    if not office_in_hierarchy_of(s, office_id, staff.office_id):
        raise invalid(field, f"staff {staff_id} works outside office {office_id} and the offices above it")
    return staff


# --- working days and holidays ----------------------------------------------------------------------------------


def _working_days_row(s: Session, lock: bool = False) -> WorkingDays:
    stmt = select(WorkingDays).where(WorkingDays.id == 1)
    row = s.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:  # every schema gets the row in its migration; recreate it if someone deleted it
        row = WorkingDays(id=1, weekdays=sorted(ALL_WEEKDAYS), repayment_rule="next_working_day")
        s.add(row)
        s.flush()
    return row


def working_days_view(row: WorkingDays) -> WorkingDaysOut:
    return WorkingDaysOut(weekdays=[WEEKDAYS[d - 1] for d in sorted(row.weekdays)],
                          repayment_rule=row.repayment_rule)  # checked on write


def get_working_days(s: Session) -> WorkingDaysOut:
    return working_days_view(_working_days_row(s))


@command("working_days:update", resource="working_days", payload=WorkingDaysIn)
def update_working_days(s: Session, _: Principal, data: WorkingDaysIn, __: int | None) -> WorkingDaysOut:
    row = _working_days_row(s, lock=True)
    row.weekdays = sorted({WEEKDAYS.index(d) + 1 for d in data.weekdays})
    row.repayment_rule = data.repayment_rule
    emit(s, "working_days.updated", "working_days", 1, data.model_dump())
    return working_days_view(row)


def holiday_views(s: Session, holidays: list[Holiday]) -> list[HolidayOut]:
    """Holidays with their offices, read in one query for the whole list."""
    offices: dict[int, list[int]] = {h.id: [] for h in holidays}
    links = s.execute(select(HolidayOffice.holiday_id, HolidayOffice.office_id)
                      .where(HolidayOffice.holiday_id.in_(list(offices))).order_by(HolidayOffice.office_id))
    for holiday_id, office_id in links:
        offices[holiday_id].append(office_id)
    return [HolidayOut(id=h.id, name=h.name, from_date=h.from_date, to_date=h.to_date,
                       repayments_rescheduled_to=h.repayments_rescheduled_to, description=h.description,
                       status=h.status, office_ids=offices[h.id]) for h in holidays]


def _holiday_view(s: Session, holiday: Holiday) -> HolidayOut:
    return holiday_views(s, [holiday])[0]


def get_holiday(s: Session, holiday_id: int, lock: bool = False) -> Holiday:
    stmt = select(Holiday).where(Holiday.id == holiday_id)
    holiday = s.scalar(stmt.with_for_update() if lock else stmt)
    if holiday is None:
        raise not_found("holiday", holiday_id)
    return holiday


def holiday_out(s: Session, holiday_id: int) -> HolidayOut:
    return _holiday_view(s, get_holiday(s, holiday_id))


def _check_holiday_dates(s: Session, data: HolidayCreate) -> None:
    if data.to_date < data.from_date:
        raise invalid("to_date", "is before from_date")
    moved_to = data.repayments_rescheduled_to
    if moved_to is None:
        return
    if data.from_date <= moved_to <= data.to_date:
        raise invalid("repayments_rescheduled_to", "falls inside the holiday itself")
    if moved_to.isoweekday() not in _working_days_row(s).weekdays:
        raise invalid("repayments_rescheduled_to", "is not a working day")


@command("holidays:create", resource="holiday", payload=HolidayCreate, status=201)
def create_holiday(s: Session, _: Principal, data: HolidayCreate, __: int | None) -> HolidayOut:
    _check_holiday_dates(s, data)
    office_ids = sorted(set(data.office_ids))
    known = set(s.scalars(select(Office.id).where(Office.id.in_(office_ids))))
    missing = [i for i in office_ids if i not in known]
    if missing:
        raise invalid("office_ids", f"offices {missing} do not exist")
    holiday = Holiday(name=data.name, from_date=data.from_date, to_date=data.to_date,
                      repayments_rescheduled_to=data.repayments_rescheduled_to, description=data.description,
                      status="pending")
    s.add(holiday)
    s.flush()
    s.execute(insert(HolidayOffice), [{"holiday_id": holiday.id, "office_id": i} for i in office_ids])
    emit(s, "holiday.created", "holiday", holiday.id, {"from": data.from_date, "to": data.to_date})
    return _holiday_view(s, holiday)


@command("holidays:activate", resource="holiday")
def activate_holiday(s: Session, _: Principal, __: None, holiday_id: int | None) -> HolidayOut:
    assert holiday_id is not None
    holiday = get_holiday(s, holiday_id, lock=True)
    if holiday.status != "pending":
        raise conflict("holiday-not-pending", f"holiday {holiday_id} is {holiday.status}")
    holiday.status = "active"
    emit(s, "holiday.activated", "holiday", holiday.id, {"from": holiday.from_date, "to": holiday.to_date})
    return _holiday_view(s, holiday)


@command("holidays:delete", resource="holiday")
def delete_holiday(s: Session, _: Principal, __: None, holiday_id: int | None) -> HolidayOut:
    # Kept as a row with status "deleted": schedules already built around it stay explainable.
    assert holiday_id is not None
    holiday = get_holiday(s, holiday_id, lock=True)
    if holiday.status == "deleted":
        raise conflict("holiday-deleted", f"holiday {holiday_id} is already deleted")
    holiday.status = "deleted"
    emit(s, "holiday.deleted", "holiday", holiday.id, {})
    return _holiday_view(s, holiday)


def active_holidays(s: Session, office_id: int | None = None) -> list[HolidaySpan]:
    stmt = select(Holiday.from_date, Holiday.to_date, Holiday.repayments_rescheduled_to).where(
        Holiday.status == "active")
    if office_id is not None:
        stmt = stmt.where(Holiday.id.in_(select(HolidayOffice.holiday_id).where(HolidayOffice.office_id == office_id)))
    return [(r.from_date, r.to_date, r.repayments_rescheduled_to) for r in s.execute(stmt.order_by(Holiday.from_date))]


def due_date_adjuster(s: Session, office_id: int | None = None,
                      meeting_after: Callable[[date], date] | None = None) -> Callable[[date], date]:
    """Where a repayment due on a date is actually due, under the tenant's working days and active holidays.

    Loans call this once per schedule. With `office_id`, only holidays of that office apply (as in Fineract,
    where a holiday lists its offices); without it, every active holiday applies.
    """
    row = _working_days_row(s)
    working_days = frozenset(row.weekdays)
    holidays = active_holidays(s, office_id)
    rule: Rule = row.repayment_rule  # type: ignore[assignment]  # checked on write

    def adjust(d: date) -> date:
        return adjust_to_working_day(d, working_days, holidays, rule, meeting_after)

    return adjust


# --- codes ------------------------------------------------------------------------------------------------------


def code_views(s: Session, codes: list[Code]) -> list[CodeOut]:
    """Code lists with their values, read in one query for the whole list."""
    values: dict[int, list[CodeValueOut]] = {c.id: [] for c in codes}
    for v in s.scalars(select(CodeValue).where(CodeValue.code_id.in_(list(values)))
                       .order_by(CodeValue.position, CodeValue.id)):
        values[v.code_id].append(CodeValueOut.model_validate(v))
    return [CodeOut(id=c.id, name=c.name, system=c.system, values=values[c.id]) for c in codes]


def _code_view(s: Session, code: Code) -> CodeOut:
    return code_views(s, [code])[0]


def get_code(s: Session, code_id: int) -> Code:
    code = s.get(Code, code_id)
    if code is None:
        raise not_found("code", code_id)
    return code


def code_out(s: Session, code_id: int) -> CodeOut:
    return _code_view(s, get_code(s, code_id))


@command("codes:create", resource="code", payload=CodeCreate, status=201)
def create_code(s: Session, _: Principal, data: CodeCreate, __: int | None) -> CodeOut:
    if s.scalar(select(Code.id).where(Code.name == data.name)):
        raise conflict("code-name-taken", f"a code named {data.name!r} exists")
    code = Code(name=data.name, system=False)
    s.add(code)
    s.flush()
    return _code_view(s, code)


@command("codes:update", resource="code", payload=CodeValueCreate, status=201)
def add_code_value(s: Session, _: Principal, data: CodeValueCreate, code_id: int | None) -> CodeValueOut:
    assert code_id is not None
    code = get_code(s, code_id)
    if s.scalar(select(CodeValue.id).where(CodeValue.code_id == code.id, CodeValue.value == data.value)):
        raise conflict("code-value-taken", f"code {code.name} already has the value {data.value!r}")
    value = CodeValue(code_id=code.id, **data.model_dump())
    s.add(value)
    s.flush()
    return CodeValueOut.model_validate(value)


@command("codes:update-value", resource="code", payload=CodeValueUpdate, permission="codes:update")
def update_code_value(s: Session, _: Principal, data: CodeValueUpdate, code_id: int | None) -> CodeValueOut:
    # The value key itself never changes: clients and imports refer to it.
    value = s.get(CodeValue, data.value_id)
    if value is None or value.code_id != code_id:
        raise not_found("code-value", data.value_id)
    for field in data.model_fields_set - {"value_id"}:
        new = getattr(data, field)
        if new is None:
            raise invalid(field, "cannot be null")
        setattr(value, field, new)
    return CodeValueOut.model_validate(value)


def code_value_id(s: Session, code_name: str, value: str, field: str) -> int:
    """The id of an active value of a code list, or a 422 on `field` listing the allowed values."""
    found = s.execute(
        select(CodeValue.id, CodeValue.active).join(Code, Code.id == CodeValue.code_id)
        .where(Code.name == code_name, func.lower(CodeValue.value) == value.strip().lower())
    ).first()
    if found is None or not found.active:
        allowed = s.scalars(select(CodeValue.value).join(Code, Code.id == CodeValue.code_id)
                            .where(Code.name == code_name, CodeValue.active).order_by(CodeValue.position))
        raise invalid(field, f"{value!r} is not one of {code_name}: {', '.join(allowed) or '(none defined)'}")
    return int(found.id)


def code_values_by_id(s: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(s.execute(select(CodeValue.id, CodeValue.value).where(CodeValue.id.in_(ids))).tuples().all())


def seed_code(s: Session, name: str, values: list[tuple[str, str]], system: bool = True) -> None:
    """Create a code list with its values unless one of that name exists (new tenants and older schemas)."""
    if s.scalar(select(Code.id).where(Code.name == name)):
        return
    code = Code(name=name, system=system)
    s.add(code)
    s.flush()
    s.execute(insert(CodeValue), [{"code_id": code.id, "value": v, "label": label, "position": i, "active": True}
                                  for i, (v, label) in enumerate(values)])


__all__ = ["DomainError", "create_office", "ensure_office_open", "get_office", "subtree_ids", "update_office"]
