"""Resource-server mode: tokens of an external OIDC issuer, checked against its JWKS served over HTTP."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from conftest import ADMIN_PASSWORD, api_for, new_tenant
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from akiba.platform.app import create_app
from akiba.platform.runtime import Runtime
from akiba.platform.settings import Settings
from akiba.platform.tenancy import TenantInfo

ISSUER = "https://idp.example.test/realms/akiba"
AUDIENCE = "akiba-api"
KID = "idp-key-1"


def _private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def idp_key() -> rsa.RSAPrivateKey:
    return _private_key()


@pytest.fixture(scope="module")
def jwks_url(idp_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """The identity provider's JWKS endpoint: a tiny HTTP server on a free local port."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(idp_key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/jwks" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if self.path == "/jwks" else b"{}")

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def oidc_client(settings: Settings, control_url: str, jwks_url: str) -> Iterator[TestClient]:
    oidc = settings.model_copy(update={"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE, "oidc_jwks_url": jwks_url})
    with TestClient(create_app(oidc, control_url), raise_server_exceptions=False) as client:
        yield client


def _token(key: rsa.RSAPrivateKey, tenant_id: str, roles: Any, kid: str = KID, **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": f"idp-{uuid.uuid4().hex[:8]}", "preferred_username": "kim",
              "tenant": tenant_id, "roles": roles, "iat": now, "exp": now + 300, **overrides}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def _get(client: TestClient, tenant: TenantInfo, token: str, path: str = "/api/v1/offices") -> int:
    status: int = client.get(path, headers={"Akiba-Tenant": tenant.id, "Authorization": f"Bearer {token}"}).status_code
    return status


def test_roles_claim_maps_to_the_tenants_roles(oidc_client: TestClient, tenant: TenantInfo,
                                               idp_key: rsa.RSAPrivateKey) -> None:
    teller = {"Akiba-Tenant": tenant.id, "Authorization": f"Bearer {_token(idp_key, tenant.id, ['teller'])}"}
    assert oidc_client.get("/api/v1/offices", headers=teller).json() == {"items": [], "next_cursor": None}
    office = {"name": "HQ", "opening_date": "2020-01-01"}
    assert oidc_client.post("/api/v1/offices", json=office, headers=teller).status_code == 403

    admin = {"Akiba-Tenant": tenant.id, "Authorization": f"Bearer {_token(idp_key, tenant.id, 'teller admin')}"}
    created = oidc_client.post("/api/v1/offices", json=office, headers=admin)
    assert created.status_code == 201, created.text
    audit = oidc_client.get("/api/v1/audit/commands", headers=admin).json()["items"]
    assert [(a["username"], a["user_id"], a["command"], a["resource_id"]) for a in audit] == [
        ("kim", None, "offices:create", created.json()["id"])]


def test_a_role_made_in_the_tenant_is_honoured(oidc_client: TestClient, app_client: TestClient, tenant: TenantInfo,
                                               idp_key: rsa.RSAPrivateKey) -> None:
    local_admin = api_for(app_client, tenant)
    assert local_admin.post("/api/v1/roles", {"name": "branch-setup", "permissions": ["offices:*"]}).status_code == 201
    headers = {"Akiba-Tenant": tenant.id, "Authorization": f"Bearer {_token(idp_key, tenant.id, ['branch-setup'])}"}
    r = oidc_client.post("/api/v1/offices", json={"name": "HQ", "opening_date": "2020-01-01"}, headers=headers)
    assert r.status_code == 201
    assert oidc_client.get("/api/v1/users", headers=headers).status_code == 403


def test_unknown_roles_grant_nothing(oidc_client: TestClient, tenant: TenantInfo, idp_key: rsa.RSAPrivateKey) -> None:
    assert _get(oidc_client, tenant, _token(idp_key, tenant.id, ["superuser"])) == 403
    assert _get(oidc_client, tenant, _token(idp_key, tenant.id, [])) == 403


@pytest.mark.parametrize("overrides", [
    {"aud": "someone-else"},
    {"iss": "https://evil.example.test/realms/akiba"},
    {"exp": int(time.time()) - 60, "iat": int(time.time()) - 400},
    {"tenant": None},
], ids=["wrong-audience", "wrong-issuer", "expired", "no-tenant"])
def test_bad_tokens_are_refused(oidc_client: TestClient, tenant: TenantInfo, idp_key: rsa.RSAPrivateKey,
                                overrides: dict[str, Any]) -> None:
    token = _token(idp_key, tenant.id, ["admin"], **overrides)
    r = oidc_client.get("/api/v1/offices", headers={"Akiba-Tenant": tenant.id, "Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_token_of_another_tenant_is_refused(oidc_client: TestClient, runtime: Runtime, tenant: TenantInfo,
                                            idp_key: rsa.RSAPrivateKey) -> None:
    other = new_tenant(runtime)
    token = _token(idp_key, other.id, ["admin"])
    assert _get(oidc_client, other, token) == 200
    assert _get(oidc_client, tenant, token) == 401


def test_forged_signatures_are_refused(oidc_client: TestClient, tenant: TenantInfo) -> None:
    stranger = _private_key()
    assert _get(oidc_client, tenant, _token(stranger, tenant.id, ["admin"])) == 401  # known kid, wrong key
    assert _get(oidc_client, tenant, _token(stranger, tenant.id, ["admin"], kid="unknown-kid")) == 401
    unsigned = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "tenant": tenant.id, "roles": ["admin"],
                           "exp": int(time.time()) + 300}, key="", algorithm="none")
    assert _get(oidc_client, tenant, unsigned) == 401
    assert _get(oidc_client, tenant, "not-a-jwt") == 401


def test_local_tokens_still_work_beside_oidc(oidc_client: TestClient, tenant: TenantInfo) -> None:
    local = api_for(oidc_client, tenant, "admin", ADMIN_PASSWORD)
    assert local.get("/api/v1/offices").status_code == 200


def test_external_users_cannot_make_pending_commands(oidc_client: TestClient, app_client: TestClient,
                                                     tenant: TenantInfo, idp_key: rsa.RSAPrivateKey) -> None:
    # A pending command records its maker by local user id; an external subject has none to record.
    assert api_for(app_client, tenant).put("/api/v1/maker-checker/offices:create", {"enabled": True}).status_code == 200
    headers = {"Akiba-Tenant": tenant.id, "Authorization": f"Bearer {_token(idp_key, tenant.id, ['admin'])}"}
    r = oidc_client.post("/api/v1/offices", json={"name": "HQ", "opening_date": "2020-01-01"}, headers=headers)
    assert r.status_code == 403 and r.json()["type"] == "/problems/maker-unknown"
    assert oidc_client.get("/api/v1/offices", headers=headers).json()["items"] == []
