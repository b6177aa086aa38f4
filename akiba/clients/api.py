"""Client, group and center endpoints (thin: parse, check permission, call the service)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from akiba.clients import groups, queries
from akiba.clients import service as _service  # noqa: F401  # registers the client commands
from akiba.clients.models import Group
from akiba.clients.schemas import (
    ActivateIn,
    CenterCreate,
    CenterGroupLeaveIn,
    CenterGroupsIn,
    ClientCreate,
    ClientOut,
    ClientSummary,
    ClientUpdate,
    CloseIn,
    GroupCreate,
    GroupOut,
    GroupUpdate,
    HistoryOut,
    IdentifierIn,
    IdentifierOut,
    LeaderIn,
    MemberLeaveIn,
    MembersIn,
    ReactivateIn,
)
from akiba.clients.service import IdentifierRemove
from akiba.platform.commands import execute
from akiba.platform.context import IdemKey, Principal, require, runtime
from akiba.platform.pagination import Page, page_params, paginate

router = APIRouter(prefix="/api/v1", tags=["clients"])
Status = Literal["pending", "active", "closed"]
PageDep = Annotated[Page, Depends(page_params)]


# --- clients ----------------------------------------------------------------------------------------------------


@router.post("/clients", status_code=201, response_model=ClientOut)
def create_client(request: Request, body: ClientCreate, idem: IdemKey = None,
                  who: Principal = require("clients:create")) -> JSONResponse:
    return execute(runtime(request), who, "clients:create", body, idempotency_key=idem)


@router.get("/clients")
def list_clients(request: Request, page: PageDep,
                 q: Annotated[str | None, Query(max_length=100, description="prefix of a first, last or full name")]
                 = None,
                 phone: Annotated[str | None, Query(max_length=30)] = None,
                 external_id: Annotated[str | None, Query(max_length=100)] = None,
                 identifier: Annotated[str | None, Query(max_length=100)] = None,
                 office_id: Annotated[int | None, Query(ge=1)] = None,
                 staff_id: Annotated[int | None, Query(ge=1)] = None,
                 status: Status | None = None,
                 who: Principal = require("clients:read")) -> dict[str, Any]:
    stmt = queries.search_statement(q, phone, external_id, identifier, office_id, status, staff_id)
    with runtime(request).session(who.tenant) as s:
        return queries.list_clients(s, stmt, page)


@router.get("/clients/{client_id}", response_model=ClientOut)
def get_client(request: Request, client_id: int, who: Principal = require("clients:read")) -> ClientOut:
    with runtime(request).session(who.tenant) as s:
        return queries.client_out(s, client_id)


@router.get("/clients/{client_id}/summary", response_model=ClientSummary)
def client_summary(request: Request, client_id: int, who: Principal = require("clients:read")) -> ClientSummary:
    with runtime(request).session(who.tenant) as s:
        return queries.client_summary(s, client_id)


@router.put("/clients/{client_id}", response_model=ClientOut)
def update_client(request: Request, client_id: int, body: ClientUpdate,
                  who: Principal = require("clients:update")) -> JSONResponse:
    return execute(runtime(request), who, "clients:update", body, resource_id=client_id)


@router.post("/clients/{client_id}/activate", response_model=ClientOut)
def activate_client(request: Request, client_id: int, body: ActivateIn, idem: IdemKey = None,
                    who: Principal = require("clients:activate")) -> JSONResponse:
    return execute(runtime(request), who, "clients:activate", body, resource_id=client_id, idempotency_key=idem)


@router.post("/clients/{client_id}/close", response_model=ClientOut)
def close_client(request: Request, client_id: int, body: CloseIn, idem: IdemKey = None,
                 who: Principal = require("clients:close")) -> JSONResponse:
    return execute(runtime(request), who, "clients:close", body, resource_id=client_id, idempotency_key=idem)


@router.post("/clients/{client_id}/reactivate", response_model=ClientOut)
def reactivate_client(request: Request, client_id: int, body: ReactivateIn, idem: IdemKey = None,
                      who: Principal = require("clients:reactivate")) -> JSONResponse:
    return execute(runtime(request), who, "clients:reactivate", body, resource_id=client_id, idempotency_key=idem)


@router.get("/clients/{client_id}/identifiers", response_model=list[IdentifierOut])
def list_identifiers(request: Request, client_id: int,
                     who: Principal = require("clients:read")) -> list[IdentifierOut]:
    with runtime(request).session(who.tenant) as s:
        queries.client_out(s, client_id)
        return queries.identifiers_of(s, client_id)


@router.post("/clients/{client_id}/identifiers", status_code=201, response_model=list[IdentifierOut])
def add_identifier(request: Request, client_id: int, body: IdentifierIn, idem: IdemKey = None,
                   who: Principal = require("clients:update")) -> JSONResponse:
    return execute(runtime(request), who, "clients:add-identifier", body, resource_id=client_id,
                   idempotency_key=idem)


@router.delete("/clients/{client_id}/identifiers/{identifier_id}", response_model=list[IdentifierOut])
def remove_identifier(request: Request, client_id: int, identifier_id: int,
                      who: Principal = require("clients:update")) -> JSONResponse:
    return execute(runtime(request), who, "clients:remove-identifier", IdentifierRemove(identifier_id=identifier_id),
                   resource_id=client_id)


# --- groups -----------------------------------------------------------------------------------------------------


@router.post("/groups", status_code=201, response_model=GroupOut)
def create_group(request: Request, body: GroupCreate, idem: IdemKey = None,
                 who: Principal = require("groups:create")) -> JSONResponse:
    return execute(runtime(request), who, "groups:create", body, idempotency_key=idem)


@router.get("/groups")
def list_groups(request: Request, page: PageDep, office_id: Annotated[int | None, Query(ge=1)] = None,
                center_id: Annotated[int | None, Query(ge=1)] = None,
                q: Annotated[str | None, Query(max_length=100)] = None, status: Status | None = None,
                who: Principal = require("groups:read")) -> dict[str, Any]:
    stmt = groups.group_list_statement("group", office_id, center_id, q, status)
    with runtime(request).session(who.tenant) as s:
        return paginate(s, stmt, Group.id, page, lambda g: groups.group_view(s, g, with_members=False))


@router.get("/groups/{group_id}", response_model=GroupOut)
def get_group(request: Request, group_id: int, who: Principal = require("groups:read")) -> GroupOut:
    with runtime(request).session(who.tenant) as s:
        return groups.group_view(s, groups.get_group(s, group_id, "group"))


@router.put("/groups/{group_id}", response_model=GroupOut)
def update_group(request: Request, group_id: int, body: GroupUpdate,
                 who: Principal = require("groups:update")) -> JSONResponse:
    return execute(runtime(request), who, "groups:update", body, resource_id=group_id)


@router.post("/groups/{group_id}/activate", response_model=GroupOut)
def activate_group(request: Request, group_id: int, body: ActivateIn,
                   who: Principal = require("groups:activate")) -> JSONResponse:
    return execute(runtime(request), who, "groups:activate", body, resource_id=group_id)


@router.post("/groups/{group_id}/close", response_model=GroupOut)
def close_group(request: Request, group_id: int, body: CloseIn,
                who: Principal = require("groups:close")) -> JSONResponse:
    return execute(runtime(request), who, "groups:close", body, resource_id=group_id)


@router.post("/groups/{group_id}/members", status_code=201, response_model=GroupOut)
def add_members(request: Request, group_id: int, body: MembersIn, idem: IdemKey = None,
                who: Principal = require("groups:update")) -> JSONResponse:
    return execute(runtime(request), who, "groups:add-members", body, resource_id=group_id, idempotency_key=idem)


@router.post("/groups/{group_id}/members/remove", response_model=GroupOut)
def remove_member(request: Request, group_id: int, body: MemberLeaveIn,
                  who: Principal = require("groups:update")) -> JSONResponse:
    return execute(runtime(request), who, "groups:remove-member", body, resource_id=group_id)


@router.put("/groups/{group_id}/leader", response_model=GroupOut)
def set_leader(request: Request, group_id: int, body: LeaderIn,
               who: Principal = require("groups:update")) -> JSONResponse:
    return execute(runtime(request), who, "groups:set-leader", body, resource_id=group_id)


@router.get("/groups/{group_id}/members/history", response_model=list[HistoryOut])
def member_history(request: Request, group_id: int, who: Principal = require("groups:read")) -> list[HistoryOut]:
    with runtime(request).session(who.tenant) as s:
        return groups.member_history(s, group_id)


# --- centers ----------------------------------------------------------------------------------------------------


@router.post("/centers", status_code=201, response_model=GroupOut)
def create_center(request: Request, body: CenterCreate, idem: IdemKey = None,
                  who: Principal = require("centers:create")) -> JSONResponse:
    return execute(runtime(request), who, "centers:create", body, idempotency_key=idem)


@router.get("/centers")
def list_centers(request: Request, page: PageDep, office_id: Annotated[int | None, Query(ge=1)] = None,
                 q: Annotated[str | None, Query(max_length=100)] = None, status: Status | None = None,
                 who: Principal = require("centers:read")) -> dict[str, Any]:
    stmt = groups.group_list_statement("center", office_id, None, q, status)
    with runtime(request).session(who.tenant) as s:
        return paginate(s, stmt, Group.id, page, lambda g: groups.group_view(s, g, with_members=False))


@router.get("/centers/{center_id}", response_model=GroupOut)
def get_center(request: Request, center_id: int, who: Principal = require("centers:read")) -> GroupOut:
    with runtime(request).session(who.tenant) as s:
        return groups.group_view(s, groups.get_group(s, center_id, "center"))


@router.put("/centers/{center_id}", response_model=GroupOut)
def update_center(request: Request, center_id: int, body: GroupUpdate,
                  who: Principal = require("centers:update")) -> JSONResponse:
    return execute(runtime(request), who, "centers:update", body, resource_id=center_id)


@router.post("/centers/{center_id}/activate", response_model=GroupOut)
def activate_center(request: Request, center_id: int, body: ActivateIn,
                    who: Principal = require("centers:activate")) -> JSONResponse:
    return execute(runtime(request), who, "centers:activate", body, resource_id=center_id)


@router.post("/centers/{center_id}/close", response_model=GroupOut)
def close_center(request: Request, center_id: int, body: CloseIn,
                 who: Principal = require("centers:close")) -> JSONResponse:
    return execute(runtime(request), who, "centers:close", body, resource_id=center_id)


@router.post("/centers/{center_id}/groups", status_code=201, response_model=GroupOut)
def add_groups(request: Request, center_id: int, body: CenterGroupsIn, idem: IdemKey = None,
               who: Principal = require("centers:update")) -> JSONResponse:
    return execute(runtime(request), who, "centers:add-groups", body, resource_id=center_id, idempotency_key=idem)


@router.post("/centers/{center_id}/groups/remove", response_model=GroupOut)
def remove_group(request: Request, center_id: int, body: CenterGroupLeaveIn,
                 who: Principal = require("centers:update")) -> JSONResponse:
    return execute(runtime(request), who, "centers:remove-group", body, resource_id=center_id)


@router.get("/centers/{center_id}/groups/history", response_model=list[HistoryOut])
def center_history(request: Request, center_id: int, who: Principal = require("centers:read")) -> list[HistoryOut]:
    with runtime(request).session(who.tenant) as s:
        return groups.center_history(s, center_id)
