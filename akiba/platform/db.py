"""Database access: one engine (pool) per shard, tenant schemas chosen per transaction."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction

from akiba.core.errors import DomainError

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
CONTROL_SCHEMA = "akiba_control"
_TENANT_ID = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


class TenantBase(DeclarativeBase):
    """Tables that live in every tenant schema; unqualified, resolved through search_path."""

    metadata = MetaData(naming_convention=NAMING)


class ControlBase(DeclarativeBase):
    """Tables of the control schema (the tenant registry and deployment-wide state)."""

    metadata = MetaData(naming_convention=NAMING, schema=CONTROL_SCHEMA)


def tenant_schema(tenant_id: str) -> str:
    if not _TENANT_ID.match(tenant_id):
        raise DomainError("invalid-tenant-id", "tenant ids are 2-31 lowercase letters, digits or _", status=422)
    return f"t_{tenant_id}"


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
_pool_size = 10


def configure_pool(size: int) -> None:
    global _pool_size
    _pool_size = size


def engine_for(url: str) -> Engine:
    """The shared engine of one database server (shard): 250 tenants share one pool."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine(url, pool_size=_pool_size, max_overflow=_pool_size, pool_pre_ping=True)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def use_schema(connection: Connection, schema: str) -> None:
    """SET LOCAL search_path for this transaction only, as a bound parameter (no SQL from strings)."""
    connection.execute(text("SELECT set_config('search_path', :path, true)"), {"path": f"{schema}, public"})


@event.listens_for(Session, "after_begin")
def _scope_transaction_to_tenant(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    # Every transaction of a tenant session, including one begun after a commit, sees only that tenant's schema.
    schema = session.info.get("schema")
    if schema:
        use_schema(connection, schema)


@contextmanager
def tenant_session(shard_url: str, schema: str) -> Iterator[Session]:
    """A unit of work on one tenant: rolls back unless the command commits."""
    with Session(engine_for(shard_url), expire_on_commit=False, info={"schema": schema}) as session:
        try:
            yield session
        finally:
            if session.in_transaction():
                session.rollback()


def commit(session: Session) -> None:
    """The one commit of a command: deferred ledger checks fire first so their errors are domain errors."""
    session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
    session.commit()


def scalar(session: Session, sql: str, **params: Any) -> Any:
    return session.execute(text(sql), params).scalar()
