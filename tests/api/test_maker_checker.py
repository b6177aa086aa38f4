"""Maker-checker end to end: a checked permission parks the command until a different, entitled user decides."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api
from test_admin_api import as_user, make_user

HQ = {"name": "Head Office", "opening_date": "2020-01-01"}


@pytest.fixture
def checked(api: Api) -> Api:
    r = api.put("/api/v1/maker-checker/offices:create", {"enabled": True})
    assert r.status_code == 200 and r.json() == {"permission": "offices:create", "enabled": True}
    return api


@pytest.fixture
def maker(checked: Api) -> Api:
    make_user(checked, "maker", ["offices:create", "offices:read"])
    return as_user(checked, "maker")


@pytest.fixture
def checker(checked: Api) -> Api:
    make_user(checked, "checker", ["offices:create:check", "makerchecker:read", "offices:read"])
    return as_user(checked, "checker")


def _offices(api: Api) -> list[str]:
    return [o["name"] for o in api.get("/api/v1/offices").json()["items"]]


def _park(maker: Api, body: dict[str, Any]) -> int:
    r = maker.post("/api/v1/offices", body)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "pending" and r.json()["command"] == "offices:create"
    pending_id: int = r.json()["pending_command_id"]
    return pending_id


def test_setting_is_listed(checked: Api) -> None:
    settings = {s["permission"]: s["enabled"] for s in checked.get("/api/v1/maker-checker").json()["items"]}
    assert settings["offices:create"] is True and settings["offices:update"] is False
    assert "self:password" not in settings


def test_approval_runs_the_command_once(api: Api, maker: Api, checker: Api) -> None:
    pending_id = _park(maker, HQ)
    assert _offices(api) == []  # nothing exists until a checker approves
    listed = checker.get("/api/v1/pending-commands", status="pending").json()["items"]
    assert [(p["id"], p["command"], p["payload"]["name"]) for p in listed] == [(pending_id, "offices:create",
                                                                                 "Head Office")]

    own = maker.post(f"/api/v1/pending-commands/{pending_id}/approve")
    assert own.status_code == 403  # the maker holds no checker permission
    assert _offices(api) == []

    approved = checker.post(f"/api/v1/pending-commands/{pending_id}/approve")
    assert approved.status_code == 200, approved.text
    answer = approved.json()
    assert answer["status"] == "approved" and answer["checker_id"] != answer["maker_id"]
    office = answer["result"]
    assert office["name"] == "Head Office" and office["hierarchy"] == f"/{office['id']}/"
    assert _offices(api) == ["Head Office"]
    assert api.get(f"/api/v1/offices/{office['id']}").json()["opening_date"] == "2020-01-01"

    again = checker.post(f"/api/v1/pending-commands/{pending_id}/approve")
    assert again.status_code == 409 and _offices(api) == ["Head Office"]

    audit = api.get("/api/v1/audit/commands", command="offices:create").json()["items"]
    trail = [(a["username"], a["outcome"], a["resource_id"]) for a in audit]
    # The maker's attempt stopped at the permission check, like any call without the permission.
    assert trail == [("checker", "rejected", None), ("checker", "success", office["id"]), ("maker", "pending", None)]
    assert audit[1]["summary"]["pending_command_id"] == pending_id
    assert audit[1]["summary"]["maker_id"] == answer["maker_id"]
    assert checker.get(f"/api/v1/pending-commands/{pending_id}").json()["status"] == "approved"


def test_rejection_creates_nothing(api: Api, maker: Api, checker: Api) -> None:
    pending_id = _park(maker, HQ)
    rejected = checker.post(f"/api/v1/pending-commands/{pending_id}/reject")
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected" and rejected.json()["result"] is None
    assert _offices(api) == []
    assert checker.post(f"/api/v1/pending-commands/{pending_id}/approve").status_code == 409
    assert _offices(api) == []
    assert checker.get("/api/v1/pending-commands", status="pending").json()["items"] == []
    outcomes = [a["outcome"] for a in api.get("/api/v1/audit/commands", user="checker").json()["items"]]
    assert outcomes == ["rejected", "rejected-by-checker"]


def test_maker_cannot_check_their_own_even_when_entitled(api: Api, checked: Api) -> None:
    make_user(checked, "both", ["offices:create", "offices:create:check"])
    both = as_user(checked, "both")
    pending_id = _park(both, HQ)
    r = both.post(f"/api/v1/pending-commands/{pending_id}/approve")
    assert r.status_code == 403 and r.json()["type"] == "/problems/maker-cannot-check"
    assert both.post(f"/api/v1/pending-commands/{pending_id}/reject").status_code == 403
    assert _offices(api) == []


def test_checking_needs_the_check_permission_of_that_command(api: Api, maker: Api, checked: Api) -> None:
    pending_id = _park(maker, HQ)
    make_user(checked, "wrongchecker", ["offices:update:check"])
    r = as_user(checked, "wrongchecker").post(f"/api/v1/pending-commands/{pending_id}/approve")
    assert r.status_code == 403 and "offices:create:check" in r.json()["detail"]
    make_user(checked, "nochecker", ["offices:read"])
    assert as_user(checked, "nochecker").post(f"/api/v1/pending-commands/{pending_id}/approve").status_code == 403
    assert _offices(api) == []


def test_approval_that_no_longer_fits_leaves_the_command_pending(api: Api, maker: Api, checker: Api) -> None:
    pending_id = _park(maker, HQ)
    api.put("/api/v1/maker-checker/offices:create", {"enabled": False})
    assert api.post("/api/v1/offices", {**HQ, "name": "Other head"}).status_code == 201
    r = checker.post(f"/api/v1/pending-commands/{pending_id}/approve")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "parent_id"
    assert checker.get(f"/api/v1/pending-commands/{pending_id}").json()["status"] == "pending"
    assert _offices(api) == ["Other head"]


def test_turning_checking_off_runs_commands_at_once(checked: Api, maker: Api) -> None:
    checked.put("/api/v1/maker-checker/offices:create", {"enabled": False})
    assert maker.post("/api/v1/offices", HQ).status_code == 201
    assert _offices(checked) == ["Head Office"]


def test_a_repeated_pending_request_parks_once(api: Api, maker: Api, checker: Api) -> None:
    first = maker.post("/api/v1/offices", HQ, headers={"Idempotency-Key": "mk-1"})
    second = maker.post("/api/v1/offices", HQ, headers={"Idempotency-Key": "mk-1"})
    assert first.status_code == second.status_code == 202 and first.json() == second.json()
    assert len(checker.get("/api/v1/pending-commands").json()["items"]) == 1


def test_settings_refuse_unknown_and_secret_bearing_permissions(api: Api) -> None:
    assert api.put("/api/v1/maker-checker/offices:explode", {"enabled": True}).status_code == 404
    r = api.put("/api/v1/maker-checker/users:create", {"enabled": True})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "enabled"
    assert api.put("/api/v1/maker-checker/self:password", {"enabled": True}).status_code == 404
    # Personal data is no reason to refuse: the client record holds it anyway, unlike a password.
    assert api.put("/api/v1/maker-checker/clients:create", {"enabled": True}).status_code == 200
    assert api.put("/api/v1/maker-checker/clients:create", {"enabled": False}).status_code == 200
    assert api.put("/api/v1/maker-checker/roles:create", {"enabled": "maybe"}).status_code == 422
    enabled = [s["permission"] for s in api.get("/api/v1/maker-checker").json()["items"] if s["enabled"]]
    assert enabled == []


def test_settings_need_their_permission(api: Api) -> None:
    make_user(api, "plain", ["offices:create"])
    plain = as_user(api, "plain")
    assert plain.put("/api/v1/maker-checker/offices:create", {"enabled": True}).status_code == 403
    assert plain.get("/api/v1/maker-checker").status_code == 403
    assert plain.get("/api/v1/pending-commands").status_code == 403
    assert plain.post("/api/v1/offices", HQ).status_code == 201  # still unchecked


def test_unknown_pending_command(checker: Api) -> None:
    assert checker.post("/api/v1/pending-commands/999999/approve").status_code == 404
    assert checker.get("/api/v1/pending-commands/999999").status_code == 404
