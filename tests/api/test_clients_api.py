"""Clients through HTTP: creation, validation naming the field, identifiers, search, lifecycle, summary, permissions."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api, api_for
from fastapi.testclient import TestClient

from akiba.platform.models import Role
from akiba.platform.provisioning import add_user
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

PHONE = "+254712345678"


@pytest.fixture
def branch(api: Api, head_office: dict[str, Any]) -> dict[str, Any]:
    r = api.post("/api/v1/offices", {"name": "Nakuru", "opening_date": "2021-01-01", "parent_id": head_office["id"]})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def new_client(api: Api, office: int, **extra: Any) -> Any:
    body = {"office_id": office, "first_name": "Wanjiku", "last_name": "Kamau", "activation_date": "2022-03-01",
            **extra}
    return api.post("/api/v1/clients", body)


def problem_fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json().get("errors", [])}


def count_clients(api: Api) -> int:
    return len(api.get("/api/v1/clients", limit=500).json()["items"])


def test_create_active_client_and_read_it_back(api: Api, branch: dict[str, Any]) -> None:
    r = new_client(api, branch["id"], date_of_birth="1990-05-04", mobile_phone="+254 712 345 678",
                   national_id="12 345 678", external_id="K-1", gender="female",
                   address={"city": "Nakuru", "country_code": "KE"})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "active"
    assert created["activation_date"] == created["submitted_on"] == "2022-03-01"
    assert created["mobile_phone"] == PHONE  # stored in E.164 whatever the spacing
    assert created["display_name"] == "Wanjiku Kamau"
    got = api.get(f"/api/v1/clients/{created['id']}").json()
    assert got["gender"] == "female"
    assert got["address"]["city"] == "Nakuru"
    assert [(i["type"], i["value"]) for i in got["identifiers"]] == [("national_id", "12345678")]


def test_pending_path_then_activate(api: Api, branch: dict[str, Any]) -> None:
    r = api.post("/api/v1/clients", {"office_id": branch["id"], "first_name": "Amina", "last_name": "Odhiambo",
                                     "submitted_on": "2022-01-10"})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending" and r.json()["activation_date"] is None
    r2 = api.post("/api/v1/clients", {"office_id": branch["id"], "first_name": "Baraka", "last_name": "Otieno",
                                      "activation_date": "2022-01-10", "activate": False})
    assert r2.json()["status"] == "pending"
    cid = r.json()["id"]
    early = api.post(f"/api/v1/clients/{cid}/activate", {"activation_date": "2022-01-09"})
    assert early.status_code == 422 and problem_fields(early) == {"activation_date"}
    ok = api.post(f"/api/v1/clients/{cid}/activate", {"activation_date": "2022-02-01"})
    assert ok.status_code == 200 and ok.json()["status"] == "active"
    assert api.get(f"/api/v1/clients/{cid}").json()["activation_date"] == "2022-02-01"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"mobile_phone": "0712345678"}, "mobile_phone"),
        ({"mobile_phone": "+25412"}, "mobile_phone"),
        ({"activation_date": "2020-12-31"}, "activation_date"),  # before the branch opened
        ({"office_id": 9999}, "office_id"),
        ({"gender": "unknown"}, "gender"),
        ({"date_of_birth": "2023-01-01"}, "date_of_birth"),
        ({"activation_date": "2999-01-01"}, "activation_date"),
        ({"first_name": ""}, "first_name"),
        ({"identifiers": [{"type": "shoe_size", "value": "44"}]}, "identifiers.0.type"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(api: Api, branch: dict[str, Any], extra: dict[str, Any],
                                                       field: str) -> None:
    r = new_client(api, branch["id"], **extra)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert problem_fields(r) == {field}
    assert count_clients(api) == 0


def test_identifier_value_is_unique_per_type(api: Api, branch: dict[str, Any]) -> None:
    first = new_client(api, branch["id"], national_id="A1234567")
    assert first.status_code == 201
    dup = new_client(api, branch["id"], first_name="Other", national_id="a 1234567")  # same after normalising
    assert dup.status_code == 409
    assert problem_fields(dup) == {"national_id"}
    # The same value under another type is another document.
    other_type = new_client(api, branch["id"], first_name="Other",
                            identifiers=[{"type": "passport", "value": "A1234567"}])
    assert other_type.status_code == 201, other_type.text
    assert count_clients(api) == 2
    # A second national id for the same client is refused too.
    again = api.post(f"/api/v1/clients/{first.json()['id']}/identifiers", {"type": "national_id", "value": "999"})
    assert again.status_code == 409 and problem_fields(again) == {"value"}
    added = api.post(f"/api/v1/clients/{first.json()['id']}/identifiers", {"type": "voter_card", "value": "V-1"})
    assert added.status_code == 201
    assert sorted(i["type"] for i in added.json()) == ["national_id", "voter_card"]


def test_duplicate_external_id_names_the_field(api: Api, branch: dict[str, Any]) -> None:
    assert new_client(api, branch["id"], external_id="X-1").status_code == 201
    dup = new_client(api, branch["id"], external_id="X-1")
    assert dup.status_code == 409 and problem_fields(dup) == {"external_id"}


def test_lifecycle_transitions_and_illegal_ones(api: Api, branch: dict[str, Any]) -> None:
    cid = new_client(api, branch["id"]).json()["id"]
    again = api.post(f"/api/v1/clients/{cid}/activate", {"activation_date": "2022-04-01"})
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/illegal-client-transition"
    reactivate_active = api.post(f"/api/v1/clients/{cid}/reactivate", {"reactivated_on": "2022-04-01"})
    assert reactivate_active.status_code == 409
    early_close = api.post(f"/api/v1/clients/{cid}/close", {"closed_on": "2022-02-01", "reason": "moved"})
    assert early_close.status_code == 422 and problem_fields(early_close) == {"closed_on"}
    closed = api.post(f"/api/v1/clients/{cid}/close", {"closed_on": "2023-01-31", "reason": "moved away"})
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["closed_on"], closed.json()["closure_reason"]) == (
        "closed", "2023-01-31", "moved away")
    assert api.post(f"/api/v1/clients/{cid}/close", {"closed_on": "2023-02-01", "reason": "x"}).status_code == 409
    assert api.put(f"/api/v1/clients/{cid}", {"first_name": "New"}).status_code == 409
    back = api.post(f"/api/v1/clients/{cid}/reactivate", {"reactivated_on": "2023-06-01"})
    assert back.status_code == 200
    assert (back.json()["status"], back.json()["reactivated_on"], back.json()["closed_on"]) == (
        "pending", "2023-06-01", None)
    before_reactivation = api.post(f"/api/v1/clients/{cid}/activate", {"activation_date": "2023-05-01"})
    assert before_reactivation.status_code == 422
    assert api.post(f"/api/v1/clients/{cid}/activate", {"activation_date": "2023-06-02"}).json()["status"] == "active"


def test_update_client(api: Api, branch: dict[str, Any]) -> None:
    cid = new_client(api, branch["id"], address={"city": "Nakuru", "region": "Rift Valley"}).json()["id"]
    r = api.put(f"/api/v1/clients/{cid}", {"middle_name": "Njeri", "mobile_phone": "+255 754 123 456",
                                           "address": {"city": "Naivasha"}})
    assert r.status_code == 200, r.text
    got = api.get(f"/api/v1/clients/{cid}").json()
    assert got["display_name"] == "Wanjiku Njeri Kamau"
    assert got["mobile_phone"] == "+255754123456"
    assert got["address"]["city"] == "Naivasha" and got["address"]["region"] == "Rift Valley"
    bad = api.put(f"/api/v1/clients/{cid}", {"last_name": None})
    assert bad.status_code == 422 and problem_fields(bad) == {"last_name"}


def test_search_by_name_phone_external_id_identifier(api: Api, branch: dict[str, Any]) -> None:
    a = new_client(api, branch["id"], mobile_phone=PHONE, external_id="EXT-9", national_id="30111222").json()["id"]
    b = new_client(api, branch["id"], first_name="Achieng", last_name="Kamau_x").json()["id"]
    c = new_client(api, branch["id"], first_name="Juma", last_name="Mwangi").json()["id"]

    def ids(**params: Any) -> list[int]:
        r = api.get("/api/v1/clients", **params)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert ids(q="kam") == [a, b]
    assert ids(q="WANJIKU k") == [a]
    assert ids(q="kamau_") == [b]  # _ is matched literally, not as a wildcard
    assert ids(q="mwa") == [c]
    assert ids(phone="+254 712 345678") == [a]
    assert ids(external_id="EXT-9") == [a]
    assert ids(identifier="30 111 222") == [a]
    assert ids(q="kamau", status="active", office_id=branch["id"]) == [a, b]
    bad = api.get("/api/v1/clients", phone="12")
    assert bad.status_code == 422 and problem_fields(bad) == {"phone"}
    page1 = api.get("/api/v1/clients", limit=2).json()
    page2 = api.get("/api/v1/clients", limit=2, cursor=page1["next_cursor"]).json()
    assert [i["id"] for i in page1["items"] + page2["items"]] == [a, b, c]
    assert page2["next_cursor"] is None


def test_loan_officer_must_serve_the_office(api: Api, branch: dict[str, Any], head_office: dict[str, Any]) -> None:
    other = api.post("/api/v1/offices", {"name": "Kisumu", "opening_date": "2021-01-01",
                                         "parent_id": head_office["id"]}).json()
    officer = api.post("/api/v1/staff", {"office_id": other["id"], "first_name": "Peter", "last_name": "Ouma",
                                         "is_loan_officer": True}).json()
    r = new_client(api, branch["id"], staff_id=officer["id"])
    assert r.status_code == 422 and problem_fields(r) == {"staff_id"}
    hq_officer = api.post("/api/v1/staff", {"office_id": head_office["id"], "first_name": "Grace",
                                            "last_name": "Njoroge", "is_loan_officer": True}).json()
    ok = new_client(api, branch["id"], staff_id=hq_officer["id"])
    assert ok.status_code == 201 and ok.json()["staff_id"] == hq_officer["id"]


def test_idempotent_create(api: Api, branch: dict[str, Any]) -> None:
    body = {"office_id": branch["id"], "first_name": "Halima", "last_name": "Hassan", "activation_date": "2022-03-01"}
    first = api.post("/api/v1/clients", body, headers={"Idempotency-Key": "c-1"})
    second = api.post("/api/v1/clients", body, headers={"Idempotency-Key": "c-1"})
    assert first.json() == second.json()
    assert count_clients(api) == 1


def test_summary_lists_identifiers_and_memberships(api: Api, branch: dict[str, Any]) -> None:
    cid = new_client(api, branch["id"], national_id="22334455").json()["id"]
    group = api.post("/api/v1/groups", {"office_id": branch["id"], "name": "Upendo", "activation_date": "2022-03-05",
                                        "client_ids": [cid], "leader_client_id": cid}).json()
    summary = api.get(f"/api/v1/clients/{cid}/summary").json()
    assert summary["client"]["id"] == cid
    assert [(i["type"], i["value"]) for i in summary["identifiers"]] == [("national_id", "22334455")]
    assert summary["memberships"] == [{"group_id": group["id"], "group_name": "Upendo", "group_status": "active",
                                       "center_id": None, "is_leader": True, "joined_on": "2022-03-05",
                                       "left_on": None}]
    assert set(summary) == {"client", "identifiers", "memberships"}  # no placeholder loan/savings counts


def test_role_without_permission_is_refused(app_client: TestClient, runtime: Runtime, tenant: TenantInfo,
                                            api: Api, branch: dict[str, Any]) -> None:
    with runtime.session(tenant) as s:
        role = Role(name="viewer", description="reads clients", permissions=["clients:read"])
        s.add(role)
        s.flush()
        add_user(s, "viewer", "Viewer-pass-1234", role)
        s.commit()
    viewer = api_for(app_client, tenant, "viewer", "Viewer-pass-1234")
    refused = new_client(viewer, branch["id"])
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/forbidden"
    assert count_clients(api) == 0
    assert viewer.get("/api/v1/clients").status_code == 200
    cid = new_client(api, branch["id"]).json()["id"]
    assert viewer.post(f"/api/v1/clients/{cid}/close", {"closed_on": "2023-01-01", "reason": "x"}).status_code == 403
    assert api.get(f"/api/v1/clients/{cid}").json()["status"] == "active"


def test_demo_data_is_complete_and_safe_to_rerun(app_client: TestClient, runtime: Runtime) -> None:
    from conftest import new_tenant

    from akiba.demo import populate

    tenant = new_tenant(runtime)
    populate(runtime, tenant)
    populate(runtime, tenant)  # a second call changes nothing
    api = api_for(app_client, tenant)
    offices = api.get("/api/v1/offices").json()["items"]
    assert [o["name"] for o in offices] == ["Head Office", "Nairobi CBD Branch", "Kisumu Branch"]
    officers = api.get("/api/v1/staff", loan_officers_only=True).json()["items"]
    assert len(officers) == 4
    clients = api.get("/api/v1/clients", limit=500).json()["items"]
    assert len(clients) == 50
    assert {c["office_id"] for c in clients} == {offices[1]["id"], offices[2]["id"]}
    assert {c["status"] for c in clients} == {"active", "pending", "closed"}
    assert len({c["mobile_phone"] for c in clients}) == 50
    first = api.get(f"/api/v1/clients/{clients[0]['id']}").json()
    assert first["identifiers"][0]["type"] == "national_id"
    groups = api.get("/api/v1/groups").json()["items"]
    assert len(groups) == 3
    for g in groups:
        full = api.get(f"/api/v1/groups/{g['id']}").json()
        assert full["leader_client_id"] in full["member_ids"] and len(full["member_ids"]) >= 5
    centers = api.get("/api/v1/centers").json()["items"]
    assert len(centers) == 1
    assert len(api.get(f"/api/v1/centers/{centers[0]['id']}").json()["group_ids"]) == 2
    assert len(api.get("/api/v1/loans", limit=100).json()["items"]) >= 9  # the loans demo ran too
