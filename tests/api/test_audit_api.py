"""The audit trails through HTTP: who logged in, who did what, filtered and paged newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import Api
from test_admin_api import USER_PASSWORD, as_user, make_user


def _login(api: Api, username: str, password: str) -> None:
    api.client.post("/api/v1/auth/token", headers={"Akiba-Tenant": api.tenant.id, "User-Agent": "audit-test"},
                    data={"grant_type": "password", "username": username, "password": password})


def _all_pages(api: Api, path: str, limit: int, **filters: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {**filters, "limit": limit, **({"cursor": cursor} if cursor is not None else {})}
        page = api.get(path, **params).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_logins_are_recorded_and_filtered(api: Api) -> None:
    make_user(api, "alice", ["offices:read"])
    _login(api, "alice", "Wrong-pass-1")
    _login(api, "alice", USER_PASSWORD)
    _login(api, "mallory", "Guess-pass-1")
    alice = api.get("/api/v1/audit/logins", username="alice").json()["items"]
    assert [(a["success"], a["reason"]) for a in alice] == [(True, ""), (False, "bad-credentials")]
    assert alice[0]["user_agent"] == "audit-test" and alice[0]["user_id"] is not None
    failures = api.get("/api/v1/audit/logins", success="false").json()["items"]
    assert [(f["username"], f["user_id"]) for f in failures] == [("mallory", None), ("alice", alice[1]["user_id"])]
    assert all("password" not in f for f in failures)


def test_login_audit_pages_newest_first_without_gaps_or_repeats(api: Api) -> None:
    for i in range(7):
        _login(api, f"ghost{i}", "Nope-pass-1")
    everything = api.get("/api/v1/audit/logins", limit=500).json()
    assert everything["next_cursor"] is None
    ids = [row["id"] for row in everything["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 8  # the fixture's admin login, then 7 failures
    paged = _all_pages(api, "/api/v1/audit/logins", limit=3)
    assert [row["id"] for row in paged] == ids
    first = api.get("/api/v1/audit/logins", limit=3).json()
    assert [r["username"] for r in first["items"]] == ["ghost6", "ghost5", "ghost4"]
    assert first["next_cursor"] == first["items"][-1]["id"]


def test_login_audit_time_window(api: Api) -> None:
    now = datetime.now(UTC)
    later = (now + timedelta(hours=1)).isoformat()
    earlier = (now - timedelta(hours=1)).isoformat()
    assert api.get("/api/v1/audit/logins", **{"from": later}).json()["items"] == []
    assert api.get("/api/v1/audit/logins", to=earlier).json()["items"] == []
    window = api.get("/api/v1/audit/logins", **{"from": earlier, "to": later}).json()["items"]
    assert [w["username"] for w in window] == ["admin"]
    # A date alone is midnight UTC.
    assert len(api.get("/api/v1/audit/logins", **{"from": now.date().isoformat()}).json()["items"]) == 1


def test_bad_filters_name_the_field(api: Api) -> None:
    r = api.get("/api/v1/audit/logins", **{"from": "yesterday"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "from"
    r = api.get("/api/v1/audit/commands", outcome="exploded")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "outcome"
    r = api.get("/api/v1/audit/commands", limit=0)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "limit"


def test_commands_are_recorded_and_filtered(api: Api, head_office: dict[str, Any]) -> None:
    branch = api.post("/api/v1/offices", {"name": "Branch", "opening_date": "2021-01-01",
                                          "parent_id": head_office["id"]}).json()
    api.put(f"/api/v1/offices/{branch['id']}", {"name": "Branch One"})
    refused = api.post("/api/v1/offices", {"name": "Second head", "opening_date": "2021-01-01"})
    assert refused.status_code == 422
    make_user(api, "clerk", ["offices:update"])
    as_user(api, "clerk").put(f"/api/v1/offices/{branch['id']}", {"name": "Branch Two"})

    offices = api.get("/api/v1/audit/commands", resource="office").json()["items"]
    assert [(o["command"], o["outcome"], o["username"]) for o in offices] == [
        ("offices:update", "success", "clerk"),
        ("offices:create", "rejected", "admin"),
        ("offices:update", "success", "admin"),
        ("offices:create", "success", "admin"),
        ("offices:create", "success", "admin"),
    ]
    assert offices[1]["summary"]["error"] == "validation-error"
    on_branch = api.get("/api/v1/audit/commands", resource="office", resource_id=branch["id"]).json()["items"]
    assert [o["summary"]["request"].get("name") for o in on_branch] == ["Branch Two", "Branch One", "Branch"]
    by_clerk = api.get("/api/v1/audit/commands", user="clerk").json()["items"]
    assert [o["command"] for o in by_clerk] == ["offices:update"]
    rejected = api.get("/api/v1/audit/commands", outcome="rejected").json()["items"]
    assert [o["command"] for o in rejected] == ["offices:create"]
    creates = api.get("/api/v1/audit/commands", command="offices:create", outcome="success").json()["items"]
    assert [o["resource_id"] for o in creates] == [branch["id"], head_office["id"]]
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert api.get("/api/v1/audit/commands", **{"from": future}).json()["items"] == []
    paged = _all_pages(api, "/api/v1/audit/commands", limit=2)
    assert [p["id"] for p in paged] == [a["id"] for a in api.get("/api/v1/audit/commands").json()["items"]]


def test_audit_needs_audit_read(api: Api) -> None:
    make_user(api, "inspector", roles=["auditor"])
    make_user(api, "cashier", roles=["teller"])
    assert as_user(api, "inspector").get("/api/v1/audit/logins").status_code == 200
    assert as_user(api, "inspector").get("/api/v1/audit/commands").status_code == 200
    assert as_user(api, "cashier").get("/api/v1/audit/logins").status_code == 403
    assert as_user(api, "cashier").get("/api/v1/audit/commands").status_code == 403
