"""The clients API's words: clients, identifiers, groups and centers."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from akiba.org.phones import Phone

Name = Field(min_length=1, max_length=100)
# A light shape check only: whether a mailbox exists is not knowable at input time.
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address_line1: str | None = Field(default=None, max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country_code: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class IdentifierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=100, description="a value of the id_type code list")
    value: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=200)


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    office_id: int = Field(ge=1)
    first_name: str = Name
    middle_name: str | None = Field(default=None, max_length=100)
    last_name: str = Name
    # Given (and `activate` not false): the client is created active on that date; otherwise pending.
    activation_date: date | None = None
    activate: bool = True
    submitted_on: date | None = None
    date_of_birth: date | None = None
    gender: str | None = Field(default=None, max_length=100, description="a value of the gender code list")
    classification: str | None = Field(default=None, max_length=100)
    mobile_phone: Phone | None = None
    email: str | None = Field(default=None, max_length=200, pattern=EMAIL)
    national_id: str | None = Field(default=None, min_length=1, max_length=100,
                                    description="shorthand for an identifier of type national_id")
    identifiers: list[IdentifierIn] = Field(default_factory=list, max_length=10)
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    staff_id: int | None = Field(default=None, ge=1)
    address: Address | None = None


class ClientUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    middle_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    date_of_birth: date | None = None
    gender: str | None = Field(default=None, max_length=100)
    classification: str | None = Field(default=None, max_length=100)
    mobile_phone: Phone | None = None
    email: str | None = Field(default=None, max_length=200, pattern=EMAIL)
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    staff_id: int | None = Field(default=None, ge=1)
    address: Address | None = None


class ActivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activation_date: date


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    closed_on: date
    reason: str = Field(min_length=1, max_length=1000)


class ReactivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reactivated_on: date


class IdentifierOut(BaseModel):
    id: int
    type: str
    value: str
    description: str | None


class ClientOut(BaseModel):
    id: int
    office_id: int
    staff_id: int | None
    status: str
    first_name: str
    middle_name: str | None
    last_name: str
    display_name: str
    date_of_birth: date | None
    gender: str | None
    classification: str | None
    mobile_phone: str | None
    email: str | None
    external_id: str | None
    address: Address
    submitted_on: date
    activation_date: date | None
    closed_on: date | None
    closure_reason: str | None
    reactivated_on: date | None
    identifiers: list[IdentifierOut] | None = None


class MembershipOut(BaseModel):
    group_id: int
    group_name: str
    group_status: str
    center_id: int | None
    is_leader: bool
    joined_on: date
    left_on: date | None


class ClientSummary(BaseModel):
    client: ClientOut
    identifiers: list[IdentifierOut]
    memberships: list[MembershipOut]


# --- groups and centers --------------------------------------------------------------------------------------


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    office_id: int = Field(ge=1)
    name: str = Name
    activation_date: date | None = None
    activate: bool = True
    submitted_on: date | None = None
    staff_id: int | None = Field(default=None, ge=1)
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    center_id: int | None = Field(default=None, ge=1)
    client_ids: list[int] = Field(default_factory=list, max_length=200)
    leader_client_id: int | None = Field(default=None, ge=1)


class CenterCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    office_id: int = Field(ge=1)
    name: str = Name
    activation_date: date | None = None
    activate: bool = True
    submitted_on: date | None = None
    staff_id: int | None = Field(default=None, ge=1)
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    group_ids: list[int] = Field(default_factory=list, max_length=200)


class GroupUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    staff_id: int | None = Field(default=None, ge=1)
    external_id: str | None = Field(default=None, min_length=1, max_length=100)


class MembersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_ids: list[int] = Field(min_length=1, max_length=200)
    joined_on: date | None = None


class MemberLeaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: int = Field(ge=1)
    left_on: date | None = None


class LeaderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: int | None = Field(ge=1)


class CenterGroupsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_ids: list[int] = Field(min_length=1, max_length=200)
    joined_on: date | None = None


class CenterGroupLeaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_id: int = Field(ge=1)
    left_on: date | None = None


class GroupOut(BaseModel):
    id: int
    level: str
    office_id: int
    staff_id: int | None
    name: str
    external_id: str | None
    status: str
    submitted_on: date
    activation_date: date | None
    closed_on: date | None
    closure_reason: str | None
    center_id: int | None = None
    leader_client_id: int | None = None
    member_ids: list[int] | None = None  # a group's current members
    group_ids: list[int] | None = None  # a center's current groups


class HistoryOut(BaseModel):
    member_id: int  # client id in a group, group id in a center
    name: str
    joined_on: date
    left_on: date | None
