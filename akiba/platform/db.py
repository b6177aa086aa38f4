"""Database access: one engine (pool) per shard, tenant schemas chosen per transaction."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, text
from sqlalchemy.exc import DBAPIError
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
            # No ping on checkout (a round trip per unit of work): a connection the server dropped fails its one
            # request, and SQLAlchemy, seeing a disconnect, discards the whole pool.
            engine = create_engine(url, pool_size=_pool_size, max_overflow=_pool_size, pool_recycle=3600)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def use_schema(connection: Connection, schema: str | None) -> None:
    """Point this transaction at one tenant's schema (or at none), as a bound parameter (no SQL from strings).

    PostgreSQL 18 reports search_path to the client whenever it changes (and when a rollback undoes a change), so
    a pooled connection already on the right schema, as the server itself says, needs no statement: the setting
    is made for the connection's session and kept. An older server does not report it; there the setting is made
    for each transaction (SET LOCAL), as its own statement.
    """
    wanted = f"{schema}, public" if schema else None
    reported = _reported_search_path(connection)
    if reported is None:
        if wanted:
            connection.execute(text("SELECT set_config('search_path', :path, true)"), {"path": wanted})
        return
    if reported != (wanted or _DEFAULT_SEARCH_PATH):
        connection.execute(text("SELECT set_config('search_path', :path, false)"),
                           {"path": wanted or _DEFAULT_SEARCH_PATH})


_DEFAULT_SEARCH_PATH = '"$user", public'


def _reported_search_path(connection: Connection) -> str | None:
    driver = connection.connection.dbapi_connection
    info = getattr(driver, "info", None)  # psycopg's ConnectionInfo
    value = info.parameter_status("search_path") if info is not None else None
    return value if isinstance(value, str) else None


@event.listens_for(Session, "after_begin")
def _scope_transaction_to_tenant(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    # Every transaction of a session, including one begun after a commit, sees only its tenant's schema; a
    # session of no tenant sees none (a pooled connection keeps the last tenant's path on PostgreSQL 18).
    use_schema(connection, session.info.get("schema"))


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
    """The one commit of a command. The ledger's deferred balance check fires here; a refusal it raises is a
    domain error like the same refusal raised by a statement (no separate SET CONSTRAINTS round trip)."""
    try:
        session.commit()
    except DBAPIError as error:
        refusal = refusal_for(error)
        if refusal is None:
            raise
        raise refusal from error


# Constraints (and trigger refusals raised under a constraint's name) that mean "the caller's data is refused",
# by name: the feature that owns the constraint registers the problem type and status it answers with.
_REFUSALS: dict[str, tuple[str, int]] = {}


def register_refusals(refusals: dict[str, tuple[str, int]]) -> None:
    _REFUSALS.update(refusals)


def refusal_for(error: DBAPIError) -> DomainError | None:
    diag = getattr(error.orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    if constraint not in _REFUSALS:
        return None
    slug, status = _REFUSALS[constraint]
    return DomainError(slug, getattr(diag, "message_primary", None) or str(error.orig), status=status)


def scalar(session: Session, sql: str, **params: Any) -> Any:
    return session.execute(text(sql), params).scalar()
