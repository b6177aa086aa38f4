"""Users, roles and permissions through HTTP: who may grant what, lockout and unlock, own password changes."""

from __future__ import annotations

from typing import Any

import jwt
from conftest import Api, api_for, login
from fastapi.testclient import TestClient

USER_PASSWORD = "User-pass-1234"


def make_role(api: Api, name: str, permissions: list[str]) -> dict[str, Any]:
    r = api.post("/api/v1/roles", {"name": name, "description": f"{name} role", "permissions": permissions})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def make_user(api: Api, username: str, permissions: list[str] | None = None, roles: list[str] | None = None,
              password: str = USER_PASSWORD) -> dict[str, Any]:
    """A user holding exactly `permissions` (through a role of their own) or the named roles."""
    if permissions is not None:
        roles = [make_role(api, f"{username}-role", permissions)["name"]]
    r = api.post("/api/v1/users", {"username": username, "password": password, "roles": roles or []})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def as_user(api: Api, username: str, password: str = USER_PASSWORD) -> Api:
    return api_for(api.client, api.tenant, username, password)


def _token(client: TestClient, tenant: str, username: str, password: str) -> int:
    r = client.post("/api/v1/auth/token", headers={"Akiba-Tenant": tenant},
                    data={"grant_type": "password", "username": username, "password": password})
    status: int = r.status_code
    return status


def test_role_is_created_listed_and_read(api: Api) -> None:
    role = make_role(api, "cashier", ["savings:deposit", "offices:read", "clients:*", "offices:create:check"])
    assert role["permissions"] == ["clients:*", "offices:create:check", "offices:read", "savings:deposit"]
    assert api.get(f"/api/v1/roles/{role['id']}").json() == role
    names = [r["name"] for r in api.get("/api/v1/roles").json()["items"]]
    assert {"admin", "teller", "cashier"} <= set(names)


def test_bad_permission_format_names_the_field_and_creates_nothing(api: Api) -> None:
    for bad in ["offices", "Offices:create", "offices:create:approve", "offices:", "*:read", ""]:
        r = api.post("/api/v1/roles", {"name": "broken", "permissions": ["offices:read", bad]})
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["errors"][0]["field"] == "permissions"
    assert "broken" not in [r["name"] for r in api.get("/api/v1/roles").json()["items"]]


def test_role_name_is_unique_regardless_of_case(api: Api) -> None:
    make_role(api, "reviewer", ["offices:read"])
    r = api.post("/api/v1/roles", {"name": "Reviewer", "permissions": []})
    assert r.status_code == 409
    assert r.json()["type"] == "/problems/role-name-taken"


def test_user_gets_exactly_the_permissions_of_its_roles(api: Api) -> None:
    user = make_user(api, "clerk", ["offices:read", "offices:create"])
    assert user["roles"] == ["clerk-role"] and user["enabled"] and not user["locked"]
    assert "password" not in user and "password_hash" not in user
    clerk = as_user(api, "clerk")
    claims = jwt.decode(clerk.token, options={"verify_signature": False})
    assert claims["perm"] == ["offices:create", "offices:read"]
    office = clerk.post("/api/v1/offices", {"name": "HQ", "opening_date": "2020-01-01"})
    assert office.status_code == 201
    refused = clerk.post("/api/v1/users", {"username": "x", "password": USER_PASSWORD, "roles": []})
    assert refused.status_code == 403
    assert [u["username"] for u in api.get("/api/v1/users").json()["items"]] == ["admin", "clerk"]


def test_role_change_reaches_the_next_token(api: Api) -> None:
    user = make_user(api, "grower", ["offices:read"])
    role_id = api.get("/api/v1/roles").json()["items"][-1]["id"]
    r = api.put(f"/api/v1/roles/{role_id}", {"permissions": ["offices:read", "offices:create"],
                                              "description": "now creates offices"})
    assert r.status_code == 200 and r.json()["description"] == "now creates offices"
    office = as_user(api, "grower").post("/api/v1/offices", {"name": "HQ", "opening_date": "2020-01-01"})
    assert office.status_code == 201
    assert api.get(f"/api/v1/users/{user['id']}").json()["roles"] == ["grower-role"]


