"""The schedule preview through HTTP: a Fineract oracle case answers to the cent, bad input names the field."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import Api

ORACLES = Path(__file__).resolve().parents[3] / "shared" / "oracles" / "fineract_schedules.jsonl"


@pytest.mark.skipif(not ORACLES.exists(), reason="../shared/oracles is absent")
def test_preview_matches_an_oracle_case(api: Api) -> None:
    case = json.loads(ORACLES.read_text().splitlines()[1])
    r = api.post("/api/v1/loans/schedule-preview", case["request"])
    assert r.status_code == 200, r.text
    got = {p["n"]: p for p in r.json()["periods"]}
    for expected in case["expected"]["periods"]:
        for key in ("due_date", "principal", "interest", "total_due"):
            assert got[expected["n"]][key] == expected[key]


BODY = {"principal": "1000.00", "currency": "USD", "digits": 2, "annual_interest_rate": "12",
            "interest_type": "declining_balance", "amortization": "equal_installments",
            "interest_calculation_period": "same_as_repayment", "days_in_year": "365", "days_in_month": "actual",
            "repayment_every": 1, "repayment_frequency": "months", "number_of_repayments": 12,
            "schedule_type": "cumulative", "expected_disbursement_date": "2024-01-01"}


def test_preview_sums_to_principal(api: Api) -> None:
    r = api.post("/api/v1/loans/schedule-preview", BODY)
    assert r.status_code == 200, r.text
    periods = r.json()["periods"]
    assert len(periods) == 12
    assert sum(Decimal(p["principal"]) for p in periods) == Decimal("1000.00")
    assert r.json()["total_principal"] == "1000.00"


def test_bad_preview_input_names_the_field(api: Api) -> None:
    r = api.post("/api/v1/loans/schedule-preview", {**BODY, "principal": "-5"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "principal"
