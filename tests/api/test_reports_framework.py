"""The report framework through HTTP: catalogue, typed parameters, JSON pages, CSV and XLSX, permissions, regions."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from typing import Any

import pytest
from conftest import ADMIN_PASSWORD, Api, api_for, new_tenant
from fastapi.testclient import TestClient

from akiba.platform.runtime import Runtime


def _office(api: Api, name: str, parent: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "opening_date": "2020-01-01"}
    if parent:
        body["parent_id"] = parent
    r = api.post("/api/v1/offices", body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _client(api: Api, office_id: int, n: int, active: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"office_id": office_id, "first_name": f"Client{n}", "last_name": "Test"}
    if active:
        body["activation_date"] = "2024-01-02"
    r = api.post("/api/v1/clients", body)
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture
def branches(api: Api, head_office: dict[str, Any]) -> dict[str, Any]:
    north = _office(api, "North", head_office["id"])
    south = _office(api, "South", head_office["id"])
    statuses = {north["id"]: [True, True, False], south["id"]: [True, False]}
    made = [_client(api, office, n, active) for office, flags in statuses.items() for n, active in enumerate(flags)]
    return {"head": head_office, "north": north, "south": south, "clients": made}


def test_catalogue_lists_reports_with_typed_parameters(api: Api) -> None:
    r = api.get("/api/v1/reports")
    assert r.status_code == 200
    reports = {x["name"]: x for x in r.json()["items"]}
    assert {"portfolio-at-risk", "clients-by-status", "offices", "loans-due", "savings-balances",
            "trial-balance"} <= set(reports)
    par = {p["name"]: p for p in reports["portfolio-at-risk"]["parameters"]}
    assert par["as_of"]["type"] == "date" and par["office_id"]["type"] == "office_id"
    assert par["group_by"]["choices"] == ["office", "officer", "product"]
    assert reports["portfolio-at-risk"]["title"]


def test_clients_by_status_counts_what_was_created(api: Api, branches: dict[str, Any]) -> None:
    expected = Counter((c["office_id"], c["status"]) for c in branches["clients"])
    r = api.get("/api/v1/reports/clients-by-status")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["columns"] == ["office_id", "office", "status", "clients"]
    got = {(row[0], row[2]): row[3] for row in body["rows"]}
    assert got == dict(expected)


def test_office_scope_includes_the_subtree_only(api: Api, branches: dict[str, Any]) -> None:
    north = branches["north"]["id"]
    body = api.get("/api/v1/reports/clients-by-status", office_id=str(north)).json()
    assert {row[0] for row in body["rows"]} == {north}
    everything = api.get("/api/v1/reports/offices", office_id=str(branches["head"]["id"])).json()
    assert [row[1] for row in everything["rows"]] == ["Head Office", "North", "South"]
    assert {row[1]: row[5] for row in everything["rows"]} == {"Head Office": 0, "North": 2, "South": 1}


def test_bad_parameters_are_422_naming_the_field(api: Api, branches: dict[str, Any]) -> None:
    for params, field in [({"office_id": "abc"}, "office_id"), ({"office_id": "999999"}, "office_id"),
                          ({"nonsense": "1"}, "nonsense")]:
        r = api.get("/api/v1/reports/clients-by-status", **params)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == field
    r = api.get("/api/v1/reports/portfolio-at-risk", as_of="2024-13-01")
    assert r.status_code in (409, 422)  # 409 while loans are not installed in this tree
    r = api.get("/api/v1/reports/client-register", status="sleeping")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"
    assert api.get("/api/v1/reports/no-such-report").status_code == 404
    # SQL in a parameter is just a string that matches nothing
    r = api.get("/api/v1/reports/client-register", status="active' OR '1'='1")
    assert r.status_code == 422


def test_json_pages_cover_every_row_once(api: Api, branches: dict[str, Any]) -> None:
    seen: list[int] = []
    cursor: int | None = 0
    while cursor is not None:
        body = api.get("/api/v1/reports/client-register", limit="2", cursor=str(cursor)).json()
        seen += [row[0] for row in body["rows"]]
        cursor = body["next_cursor"]
    assert seen == sorted(c["id"] for c in branches["clients"])


def test_csv_and_xlsx_exports(api: Api, branches: dict[str, Any]) -> None:
    r = api.get("/api/v1/reports/client-register", format="csv", status="active")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:3] == ["client_id", "external_id", "display_name"]
    active = sorted(c["id"] for c in branches["clients"] if c["status"] == "active")
    assert [int(x[0]) for x in rows[1:]] == active
    r = api.get("/api/v1/reports/client-register", format="xlsx")
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row ") == 1 + len(branches["clients"])


def test_a_report_needs_its_permission(app_client: TestClient, api: Api, branches: dict[str, Any]) -> None:
    r = api.post("/api/v1/roles", {"name": "office-reporter", "permissions": ["reports:clients-by-status"]})
    assert r.status_code == 201, r.text
    r = api.post("/api/v1/users", {"username": "reporter", "password": ADMIN_PASSWORD,
                                   "roles": ["office-reporter"]})
    assert r.status_code == 201, r.text
    reporter = api_for(app_client, api.tenant, "reporter", ADMIN_PASSWORD)
    assert [x["name"] for x in reporter.get("/api/v1/reports").json()["items"]] == ["clients-by-status"]
    assert reporter.get("/api/v1/reports/clients-by-status").status_code == 200
    r = reporter.get("/api/v1/reports/client-register")
    assert r.status_code == 403 and "reports:client-register" in r.json()["detail"]


def test_regional_report_needs_a_grant_from_each_tenant(app_client: TestClient, runtime: Runtime,
                                                       shard2_url: str) -> None:
    region = api_for(app_client, new_tenant(runtime))
    members = [api_for(app_client, new_tenant(runtime)), api_for(app_client, new_tenant(runtime, shard2_url))]
    for n, member in enumerate(members):
        office = _office(member, "Head Office")
        for k in range(n + 2):
            _client(member, office["id"], k, active=True)
    ids = ",".join(m.tenant.id for m in members)

    r = region.get("/api/v1/platform/reports/clients-by-status", tenants=ids)
    assert r.status_code == 403  # no grant yet
    for member in members:
        assert member.post("/api/v1/report-grants", {"region_tenant": region.tenant.id}).status_code == 201
    r = region.get("/api/v1/platform/reports/clients-by-status", tenants=ids)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["columns"][0] == "tenant"
    assert {(row[0], row[4]) for row in body["rows"]} == {(members[0].tenant.id, 2), (members[1].tenant.id, 3)}
    assert body["totals"] == [{"clients": 5}]
    # a tenant that does not exist answers like one that did not grant: nothing to probe
    r = region.get("/api/v1/platform/reports/clients-by-status", tenants=f"{ids},nosuchtenant")
    assert r.status_code == 403
    # a member cannot aggregate the region: the grant is one-way
    r = members[0].get("/api/v1/platform/reports/clients-by-status", tenants=region.tenant.id)
    assert r.status_code == 403
    # revoking closes it again
    assert members[1].post("/api/v1/report-grants/revoke", {"region_tenant": region.tenant.id}).status_code == 200
    assert region.get("/api/v1/platform/reports/clients-by-status", tenants=ids).status_code == 403


def test_regional_permission_is_required(app_client: TestClient, api: Api) -> None:
    r = api.post("/api/v1/roles", {"name": "plain", "permissions": ["reports:read"]})
    assert r.status_code == 201, r.text
    assert api.post("/api/v1/users", {"username": "plain", "password": ADMIN_PASSWORD, "roles": ["plain"]}) \
        .status_code == 201
    plain = api_for(app_client, api.tenant, "plain", ADMIN_PASSWORD)
    r = plain.get("/api/v1/platform/reports/clients-by-status", tenants=api.tenant.id)
    assert r.status_code == 403
