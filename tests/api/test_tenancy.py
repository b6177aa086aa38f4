"""Tenants on two shards: each sees only its own data, through every endpoint; the CLI creates and migrates."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ADMIN_PASSWORD, Api, api_for, login, new_tenant
from fastapi.testclient import TestClient
from sqlalchemy import text

from akiba.platform.db import engine_for
from akiba.platform.runtime import Runtime


def _office(api: Api, name: str) -> int:
    r = api.post("/api/v1/offices", {"name": name, "opening_date": "2020-01-01"})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_tenants_on_two_shards_are_isolated(app_client: TestClient, runtime: Runtime, shard2_url: str) -> None:
    on_first = api_for(app_client, new_tenant(runtime))
    on_second = api_for(app_client, new_tenant(runtime, shard_url=shard2_url))
    _office(on_first, "First HQ")
    _office(on_second, "Second HQ")
    # The second tenant's schema really lives in the other database.
    with engine_for(shard2_url).connect() as conn:
        conn.execute(text("SELECT set_config('search_path', :s, false)"), {"s": on_second.tenant.schema})
        names = conn.execute(text("SELECT name FROM offices")).scalars().all()
    assert names == ["Second HQ"]
    assert [o["name"] for o in on_first.get("/api/v1/offices").json()["items"]] == ["First HQ"]
    assert [o["name"] for o in on_second.get("/api/v1/offices").json()["items"]] == ["Second HQ"]


def test_inactive_tenant_is_refused(app_client: TestClient, runtime: Runtime) -> None:
    tenant = new_tenant(runtime)
    login(app_client, tenant.id, "admin", ADMIN_PASSWORD)
    with engine_for(runtime.control_url).begin() as conn:
        conn.execute(text("UPDATE akiba_control.tenants SET status = 'suspended' WHERE id = :id"), {"id": tenant.id})
    runtime.registry.forget(tenant.id)
    app_client.app.state.runtime.registry.forget(tenant.id)  # type: ignore[attr-defined]
    r = app_client.post("/api/v1/auth/token", headers={"Akiba-Tenant": tenant.id},
                        data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 403
    assert r.json()["type"] == "/problems/tenant-inactive"


def _cli(control_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AKIBA_DATABASE_URL": control_url, "AKIBA_LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "akiba.platform.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_cli_creates_lists_and_migrates_tenants(app_client: TestClient, control_url: str) -> None:
    created = _cli(control_url, "tenants", "create", "clitenant", "--name", "CLI MFI", "--admin-password",
                   "Cli-pass-1234")
    assert created.returncode == 0, created.stderr
    assert login(app_client, "clitenant", "admin", "Cli-pass-1234")["access_token"]
    listed = _cli(control_url, "tenants", "list")
    assert "clitenant" in listed.stdout
    migrated = _cli(control_url, "tenants", "migrate", "--workers", "2")
    assert migrated.returncode == 0, migrated.stderr
    assert "clitenant migrated" in migrated.stdout
    again = _cli(control_url, "tenants", "create", "clitenant", "--name", "x", "--admin-password", "Cli-pass-1234")
    assert again.returncode == 2 and "already exists" in again.stderr