def test_bad_user_input_names_the_field_and_creates_nothing(api: Api) -> None:
    cases = [
        ({"username": "weak", "password": "password", "roles": []}, "password"),
        ({"username": "short", "password": "a1", "roles": []}, "password"),
        ({"username": "norole", "password": USER_PASSWORD, "roles": ["nosuch"]}, "roles"),
        ({"username": "nooffice", "password": USER_PASSWORD, "roles": [], "office_id": 999}, "office_id"),
        ({"username": "bad name!", "password": USER_PASSWORD, "roles": []}, "username"),
    ]
    for body, field in cases:
        r = api.post("/api/v1/users", body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in r.json()["errors"]] == [field]
    assert [u["username"] for u in api.get("/api/v1/users").json()["items"]] == ["admin"]


def test_username_is_unique_regardless_of_case(api: Api) -> None:
    r = api.post("/api/v1/users", {"username": "Admin", "password": USER_PASSWORD, "roles": []})
    assert r.status_code == 409
    assert r.json()["type"] == "/problems/username-taken"


def test_user_in_an_office(api: Api, head_office: dict[str, Any]) -> None:
    r = api.post("/api/v1/users", {"username": "branchy", "password": USER_PASSWORD, "roles": ["teller"],
                                   "office_id": head_office["id"], "display_name": "Branch Teller"})
    assert r.status_code == 201
    assert (r.json()["office_id"], r.json()["display_name"], r.json()["roles"]) == (head_office["id"],
                                                                                      "Branch Teller", ["teller"])


def test_nobody_grants_more_than_they_hold(api: Api) -> None:
    make_user(api, "manager", ["users:create", "users:update", "users:read", "roles:create", "roles:update",
                               "offices:read"])
    manager = as_user(api, "manager")
    escalate = manager.post("/api/v1/users", {"username": "mole", "password": USER_PASSWORD, "roles": ["admin"]})
    assert escalate.status_code == 403
    wildcard = manager.post("/api/v1/roles", {"name": "god", "permissions": ["*"]})
    assert wildcard.status_code == 403
    admin_id = api.get("/api/v1/users").json()["items"][0]["id"]
    assert manager.put(f"/api/v1/users/{admin_id}", {"enabled": False}).status_code == 403
    admin_role = next(r for r in api.get("/api/v1/roles").json()["items"] if r["name"] == "admin")
    assert manager.put(f"/api/v1/roles/{admin_role['id']}", {"permissions": []}).status_code == 403
    # Within their own permissions they manage users freely.
    assert manager.post("/api/v1/roles", {"name": "viewer", "permissions": ["offices:read"]}).status_code == 201
    ok = manager.post("/api/v1/users", {"username": "viewer1", "password": USER_PASSWORD, "roles": ["viewer"]})
    assert ok.status_code == 201
    usernames = [u["username"] for u in api.get("/api/v1/users").json()["items"]]
    assert "mole" not in usernames and "viewer1" in usernames
    assert "god" not in [r["name"] for r in api.get("/api/v1/roles").json()["items"]]
    assert api.get(f"/api/v1/roles/{admin_role['id']}").json()["permissions"] == ["*"]


