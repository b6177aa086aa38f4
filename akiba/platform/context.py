"""Who is calling, for which tenant, and whether they may: the dependencies every endpoint declares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Header, Request

from akiba.core.errors import DomainError
from akiba.platform.security import unauthorized
from akiba.platform.tenancy import TenantInfo

if TYPE_CHECKING:
    from akiba.platform.runtime import Runtime

PLATFORM_ADMIN = "platform:admin"
# Every permission an endpoint asks for, collected as routers are built, so the API can list what roles may hold.
KNOWN_PERMISSIONS: set[str] = set()


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    username: str
    tenant: TenantInfo
    permissions: frozenset[str] = field(default_factory=frozenset)
    roles: tuple[str, ...] = ()
    ip: str | None = None

    def can(self, permission: str) -> bool:
        resource = permission.split(":", 1)[0]
        return bool({"*", permission, f"{resource}:*"} & self.permissions)


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def current_tenant(
    request: Request, akiba_tenant: Annotated[str, Header(alias="Akiba-Tenant", min_length=1, max_length=64)]
) -> TenantInfo:
    return runtime(request).registry.require_active(akiba_tenant.strip().lower())


TenantDep = Annotated[TenantInfo, Depends(current_tenant)]
# The header by which a retried command returns its first answer (CONTRACT.md).
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("an Authorization: Bearer token is required")
    return token.strip()


def current_principal(request: Request, tenant: TenantDep) -> Principal:
    rt = runtime(request)
    claims = rt.authenticate(_bearer(request), tenant)
    ip = request.client.host if request.client else None
    return Principal(
        user_id=claims.get("uid"),
        username=str(claims.get("preferred_username") or claims["sub"]),
        tenant=tenant,
        permissions=frozenset(claims.get("perm", [])),
        roles=tuple(claims.get("roles", [])),
        ip=ip,
    )


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(permission: str) -> Any:
    """A dependency that lets the call through only for holders of `permission` (403 otherwise)."""
    KNOWN_PERMISSIONS.add(permission)

    def check(principal: PrincipalDep) -> Principal:
        if not principal.can(permission):
            raise DomainError("forbidden", f"this call needs the permission {permission}", status=403)
        return principal

    check.__name__ = f"require_{permission.replace(':', '_')}"
    return Depends(check)


def allowed(permission: str) -> Callable[[Principal], bool]:
    KNOWN_PERMISSIONS.add(permission)
    return lambda p: p.can(permission)
