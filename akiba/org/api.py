"""Organisation endpoints (thin: parse, check permission, call the service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from akiba.org import service
from akiba.org.models import Office
from akiba.org.schemas import OfficeCreate, OfficeOut, OfficeUpdate
from akiba.platform.commands import execute
from akiba.platform.context import Principal, require, runtime
from akiba.platform.pagination import Page, page_params, paginate

router = APIRouter(prefix="/api/v1", tags=["organisation"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


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
