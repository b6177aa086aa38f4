"""The running deployment: settings, the control database, the tenant registry and the token keys."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from akiba.platform.db import configure_pool, tenant_session
from akiba.platform.security import ISSUER, KeyStore, unauthorized
from akiba.platform.settings import Settings
from akiba.platform.tenancy import Registry, TenantInfo


class OidcVerifier:
    """Resource-server mode: accept JWTs of an external issuer (Keycloak, Kong...) by its JWKS."""

    def __init__(self, settings: Settings) -> None:
        assert settings.oidc_issuer and settings.oidc_jwks_url
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience
        self.roles_claim = settings.oidc_roles_claim
        self.tenant_claim = settings.oidc_tenant_claim
        self.jwks = jwt.PyJWKClient(settings.oidc_jwks_url, cache_keys=True, lifespan=300)

    def verify(self, token: str) -> dict[str, Any]:
        try:
            key = self.jwks.get_signing_key_from_jwt(token).key
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256", "ES256", "EdDSA", "PS256"],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "sub"], "verify_aud": self.audience is not None},
            )
            return claims
        except (jwt.PyJWTError, jwt.PyJWKClientError):
            raise unauthorized() from None


class Runtime:
    def __init__(self, settings: Settings, control_url: str) -> None:
        self.settings = settings
        self.control_url = control_url
        configure_pool(settings.pool_size)
        self.registry = Registry(control_url)
        self.keys = KeyStore(control_url)
        self.oidc = OidcVerifier(settings) if settings.oidc_issuer and settings.oidc_jwks_url else None
        self._role_cache: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def session(self, tenant: TenantInfo) -> Iterator[Session]:
        with tenant_session(tenant.shard_url, tenant.schema) as s:
            yield s

    def authenticate(self, token: str, tenant: TenantInfo) -> dict[str, Any]:
        """Claims of a valid token for this tenant; a token of another tenant is refused."""
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            raise unauthorized() from None
        if issuer == ISSUER:
            claims = self.keys.verify(token)
        elif self.oidc is not None and issuer == self.oidc.issuer:
            claims = self._from_oidc(self.oidc.verify(token), tenant)
        else:
            raise unauthorized()
        if claims.get("tenant") != tenant.id:
            raise unauthorized("this token was issued for another tenant")
        return claims

    def _from_oidc(self, claims: dict[str, Any], tenant: TenantInfo) -> dict[str, Any]:
        assert self.oidc is not None
        roles = claims.get(self.oidc.roles_claim) or []
        if isinstance(roles, str):
            roles = roles.split()
        return {
            "sub": claims["sub"],
            "preferred_username": claims.get("preferred_username") or claims["sub"],
            "tenant": claims.get(self.oidc.tenant_claim),
            "roles": list(roles),
            "perm": sorted(self.role_permissions(tenant, tuple(roles))),
            "uid": None,
        }

    def role_permissions(self, tenant: TenantInfo, roles: tuple[str, ...]) -> frozenset[str]:
        from akiba.platform.models import Role

        perms: set[str] = set()
        missing = []
        now = time.monotonic()
        with self._lock:
            for role in roles:
                hit = self._role_cache.get((tenant.id, role))
                if hit and now - hit[0] < 60:
                    perms |= hit[1]
                else:
                    missing.append(role)
        if missing:
            with self.session(tenant) as s:
                rows = s.scalars(select(Role).where(Role.name.in_(missing)))
                found = {r.name: frozenset(r.permissions) for r in rows}
            with self._lock:
                for role in missing:
                    self._role_cache[(tenant.id, role)] = (now, found.get(role, frozenset()))
                    perms |= found.get(role, frozenset())
        return frozenset(perms)
