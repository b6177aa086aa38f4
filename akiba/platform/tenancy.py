"""The tenant registry: tenants are schemas spread over database servers (shards)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from akiba.core.errors import DomainError, not_found
from akiba.platform.db import CONTROL_SCHEMA, engine_for, tenant_schema

log = structlog.get_logger()
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@dataclass(frozen=True)
class TenantInfo:
    id: str
    name: str
    shard_url: str
    replica_url: str | None
    timezone: str
    base_currency: str
    status: str

    @property
    def schema(self) -> str:
        return tenant_schema(self.id)

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.timezone)).date()


def _alembic(connection: Connection, schema: str, which: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS / which))
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = schema
    command.upgrade(cfg, "heads")


def _create_schema(connection: Connection, schema: str) -> None:
    # Identifiers cannot be bound parameters; the schema name is validated and quoted.
    quoted = connection.dialect.identifier_preparer.quote_schema(schema)
    connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))


def migrate_control(control_url: str) -> None:
    with engine_for(control_url).begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(4242)"))  # two nodes starting at once migrate once
        _create_schema(conn, CONTROL_SCHEMA)
        _alembic(conn, CONTROL_SCHEMA, "control")


def migrate_tenant_schema(shard_url: str, schema: str) -> None:
    with engine_for(shard_url).begin() as conn:
        _create_schema(conn, schema)
        _alembic(conn, schema, "tenant")


class Registry:
    """Reads the tenant registry, caching each tenant briefly so a request costs no extra query."""

    def __init__(self, control_url: str, ttl_seconds: float = 5.0) -> None:
        self.control_url = control_url
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[float, TenantInfo | None]] = {}
        self._lock = threading.Lock()

    def _load(self, tenant_id: str) -> TenantInfo | None:
        from akiba.platform.models import Tenant

        with Session(engine_for(self.control_url)) as s:
            row = s.get(Tenant, tenant_id)
            if row is None:
                return None
            return self._info(row)

    def _info(self, row: object) -> TenantInfo:
        from akiba.platform.models import Tenant

        assert isinstance(row, Tenant)
        return TenantInfo(
            id=row.id,
            name=row.name,
            shard_url=row.shard_url or self.control_url,
            replica_url=row.replica_url,
            timezone=row.timezone,
            base_currency=row.base_currency,
            status=row.status,
        )

    def get(self, tenant_id: str) -> TenantInfo | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(tenant_id)
        if hit and now - hit[0] < self.ttl:
            return hit[1]
        info = self._load(tenant_id)
        with self._lock:
            self._cache[tenant_id] = (now, info)
        return info

    def require_active(self, tenant_id: str) -> TenantInfo:
        info = self.get(tenant_id) if tenant_id else None
        if info is None:
            raise DomainError("unknown-tenant", "the Akiba-Tenant header names no tenant", status=404)
        if info.status != "active":
            raise DomainError("tenant-inactive", f"tenant {tenant_id} is {info.status}", status=403)
        return info

    def all(self) -> list[TenantInfo]:
        from akiba.platform.models import Tenant

        with Session(engine_for(self.control_url)) as s:
            return [self._info(t) for t in s.scalars(select(Tenant).order_by(Tenant.id))]

    def forget(self, tenant_id: str) -> None:
        with self._lock:
            self._cache.pop(tenant_id, None)


def register_tenant(
    control_url: str,
    tenant_id: str,
    name: str,
    *,
    shard_url: str | None = None,
    timezone: str = "UTC",
    base_currency: str = "USD",
) -> TenantInfo:
    """Add the registry row and build the tenant's schema at the migrations' head."""
    from akiba.platform.models import Tenant

    schema = tenant_schema(tenant_id)
    try:
        ZoneInfo(timezone)
    except Exception:
        raise DomainError("validation-error", f"unknown timezone {timezone}", status=422) from None
    with Session(engine_for(control_url)) as s:
        if s.get(Tenant, tenant_id) is not None:
            raise DomainError("tenant-exists", f"tenant {tenant_id} already exists", status=409)
        s.add(Tenant(id=tenant_id, name=name, shard_url=shard_url, timezone=timezone, base_currency=base_currency))
        s.commit()
    migrate_tenant_schema(shard_url or control_url, schema)
    info = Registry(control_url).get(tenant_id)
    if info is None:
        raise not_found("tenant", tenant_id)
    return info


def migrate_all(
    registry: Registry, workers: int = 4, progress: Callable[[int, int, str], None] | None = None
) -> list[tuple[str, str]]:
    """Bring every tenant schema to head in parallel; returns (tenant, error) for failures.

    Processes, not threads: Alembic's migration context is a module-level global.
    """
    tenants = registry.all()
    failures: list[tuple[str, str]] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(migrate_tenant_schema, t.shard_url, t.schema): t for t in tenants}
        for done, fut in enumerate(as_completed(futures), start=1):
            tenant = futures[fut]
            error = fut.exception()
            if error is not None:
                failures.append((tenant.id, str(error)))
            if progress:
                progress(done, len(tenants), tenant.id)
    return failures


def tenant_ids(registry: Registry) -> Iterable[str]:
    return (t.id for t in registry.all())
