"""Loan endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from akiba.loans.schedule import parse_schedule_request, preview, schedule_to_dict
from akiba.platform.context import Principal, require

router = APIRouter(prefix="/api/v1", tags=["loans"])


@router.post("/loans/schedule-preview", summary="Compute a schedule (and what-if repayments); stores nothing")
def schedule_preview(
    request: Request,
    body: Annotated[dict[str, Any], Body(examples=[{
        "principal": "1000.00", "currency": "USD", "digits": 2, "annual_interest_rate": "12",
        "interest_type": "declining_balance", "amortization": "equal_installments",
        "interest_calculation_period": "same_as_repayment", "days_in_year": "365", "days_in_month": "actual",
        "repayment_every": 1, "repayment_frequency": "months", "number_of_repayments": 12,
        "schedule_type": "cumulative", "expected_disbursement_date": "2024-01-01",
    }])],
    who: Principal = require("loans:read"),
) -> dict[str, Any]:
    return schedule_to_dict(preview(parse_schedule_request(body)))
