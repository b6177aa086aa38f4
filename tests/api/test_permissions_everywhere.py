"""Every business endpoint refuses a caller without its permission; the token endpoint is rate limited.

The walk covers whatever routers the app mounts, so a feature added later is checked without editing this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import ADMIN_PASSWORD, Api, new_tenant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from test_admin_api import as_user, make_user

from akiba.platform.app import create_app
from akiba.platform.runtime import Runtime
from akiba.platform.settings import Settings

# Endpoints that are open by design: getting and dropping tokens, and the public keys that verify them.
OPEN = {"/api/v1/auth/token", "/api/v1/auth/logout", "/api/v1/auth/jwks"}
# Endpoints every signed-in user may call whatever their roles, each with its reason. Keep this list short.
SIGNED_IN_ONLY = {
    ("POST", "/api/v1/users/me/password"): "changes the caller's own password and nothing else",
    ("GET", "/api/v1/business-date"): "akiba.cob: the date the caller's transactions are booked on",
}
PATH_PARAM = re.compile(r"{([^}:]+)(:[^}]*)?}")


def _routes(app: Any) -> list[tuple[str, set[str]]]:
    """(path, methods) of every API route, including those of included routers."""
    try:  # FastAPI >= 0.16x keeps included routers as nodes of their own; this walks into them
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI flattened them into app.routes
        return [(r.path, set(r.methods or ())) for r in app.routes if isinstance(r, APIRoute)]
    return [(str(c.path), set(c.methods or ())) for c in iter_route_contexts(app.routes)
            if isinstance(c.original_route, APIRoute)]


def _calls(client: TestClient) -> list[tuple[str, str]]:
    calls = []
    for route_path, methods in _routes(client.app):
        if not route_path.startswith("/api/v1") or route_path in OPEN:
            continue
        path = PATH_PARAM.sub(lambda m: "offices:create" if m.group(1) == "permission" else "1", route_path)
        calls += [(method, path) for method in sorted(methods - {"HEAD", "OPTIONS"})]
    return calls


@pytest.fixture
def powerless(api: Api) -> Api:
    make_user(api, "powerless", [])
    return as_user(api, "powerless")


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
    status: int = client.request(method, path, json=body, headers=headers).status_code
    return status


def test_the_walk_finds_every_documented_endpoint(app_client: TestClient) -> None:
    calls = set(_calls(app_client))
    documented = {(method.upper(), PATH_PARAM.sub(lambda m: "offices:create" if m.group(1) == "permission" else "1",
                                                   path))
                  for path, operations in app_client.get("/openapi.json").json()["paths"].items()
                  for method in operations if path.startswith("/api/v1") and path not in OPEN}
    assert documented <= calls
    assert {("POST", "/api/v1/offices"), ("GET", "/api/v1/audit/commands"),
            ("PUT", "/api/v1/maker-checker/offices:create"), ("POST", "/api/v1/pending-commands/1/approve")} <= calls


def test_every_endpoint_refuses_a_user_without_permissions(powerless: Api) -> None:
    answers = {(m, p): _call(powerless.client, m, p, powerless.headers()) for m, p in _calls(powerless.client)}
    wrong = {call: status for call, status in answers.items() if call not in SIGNED_IN_ONLY and status != 403}
    assert wrong == {}
    assert all(answers[call] < 500 for call in SIGNED_IN_ONLY if call in answers)
    # The password change with no valid body changes nothing.
    assert answers[("POST", "/api/v1/users/me/password")] == 422


def test_every_endpoint_refuses_a_call_without_a_token(api: Api) -> None:
    headers = {"Akiba-Tenant": api.tenant.id}
    answers = {(m, p): _call(api.client, m, p, headers) for m, p in _calls(api.client)}
    assert {call: status for call, status in answers.items() if status != 401} == {}


@pytest.fixture(scope="module")
def strict_client(settings: Settings, control_url: str) -> Iterator[TestClient]:
    strict = settings.model_copy(update={"token_rate_limit_per_minute": 3})
    with TestClient(create_app(strict, control_url), raise_server_exceptions=False) as client:
        yield client


def test_token_endpoint_is_rate_limited(strict_client: TestClient, runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    form = {"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD}
    statuses = [strict_client.post("/api/v1/auth/token", headers={"Akiba-Tenant": tenant.id}, data=form).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = strict_client.post("/api/v1/auth/token", headers={"Akiba-Tenant": tenant.id}, data=form)
    assert refused.status_code == 429 and refused.json()["type"] == "/problems/rate-limited"
    # The window is per tenant and address: another tenant's users are not locked out by this one's traffic.
    other = new_tenant(runtime)
    assert strict_client.post("/api/v1/auth/token", headers={"Akiba-Tenant": other.id}, data=form).status_code == 200
