"""A client with an open loan cannot be closed; once the loan is gone, it can."""

from __future__ import annotations

from datetime import date

from conftest import Api
from loan_factories import make_client, make_office, make_product, ok, set_business_date, submit

from akiba.platform.runtime import Runtime


def test_open_loan_blocks_client_closure(api: Api, runtime: Runtime) -> None:
    set_business_date(runtime, api.tenant, date(2024, 3, 1))
    client = make_client(api, make_office(api))
    loan = submit(api, client, make_product(api)["id"])
    refused = api.post(f"/api/v1/clients/{client}/close", {"closed_on": "2024-02-01", "reason": "moved"})
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/client-has-open-accounts"
    assert ok(api.get(f"/api/v1/clients/{client}"))["status"] == "active"
    ok(api.post(f"/api/v1/loans/{loan['id']}/withdraw", {"withdrawn_on": "2024-01-15"}))
    closed = ok(api.post(f"/api/v1/clients/{client}/close", {"closed_on": "2024-02-01", "reason": "moved"}))
    assert closed["status"] == "closed"
