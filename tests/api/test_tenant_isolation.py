"""Two tenants on two shards: a tenant full of data (the demo) and an empty one. Through every resource type,
the empty tenant sees none of the other's data: lists are empty and every id of the other answers 404."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api, api_for, new_tenant
from fastapi.testclient import TestClient

from akiba.demo import populate
from akiba.platform.runtime import Runtime

# Resource lists and the detail paths that take the same ids.
RESOURCES = {
    "offices": ["/api/v1/offices/{id}"],
    "staff": ["/api/v1/staff/{id}"],
    "holidays": ["/api/v1/holidays/{id}"],
    "clients": ["/api/v1/clients/{id}", "/api/v1/clients/{id}/summary", "/api/v1/clients/{id}/loans"],
    "groups": ["/api/v1/groups/{id}", "/api/v1/groups/{id}/members/history", "/api/v1/groups/{id}/loans"],
    "centers": ["/api/v1/centers/{id}"],
    "journal-entries": ["/api/v1/journal-entries/{id}"],
    "loan-products": ["/api/v1/loan-products/{id}"],
    "loans": ["/api/v1/loans/{id}", "/api/v1/loans/{id}/statement?from=2020-01-01&to=2030-01-01"],
    "savings-products": ["/api/v1/savings-products/{id}"],
    "savings-accounts": ["/api/v1/savings-accounts/{id}",
                         "/api/v1/savings-accounts/{id}/statement?from=2020-01-01&to=2030-01-01"],
}


@pytest.fixture(scope="module")
def full_and_empty(app_client: TestClient, runtime: Runtime, shard2_url: str) -> tuple[Api, Api]:
    full = new_tenant(runtime)
    populate(runtime, full)
    return api_for(app_client, full), api_for(app_client, new_tenant(runtime, shard_url=shard2_url))


def _items(api: Api, resource: str) -> list[dict[str, Any]]:
    answer = api.get(f"/api/v1/{resource}", limit=500)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _status(api: Api, path_and_query: str) -> int:
    # The query string stays in the URL (a params argument would replace it).
    status: int = api.client.get(path_and_query, headers=api.headers()).status_code
    return status


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_other_tenants_data_is_invisible(full_and_empty: tuple[Api, Api], resource: str) -> None:
    full, empty = full_and_empty
    theirs = _items(full, resource)
    assert theirs, f"the demo tenant should have {resource}"
    assert _items(empty, resource) == []
    for item in theirs[:3]:
        for template in RESOURCES[resource]:
            path = template.format(id=item["id"])
            assert _status(full, path) == 200, path
            assert _status(empty, path) == 404, path


def test_ledger_and_reports_of_other_tenant_are_invisible(full_and_empty: tuple[Api, Api]) -> None:
    full, empty = full_and_empty
    mine = full.get("/api/v1/accounting/trial-balance", as_of="2030-01-01").json()
    theirs = empty.get("/api/v1/accounting/trial-balance", as_of="2030-01-01").json()
    assert mine["total_debit"] != "0.00"
    assert theirs["total_debit"] == theirs["total_credit"] == "0.00"
    assert full.get("/api/v1/reports/clients-by-status").json()["rows"]
    assert empty.get("/api/v1/reports/clients-by-status").json()["rows"] == []