def test_disabled_user_cannot_log_in_and_loses_refresh_tokens(api: Api) -> None:
    user = make_user(api, "leaver", ["offices:read"])
    tokens = login(api.client, api.tenant.id, "leaver", USER_PASSWORD)
    r = api.put(f"/api/v1/users/{user['id']}", {"enabled": False})
    assert r.status_code == 200 and r.json()["enabled"] is False
    assert _token(api.client, api.tenant.id, "leaver", USER_PASSWORD) == 401
    refresh = api.client.post("/api/v1/auth/token", headers={"Akiba-Tenant": api.tenant.id},
                              data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401
    assert api.put(f"/api/v1/users/{user['id']}", {"enabled": True}).status_code == 200
    assert _token(api.client, api.tenant.id, "leaver", USER_PASSWORD) == 200


def test_roles_of_a_user_are_replaced(api: Api) -> None:
    user = make_user(api, "mover", roles=["teller"])
    r = api.put(f"/api/v1/users/{user['id']}", {"roles": ["auditor", "loan-officer"]})
    assert r.json()["roles"] == ["auditor", "loan-officer"]
    claims = jwt.decode(as_user(api, "mover").token, options={"verify_signature": False})
    assert "audit:read" in claims["perm"] and "savings:withdraw" not in claims["perm"]
    assert api.put(f"/api/v1/users/{user['id']}", {"roles": ["nosuch"]}).json()["errors"][0]["field"] == "roles"
    assert api.get(f"/api/v1/users/{user['id']}").json()["roles"] == ["auditor", "loan-officer"]


def test_nobody_disables_themselves(api: Api) -> None:
    admin_id = api.get("/api/v1/users").json()["items"][0]["id"]
    r = api.put(f"/api/v1/users/{admin_id}", {"enabled": False})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "enabled"
    assert api.get(f"/api/v1/users/{admin_id}").json()["enabled"] is True


def test_locked_user_is_unlocked(api: Api) -> None:
    user = make_user(api, "fumbler", ["offices:read"])
    for _ in range(5):
        assert _token(api.client, api.tenant.id, "fumbler", "Wrong-pass-99") == 401
    assert _token(api.client, api.tenant.id, "fumbler", USER_PASSWORD) == 401
    assert api.get(f"/api/v1/users/{user['id']}").json()["locked"] is True
    r = api.post(f"/api/v1/users/{user['id']}/unlock")
    assert r.status_code == 200 and r.json()["locked"] is False
    assert _token(api.client, api.tenant.id, "fumbler", USER_PASSWORD) == 200
    assert api.post("/api/v1/users/9999/unlock").status_code == 404


def test_anyone_changes_their_own_password(api: Api) -> None:
    make_user(api, "nobody", [])
    me = as_user(api, "nobody")
    tokens = login(api.client, api.tenant.id, "nobody", USER_PASSWORD)
    wrong = me.post("/api/v1/users/me/password", {"old_password": "Not-mine-123", "new_password": "New-pass-5678"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "old_password"
    weak = me.post("/api/v1/users/me/password", {"old_password": USER_PASSWORD, "new_password": "short"})
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "new_password"
    ok = me.post("/api/v1/users/me/password", {"old_password": USER_PASSWORD, "new_password": "New-pass-5678"})
    assert ok.status_code == 200, ok.text
    assert _token(api.client, api.tenant.id, "nobody", USER_PASSWORD) == 401
    assert _token(api.client, api.tenant.id, "nobody", "New-pass-5678") == 200
    refresh = api.client.post("/api/v1/auth/token", headers={"Akiba-Tenant": api.tenant.id},
                              data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401  # sessions opened with the old password end
    audit = api.get("/api/v1/audit/commands", command="users:change-password").json()["items"]
    assert [a["outcome"] for a in audit] == ["success", "rejected", "rejected"]
    assert audit[0]["username"] == "nobody"
    assert audit[0]["summary"]["request"] == {"old_password": "***", "new_password": "***"}


def test_user_creation_is_idempotent_and_audited_without_the_password(api: Api) -> None:
    body = {"username": "twice", "password": USER_PASSWORD, "roles": ["teller"]}
    first = api.post("/api/v1/users", body, headers={"Idempotency-Key": "u-1"})
    second = api.post("/api/v1/users", body, headers={"Idempotency-Key": "u-1"})
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert [u["username"] for u in api.get("/api/v1/users").json()["items"]] == ["admin", "twice"]
    audit = api.get("/api/v1/audit/commands", command="users:create").json()["items"]
    assert len(audit) == 1 and audit[0]["resource_id"] == first.json()["id"]
    assert audit[0]["summary"]["request"]["password"] == "***"
    assert USER_PASSWORD not in str(audit)


def test_permissions_list_covers_commands_reads_and_checks(api: Api) -> None:
    items = api.get("/api/v1/permissions").json()["items"]
    kinds = {i["permission"]: i["kind"] for i in items}
    assert kinds["offices:create"] == "command" and kinds["users:create"] == "command"
    assert kinds["offices:read"] == "read" and kinds["audit:read"] == "read" and kinds["users:read"] == "read"
    assert kinds["offices:create:check"] == "check"
    assert kinds["offices:*"] == "wildcard" and kinds["*"] == "wildcard"
    assert "self:password" not in kinds
    assert [i["permission"] for i in items] == sorted(kinds)



def test_a_nul_character_is_bad_input_not_a_server_error(api: Api) -> None:
    # PostgreSQL text cannot hold NUL; the driver refuses it before the server sees it.
    r = api.post("/api/v1/roles", {"name": "nul", "description": "a\u0000b", "permissions": []})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert "nul" not in [role["name"] for role in api.get("/api/v1/roles").json()["items"]]
    assert api.get("/api/v1/audit/logins", username="a\u0000b").status_code == 422
