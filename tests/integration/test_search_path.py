"""Pooled connections keep the last tenant's search_path on PostgreSQL 18; every unit of work still sees only its own.

The engine here has a pool of one connection, so each session below reuses the connection of the one before.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import new_tenant
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo


@pytest.fixture
def one_connection(tenant: TenantInfo) -> Iterator[Engine]:
    engine = create_engine(tenant.shard_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _schema(engine: Engine, schema: str | None, rollback: bool = False) -> str:
    with Session(engine, info={"schema": schema} if schema else {}) as s:
        current = str(s.scalar(text("SELECT current_schemas(false)::text")))
        if rollback:
            s.rollback()
        else:
            s.commit()
        return current


def test_each_session_sees_its_own_tenant_on_a_reused_connection(runtime: Runtime, tenant: TenantInfo,
                                                                 one_connection: Engine) -> None:
    other = new_tenant(runtime)
    assert _schema(one_connection, tenant.schema) == f"{{{tenant.schema},public}}"
    assert _schema(one_connection, other.schema) == f"{{{other.schema},public}}"
    assert _schema(one_connection, tenant.schema, rollback=True) == f"{{{tenant.schema},public}}"
    assert _schema(one_connection, other.schema) == f"{{{other.schema},public}}"
    assert _schema(one_connection, None) == "{public}"  # a session of no tenant sees no tenant's tables
    assert _schema(one_connection, tenant.schema) == f"{{{tenant.schema},public}}"


def test_a_path_set_in_a_rolled_back_transaction_is_not_trusted(tenant: TenantInfo, one_connection: Engine) -> None:
    with Session(one_connection, info={"schema": tenant.schema}) as s:
        s.execute(text("SELECT 1"))
        s.rollback()  # undoes the session-level setting made by this transaction's first statement
    assert _schema(one_connection, tenant.schema) == f"{{{tenant.schema},public}}"
