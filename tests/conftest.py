"""Shared fixtures: a real PostgreSQL per test worker, the app, and tenants with logged-in API clients."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from psycopg import sql

from akiba.platform import embedded
from akiba.platform.app import create_app
from akiba.platform.bootstrap import configure_logging, sqlalchemy_url
from akiba.platform.db import dispose_engines
from akiba.platform.provisioning import create_tenant
from akiba.platform.runtime import Runtime
from akiba.platform.settings import Settings
from akiba.platform.tenancy import TenantInfo, migrate_control

ADMIN_PASSWORD = "Admin-pass-1234"

# Property tests that go through the database are slow per example on a busy 2-core machine; time is not
# what they test, so no deadline and no too-slow health check.
hypothesis_settings.register_profile(
    "akiba", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
hypothesis_settings.load_profile("akiba")
_tenant_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An admin URL of the server the suite runs on: AKIBA_TEST_DATABASE_URL, or an embedded one."""
    external = os.environ.get("AKIBA_TEST_DATABASE_URL")
    if external:
        yield sqlalchemy_url(external)
        return
    home = tmp_path_factory.mktemp("pg")
    url = embedded.start(Path(home), database="postgres")
    yield url


def _fresh_database(server: str, name: str) -> str:
    admin = embedded.libpq_uri(server)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base, _, query = server.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def database_names() -> tuple[str, str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
    suffix = f"{os.getpid()}_{worker}"
    return f"akiba_test_{suffix}", f"akiba_test_shard2_{suffix}"


@pytest.fixture(scope="session")
def control_url(server_url: str, database_names: tuple[str, str]) -> Iterator[str]:
    url = _fresh_database(server_url, database_names[0])
    migrate_control(url)
    yield url
    dispose_engines()


@pytest.fixture(scope="session")
def shard2_url(server_url: str, database_names: tuple[str, str]) -> str:
    """A second database on the same server, registered as another shard."""
    return _fresh_database(server_url, database_names[1])


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    configure_logging("WARNING")
    return Settings(home=tmp_path_factory.mktemp("home"), token_rate_limit_per_minute=100_000)


@pytest.fixture(scope="session")
def runtime(settings: Settings, control_url: str) -> Runtime:
    return Runtime(settings, control_url)


@pytest.fixture(scope="session")
def app_client(settings: Settings, control_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings, control_url), raise_server_exceptions=False) as client:
        yield client


class Api:
    """An HTTP client logged in to one tenant: `api.post("/api/v1/offices", {...})`."""

    def __init__(self, client: TestClient, tenant: TenantInfo, token: str) -> None:
        self.client = client
        self.tenant = tenant
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Akiba-Tenant": self.tenant.id, "Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.headers())

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(path, json=body, headers=self.headers(headers))

    def put(self, path: str, body: Any = None) -> Any:
        return self.client.put(path, json=body, headers=self.headers())

    def delete(self, path: str) -> Any:
        return self.client.delete(path, headers=self.headers())


def login(client: TestClient, tenant_id: str, username: str, password: str) -> dict[str, Any]:
    response = client.post("/api/v1/auth/token", headers={"Akiba-Tenant": tenant_id},
                           data={"grant_type": "password", "username": username, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def new_tenant(runtime: Runtime, shard_url: str | None = None, **kwargs: Any) -> TenantInfo:
    tenant_id = f"t{next(_tenant_numbers)}_{uuid.uuid4().hex[:6]}"
    return create_tenant(runtime, tenant_id, f"Tenant {tenant_id}", ADMIN_PASSWORD, shard_url=shard_url, **kwargs)


def api_for(client: TestClient, tenant: TenantInfo, username: str = "admin", password: str = ADMIN_PASSWORD) -> Api:
    return Api(client, tenant, login(client, tenant.id, username, password)["access_token"])


@pytest.fixture
def tenant(runtime: Runtime) -> TenantInfo:
    return new_tenant(runtime)


@pytest.fixture
def api(app_client: TestClient, tenant: TenantInfo) -> Api:
    """A fresh tenant per test, logged in as its admin: tests cannot see each other's data."""
    return api_for(app_client, tenant)


@pytest.fixture
def loan_setup(api: Api) -> dict[str, Any]:
    """An office, a client and the monthly loan product (tests/api/loan_factories.py)."""
    from loan_factories import office_client_product

    return office_client_product(api)


@pytest.fixture
def head_office(api: Api) -> dict[str, Any]:
    response = api.post("/api/v1/offices", {"name": "Head Office", "opening_date": "2020-01-01"})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
