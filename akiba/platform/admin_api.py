"""Users, roles, maker-checker and audit endpoints (thin: parse, check permission, call the service)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from akiba.core.errors import DomainError
from akiba.platform import admin_service as svc
from akiba.platform.admin_service import (
    MakerCheckerChange,
    MakerCheckerSetting,
    PasswordChange,
    RoleCreate,
    RoleOut,
    RoleUpdate,
    UserCreate,
    UserOut,
    UserUpdate,
)
from akiba.platform.commands import REGISTRY, checker_permission, execute
from akiba.platform.context import IdemKey, Principal, PrincipalDep, require, runtime
from akiba.platform.pagination import Page, page_params

router = APIRouter(prefix="/api/v1", tags=["administration"])
PageDep = Annotated[Page, Depends(page_params)]
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
BigId = Annotated[int, Path(ge=1, le=9_223_372_036_854_775_807)]
From = Annotated[datetime | None, Query(alias="from", description="on or after this moment (UTC when no offset)")]
To = Annotated[datetime | None, Query(alias="to", description="on or before this moment (UTC when no offset)")]
Text = Annotated[str | None, Query(min_length=1, max_length=100)]
PendingStatus = Literal["pending", "approved", "rejected"]


def some_checker(who: PrincipalDep) -> Principal:
    """Lets through whoever may check at least one command; which one is decided per pending command."""
    if not any(who.can(checker_permission(spec.permission)) for spec in REGISTRY.values()):
        raise DomainError("forbidden", "checking needs a `<permission>:check` permission", status=403)
    return who


Checker = Annotated[Principal, Depends(some_checker)]


# ---- roles and permissions --------------------------------------------------------------------------------

@router.get("/permissions", summary="Every permission a role can hold")
def list_permissions(who: Principal = require("roles:read")) -> dict[str, Any]:
    return {"items": svc.known_permissions()}


@router.post("/roles", status_code=201, response_model=RoleOut)
def create_role(request: Request, body: RoleCreate, idem: IdemKey = None,
                who: Principal = require("roles:create")) -> JSONResponse:
    return execute(runtime(request), who, "roles:create", body, idempotency_key=idem)


@router.put("/roles/{role_id}", response_model=RoleOut)
def update_role(request: Request, role_id: Id, body: RoleUpdate,
                who: Principal = require("roles:update")) -> JSONResponse:
    return execute(runtime(request), who, "roles:update", body, resource_id=role_id)


@router.get("/roles")
def list_roles(request: Request, page: PageDep, who: Principal = require("roles:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return svc.list_roles(s, page)


@router.get("/roles/{role_id}", response_model=RoleOut)
def get_role(request: Request, role_id: Id, who: Principal = require("roles:read")) -> RoleOut:
    with runtime(request).session(who.tenant) as s:
        return RoleOut.model_validate(svc.get_role(s, role_id))


# ---- users ------------------------------------------------------------------------------------------------

@router.post("/users", status_code=201, response_model=UserOut)
def create_user(request: Request, body: UserCreate, idem: IdemKey = None,
                who: Principal = require("users:create")) -> JSONResponse:
    return execute(runtime(request), who, "users:create", body, idempotency_key=idem)


@router.post("/users/me/password", summary="Change your own password (open to every signed-in user)")
def change_own_password(request: Request, body: PasswordChange, who: PrincipalDep) -> JSONResponse:
    # Self-service: holding no role must not stop anyone from changing their own password.
    me = replace(who, permissions=who.permissions | {svc.SELF_PASSWORD})
    return execute(runtime(request), me, "users:change-password", body)


@router.get("/users")
def list_users(request: Request, page: PageDep, who: Principal = require("users:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return svc.list_users(s, page)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(request: Request, user_id: Id, who: Principal = require("users:read")) -> UserOut:
    with runtime(request).session(who.tenant) as s:
        return svc.get_user(s, user_id)


@router.put("/users/{user_id}", response_model=UserOut)
def update_user(request: Request, user_id: Id, body: UserUpdate,
                who: Principal = require("users:update")) -> JSONResponse:
    return execute(runtime(request), who, "users:update", body, resource_id=user_id)


@router.post("/users/{user_id}/unlock", response_model=UserOut, summary="Clear a login lockout")
def unlock_user(request: Request, user_id: Id, who: Principal = require("users:update")) -> JSONResponse:
    return execute(runtime(request), who, "users:unlock", resource_id=user_id)


# ---- maker-checker ----------------------------------------------------------------------------------------

@router.get("/maker-checker", summary="Which command permissions need a second person's approval")
def maker_checker(request: Request, who: Principal = require("makerchecker:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return {"items": svc.maker_checker_settings(s)}


@router.put("/maker-checker/{permission}", summary="Turn checking of one command permission on or off")
def set_maker_checker(request: Request, permission: Annotated[str, Path(max_length=100)], body: MakerCheckerSetting,
                      who: Principal = require("makerchecker:update")) -> JSONResponse:
    change = MakerCheckerChange(permission=permission, enabled=body.enabled)
    return execute(runtime(request), who, "makerchecker:update", change)


@router.get("/pending-commands")
def list_pending(request: Request, page: PageDep, status: PendingStatus | None = None, command: Text = None,
                 who: Principal = require("makerchecker:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return svc.list_pending(s, page, status, command)


@router.get("/pending-commands/{pending_id}")
def get_pending(request: Request, pending_id: BigId, who: Principal = require("makerchecker:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return svc.get_pending(s, pending_id)


@router.post("/pending-commands/{pending_id}/approve", summary="Approve: the command runs now, as the checker")
def approve_pending(request: Request, pending_id: BigId, who: Checker) -> dict[str, Any]:
    # The permission needed, `<command's permission>:check`, depends on the row: decide_pending checks it.
    return svc.decide(runtime(request), who, pending_id, approve=True)


@router.post("/pending-commands/{pending_id}/reject", summary="Reject: the command never runs")
def reject_pending(request: Request, pending_id: BigId, who: Checker) -> dict[str, Any]:
    return svc.decide(runtime(request), who, pending_id, approve=False)


# ---- audit ------------------------------------------------------------------------------------------------

@router.get("/audit/logins", summary="Who logged in (or failed to), newest first")
def login_audit(request: Request, page: PageDep, username: Text = None, success: bool | None = None,
                start: From = None, end: To = None, who: Principal = require("audit:read")) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return svc.login_audit(s, page, username, success, start, end)


@router.get("/audit/commands", summary="Who did what, when, newest first")
def command_audit(
    request: Request,
    page: PageDep,
    user: Text = None,
    command: Text = None,
    resource: Text = None,
    resource_id: Annotated[int | None, Query(ge=0, le=9_223_372_036_854_775_807)] = None,
    outcome: svc.Outcome | None = None,
    start: From = None,
    end: To = None,
    who: Principal = require("audit:read"),
) -> dict[str, Any]:
    with runtime(request).session(who.tenant) as s:
        return svc.command_audit(s, page, user=user, command_name=command, resource=resource,
                                 resource_id=resource_id, outcome=outcome, start=start, end=end)
