"""The organisation API's words."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from akiba.org.calendar import Rule
from akiba.org.phones import Phone

# ISO weekday numbers (1 Monday ... 7 Sunday) are what the calendar computes with; the API speaks in names.
Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
WEEKDAYS: tuple[Weekday, ...] = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class OfficeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    opening_date: date
    parent_id: int | None = Field(default=None, ge=1)
    external_id: str | None = Field(default=None, min_length=1, max_length=100)


class OfficeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    external_id: str | None = Field(default=None, min_length=1, max_length=100)


class OfficeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    parent_id: int | None
    hierarchy: str
    opening_date: date
    external_id: str | None


class StaffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    office_id: int = Field(ge=1)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    is_loan_officer: bool = False
    mobile_phone: Phone | None = None
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    joined_on: date | None = None


class StaffUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    office_id: int | None = Field(default=None, ge=1)
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    is_loan_officer: bool | None = None
    mobile_phone: Phone | None = None
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    active: bool | None = None


class StaffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    office_id: int
    first_name: str
    last_name: str
    display_name: str
    is_loan_officer: bool
    mobile_phone: str | None
    external_id: str | None
    joined_on: date | None
    active: bool


class WorkingDaysIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekdays: list[Weekday] = Field(min_length=1, max_length=7)
    repayment_rule: Rule


class WorkingDaysOut(BaseModel):
    weekdays: list[Weekday]
    repayment_rule: Rule


class HolidayCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    from_date: date
    to_date: date
    repayments_rescheduled_to: date | None = None
    office_ids: list[int] = Field(min_length=1, max_length=1000)
    description: str | None = Field(default=None, max_length=1000)


class HolidayOut(BaseModel):
    id: int
    name: str
    from_date: date
    to_date: date
    repayments_rescheduled_to: date | None
    description: str | None
    status: str
    office_ids: list[int]


class CodeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_]*$")


class CodeValueCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    label: str = Field(min_length=1, max_length=200)
    position: int = Field(default=0, ge=0)
    active: bool = True


class CodeValueUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value_id: int = Field(ge=1)
    label: str | None = Field(default=None, min_length=1, max_length=200)
    position: int | None = Field(default=None, ge=0)
    active: bool | None = None


class CodeValueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    value: str
    label: str
    position: int
    active: bool


class CodeOut(BaseModel):
    id: int
    name: str
    system: bool
    values: list[CodeValueOut]
