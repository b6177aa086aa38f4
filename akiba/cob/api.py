"""Business date and close-of-business endpoints."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from akiba.cob import service
from akiba.platform.commands import command, execute
from akiba.platform.context import IdemKey, Principal, PrincipalDep, require, runtime
from akiba.platform.provisioning import business_date

router = APIRouter(prefix="/api/v1", tags=["close of business"])


class BusinessDate(BaseModel):
    business_date: date


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    business_date: date
    chunk_size: int = Field(default=service.DEFAULT_CHUNK_SIZE, ge=1, le=100_000)


@router.get("/business-date", response_model=BusinessDate)
def get_business_date(request: Request, who: PrincipalDep) -> BusinessDate:
    """Any signed-in user may read the date their transactions are booked on."""
    with runtime(request).session(who.tenant) as s:
        return BusinessDate(business_date=business_date(s))


@command("cob:run", resource="cob_run", payload=RunCreate, status=202)
def create_run(s: Session, who: Principal, data: RunCreate, _: int | None) -> dict[str, Any]:
    run = service.start_run(s, data.business_date, data.chunk_size, who.user_id)
    return {"id": run.id, "business_date": run.business_date, "status": run.status}


@router.post("/cob/runs", status_code=202)
def post_run(request: Request, body: RunCreate, idem: IdemKey = None,
             who: Principal = require("cob:run")) -> JSONResponse:
    """Start the close of the business date (or join the run already closing it); workers do the rest."""
    rt = runtime(request)
    answer = execute(rt, who, "cob:run", body, idempotency_key=idem)
    result = json.loads(bytes(answer.body))
    if answer.status_code == 202 and isinstance(result, dict) and "business_date" in result:
        service.enqueue(rt, who.tenant, int(result["id"]))  # after the commit: the jobs find their chunks
    return answer


@router.get("/cob/runs/{run_id}")
def get_run(request: Request, run_id: int, who: Principal = require("cob:read")) -> dict[str, Any]:
    """Progress: chunks done of total, loans closed per second, and the entities each chunk skipped."""
    with runtime(request).session(who.tenant) as s:
        return service.run_view(s, run_id)
