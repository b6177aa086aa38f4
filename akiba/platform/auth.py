"""Tokens: the OAuth2 password and refresh grants, rotation with reuse detection, logout, JWKS."""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from akiba.core.errors import DomainError
from akiba.platform.context import TenantDep, runtime
from akiba.platform.models import LoginAudit, RefreshToken, Role, User, UserRole
from akiba.platform.runtime import Runtime
from akiba.platform.security import ISSUER, new_opaque_token, token_digest, verify_password
from akiba.platform.tenancy import TenantInfo

router = APIRouter(tags=["auth"])
BAD_LOGIN = DomainError("invalid-grant", "the credentials are not valid", status=401, title="Unauthorized")


class RateLimiter:
    """A sliding window per key, in process memory: enough to slow password guessing on one node."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, per_minute: int) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] > 60:
                hits.popleft()
            if len(hits) >= per_minute:
                return False
            hits.append(now)
            return True


limiter = RateLimiter()


def _permissions(s: Session, user_id: int) -> tuple[list[str], list[str]]:
    query = select(Role.name, Role.permissions).join(UserRole, UserRole.role_id == Role.id)
    rows = s.execute(query.where(UserRole.user_id == user_id)).all()
    roles = sorted(r.name for r in rows)
    perms = sorted({p for r in rows for p in r.permissions})
    return roles, perms


def _issue(rt: Runtime, s: Session, tenant: TenantInfo, user: User, family: str | None = None) -> dict[str, Any]:
    roles, perms = _permissions(s, user.id)
    now = datetime.now(UTC)
    ttl = timedelta(minutes=rt.settings.access_token_minutes)
    access = rt.keys.sign({
        "iss": ISSUER, "aud": ISSUER, "sub": user.username, "uid": user.id, "tenant": tenant.id,
        "roles": roles, "perm": perms, "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex,
    })
    refresh = new_opaque_token()
    s.add(RefreshToken(
        token_hash=token_digest(refresh), family=family or uuid.uuid4().hex, user_id=user.id,
        expires_at=now + timedelta(days=rt.settings.refresh_token_days),
    ))
    return {"access_token": access, "token_type": "bearer", "expires_in": int(ttl.total_seconds()),
            "refresh_token": refresh}


def _password_grant(rt: Runtime, s: Session, tenant: TenantInfo, username: str, password: str,
                    audit: dict[str, Any]) -> dict[str, Any]:
    user = s.execute(select(User).where(User.username == username).with_for_update()).scalar_one_or_none()
    now = datetime.now(UTC)
    ok = verify_password(user.password_hash if user else None, password)
    reason = ""
    if user is None or not ok:
        reason = "bad-credentials"
    elif not user.enabled:
        reason = "disabled"
    elif user.locked_until and user.locked_until > now:
        reason = "locked"
    s.add(LoginAudit(username=username[:100], user_id=user.id if user else None, success=not reason,
                     reason=reason, **audit))
    if user is not None and reason == "bad-credentials":
        user.failed_logins += 1
        if user.failed_logins >= rt.settings.login_max_failures:
            user.locked_until = now + timedelta(minutes=rt.settings.login_lockout_minutes)
            user.failed_logins = 0
    if reason:
        s.commit()  # the failure and the lockout are recorded even though the login is refused
        raise BAD_LOGIN
    assert user is not None
    user.failed_logins = 0
    user.locked_until = None
    return _issue(rt, s, tenant, user)


def _refresh_grant(rt: Runtime, s: Session, tenant: TenantInfo, token: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    row = s.execute(
        select(RefreshToken).where(RefreshToken.token_hash == token_digest(token)).with_for_update()
    ).scalar_one_or_none()
    if row is None or row.revoked_at or row.expires_at <= now:
        raise BAD_LOGIN
    if row.used_at is not None:
        # A rotated token came back: someone holds a stolen copy. Revoke the whole family.
        _revoke_family(s, row.family)
        s.commit()
        raise BAD_LOGIN
    user = s.get(User, row.user_id)
    if user is None or not user.enabled:
        raise BAD_LOGIN
    row.used_at = now
    return _issue(rt, s, tenant, user, family=row.family)


def _revoke_family(s: Session, family: str) -> None:
    s.execute(update(RefreshToken).where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
              .values(revoked_at=datetime.now(UTC)))


@router.post("/api/v1/auth/token", summary="Get an access token (OAuth2 password or refresh grant)")
def token(
    request: Request,
    tenant: TenantDep,
    grant_type: Annotated[str, Form(max_length=32)],
    username: Annotated[str | None, Form(max_length=100)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    refresh_token: Annotated[str | None, Form(max_length=200)] = None,
) -> dict[str, Any]:
    rt = runtime(request)
    ip = request.client.host if request.client else "?"
    if not limiter.allow(f"{tenant.id}:{ip}", rt.settings.token_rate_limit_per_minute):
        raise DomainError("rate-limited", "too many token requests; wait a minute", status=429)
    with rt.session(tenant) as s:
        if grant_type == "password":
            if not username or password is None:
                raise DomainError("invalid-request", "username and password are required", status=400)
            audit = {"ip": ip, "user_agent": request.headers.get("user-agent", "")[:500]}
            answer = _password_grant(rt, s, tenant, username, password, audit)
        elif grant_type == "refresh_token":
            if not refresh_token:
                raise DomainError("invalid-request", "refresh_token is required", status=400)
            answer = _refresh_grant(rt, s, tenant, refresh_token)
        else:
            raise DomainError("unsupported-grant-type", "grant_type must be password or refresh_token", 400)
        s.commit()
    return answer


@router.post("/api/v1/auth/logout", status_code=204, summary="Revoke a refresh token and its rotations")
def logout(request: Request, tenant: TenantDep, refresh_token: Annotated[str, Form(max_length=200)]) -> None:
    with runtime(request).session(tenant) as s:
        row = s.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_digest(refresh_token)))
        if row is not None:
            _revoke_family(s, row.family)
            s.commit()


@router.get("/.well-known/jwks.json", summary="Public keys that verify Akiba's access tokens")
@router.get("/api/v1/auth/jwks", include_in_schema=False)
def jwks(request: Request) -> dict[str, Any]:
    return runtime(request).keys.jwks()
