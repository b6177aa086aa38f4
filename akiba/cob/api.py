"""Business date and close-of-business endpoints."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from pydantic import BaseModel

from akiba.platform.context import PrincipalDep, runtime
from akiba.platform.provisioning import business_date

router = APIRouter(prefix="/api/v1", tags=["close of business"])


class BusinessDate(BaseModel):
    business_date: date


@router.get("/business-date", response_model=BusinessDate)
def get_business_date(request: Request, who: PrincipalDep) -> BusinessDate:
    """Any signed-in user may read the date their transactions are booked on."""
    with runtime(request).session(who.tenant) as s:
        return BusinessDate(business_date=business_date(s))
