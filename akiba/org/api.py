"""Organisation endpoints (thin: parse, check permission, call the service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from akiba.org import service
from akiba.org.models import Code, Holiday, HolidayOffice, Office, Staff
from akiba.org.schemas import (
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
from akiba.platform.commands import execute
from akiba.platform.context import IdemKey, Principal, require, runtime
from akiba.platform.pagination import Page, page_params, paginate

router = APIRouter(prefix="/api/v1", tags=["organisation"])


@router.post("/offices", status_code=201, response_model=OfficeOut)
def create_office(request: Request, body: OfficeCreate, idem: IdemKey = None,
                  who: Principal = require("offices:create")) -> JSONResponse:
    return execute(runtime(request), who, "offices:create", body, idempotency_key=idem)


@router.put("/offices/{office_id}", response_model=OfficeOut)
def update_office(request: Request, office_id: int, body: OfficeUpdate,
                  who: Principal = require("offices:update")) -> JSONResponse:
    return execute(runtime(request), who, "offices:update", body, resource_id=office_id)


@router.get("/offices/{office_id}", response_model=OfficeOut)
def get_office(request: Request, office_id: int, who: Principal = require("offices:read")) -> OfficeOut:
    with runtime(request).session(who.tenant) as s:
        return OfficeOut.model_validate(service.get_office(s, office_id))


@router.get("/offices")
def list_offices(request: Request, page: Annotated[Page, Depends(page_params)],
                 who: Principal = require("offices:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return paginate(s, select(Office), Office.id, page, lambda o: OfficeOut.model_validate(o))


@router.post("/staff", status_code=201, response_model=StaffOut)
def create_staff(request: Request, body: StaffCreate, idem: IdemKey = None,
                 who: Principal = require("staff:create")) -> JSONResponse:
    return execute(runtime(request), who, "staff:create", body, idempotency_key=idem)


@router.put("/staff/{staff_id}", response_model=StaffOut)
def update_staff(request: Request, staff_id: int, body: StaffUpdate,
                 who: Principal = require("staff:update")) -> JSONResponse:
    return execute(runtime(request), who, "staff:update", body, resource_id=staff_id)


@router.get("/staff/{staff_id}", response_model=StaffOut)
def get_staff(request: Request, staff_id: int, who: Principal = require("staff:read")) -> StaffOut:
    with runtime(request).session(who.tenant) as s:
        return StaffOut.model_validate(service.get_staff(s, staff_id))


@router.get("/staff")
def list_staff(request: Request, page: Annotated[Page, Depends(page_params)],
               office_id: Annotated[int | None, Query(ge=1)] = None,
               loan_officers_only: bool = False, active_only: bool = False,
               who: Principal = require("staff:read")) -> dict[str, Any]:
    stmt = select(Staff)
    if office_id is not None:
        stmt = stmt.where(Staff.office_id == office_id)
    if loan_officers_only:
        stmt = stmt.where(Staff.is_loan_officer)
    if active_only:
        stmt = stmt.where(Staff.active)
    with runtime(request).session(who.tenant) as s:
        return paginate(s, stmt, Staff.id, page, lambda r: StaffOut.model_validate(r))


@router.get("/working-days", response_model=WorkingDaysOut)
def get_working_days(request: Request, who: Principal = require("working_days:read")) -> WorkingDaysOut:
    with runtime(request).session(who.tenant) as s:
        return service.get_working_days(s)


@router.put("/working-days", response_model=WorkingDaysOut)
def update_working_days(request: Request, body: WorkingDaysIn,
                        who: Principal = require("working_days:update")) -> JSONResponse:
    return execute(runtime(request), who, "working_days:update", body)


@router.post("/holidays", status_code=201, response_model=HolidayOut)
def create_holiday(request: Request, body: HolidayCreate, idem: IdemKey = None,
                   who: Principal = require("holidays:create")) -> JSONResponse:
    return execute(runtime(request), who, "holidays:create", body, idempotency_key=idem)


@router.post("/holidays/{holiday_id}/activate", response_model=HolidayOut)
def activate_holiday(request: Request, holiday_id: int, who: Principal = require("holidays:activate")) -> JSONResponse:
    return execute(runtime(request), who, "holidays:activate", resource_id=holiday_id)


@router.delete("/holidays/{holiday_id}", response_model=HolidayOut)
def delete_holiday(request: Request, holiday_id: int, who: Principal = require("holidays:delete")) -> JSONResponse:
    return execute(runtime(request), who, "holidays:delete", resource_id=holiday_id)


@router.get("/holidays/{holiday_id}", response_model=HolidayOut)
def get_holiday(request: Request, holiday_id: int, who: Principal = require("holidays:read")) -> HolidayOut:
    with runtime(request).session(who.tenant) as s:
        return service.holiday_out(s, holiday_id)


@router.get("/holidays")
def list_holidays(request: Request, page: Annotated[Page, Depends(page_params)],
                  office_id: Annotated[int | None, Query(ge=1)] = None, status: str | None = None,
                  who: Principal = require("holidays:read")) -> dict[str, Any]:
    stmt = select(Holiday)
    if office_id is not None:
        stmt = stmt.where(Holiday.id.in_(select(HolidayOffice.holiday_id).where(HolidayOffice.office_id == office_id)))
    if status is not None:
        stmt = stmt.where(Holiday.status == status)
    with runtime(request).session(who.tenant) as s:
        result = paginate(s, stmt, Holiday.id, page, lambda h: h)
        result["items"] = service.holiday_views(s, result["items"])
        return result


@router.post("/codes", status_code=201, response_model=CodeOut)
def create_code(request: Request, body: CodeCreate, idem: IdemKey = None,
                who: Principal = require("codes:create")) -> JSONResponse:
    return execute(runtime(request), who, "codes:create", body, idempotency_key=idem)


@router.post("/codes/{code_id}/values", status_code=201, response_model=CodeValueOut)
def add_code_value(request: Request, code_id: int, body: CodeValueCreate, idem: IdemKey = None,
                   who: Principal = require("codes:update")) -> JSONResponse:
    return execute(runtime(request), who, "codes:update", body, resource_id=code_id, idempotency_key=idem)


class CodeValuePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(default=None, min_length=1, max_length=200)
    position: int | None = Field(default=None, ge=0)
    active: bool | None = None


@router.put("/codes/{code_id}/values/{value_id}", response_model=CodeValueOut)
def update_code_value(request: Request, code_id: int, value_id: int, body: CodeValuePatch,
                      who: Principal = require("codes:update")) -> JSONResponse:
    payload = CodeValueUpdate(value_id=value_id, **body.model_dump(exclude_unset=True))
    return execute(runtime(request), who, "codes:update-value", payload, resource_id=code_id)


@router.get("/codes/{code_id}", response_model=CodeOut)
def get_code(request: Request, code_id: int, who: Principal = require("codes:read")) -> CodeOut:
    with runtime(request).session(who.tenant) as s:
        return service.code_out(s, code_id)


@router.get("/codes")
def list_codes(request: Request, page: Annotated[Page, Depends(page_params)], name: str | None = None,
               who: Principal = require("codes:read")) -> dict[str, Any]:
    stmt = select(Code) if name is None else select(Code).where(Code.name == name)
    with runtime(request).session(who.tenant) as s:
        result = paginate(s, stmt, Code.id, page, lambda c: c)
        result["items"] = service.code_views(s, result["items"])
        return result
