"""`akiba cob run`: start (or resume) the close of one or all tenants, start workers, show progress.

Interrupting (Ctrl-C) stops the workers this command started; chunks already closed stay closed, the one
being closed rolls back, and running the same command again finds the run still open for that date and
queues only what is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from akiba.cob import service
from akiba.core.errors import DomainError
from akiba.platform.embedded import libpq_uri
from akiba.platform.provisioning import business_date
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

FINAL = ("completed", "completed_with_errors", "failed")


def start_workers(rt: Runtime, count: int) -> list[subprocess.Popen[bytes]]:
    """`akiba worker` processes on the same database (the URL is handed over, so they start no server)."""
    env = {**os.environ, "AKIBA_DATABASE_URL": libpq_uri(rt.control_url), "AKIBA_LOG_LEVEL": "WARNING"}
    return [subprocess.Popen([sys.executable, "-m", "akiba.platform.cli", "worker"], env=env)
            for _ in range(count)]


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # procrastinate lets the running job end, then exits
    for proc in procs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def _tenants(rt: Runtime, tenant_id: str | None, all_tenants: bool) -> list[TenantInfo]:
    if all_tenants:
        return [t for t in rt.registry.all() if t.status == "active"]
    assert tenant_id is not None
    return [rt.registry.require_active(tenant_id)]


def _start(rt: Runtime, tenant: TenantInfo, day: str | None, chunk_size: int) -> int:
    with rt.session(tenant) as s:
        when = date.fromisoformat(day) if day else business_date(s)
    return service.run_for_tenant(rt, tenant, when, chunk_size)


def run_close(rt: Runtime, tenant_id: str | None, day: str | None, all_tenants: bool, workers: int,
              chunk_size: int) -> int:
    """Answers the exit code: 0 completed, 1 completed with errors or failed, 2 refused, 130 interrupted."""
    try:
        runs = {t: _start(rt, t, day, chunk_size) for t in _tenants(rt, tenant_id, all_tenants)}
    except (DomainError, ValueError) as error:
        typer.echo(f"error: {getattr(error, 'detail', error)}", err=True)
        return 2
    procs = start_workers(rt, workers)
    views: dict[str, dict[str, object]] = {}
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TextColumn("{task.fields[speed]}")) as progress:
            bars = {t.id: progress.add_task(f"{t.id} run {run_id}", total=None, speed="") for t, run_id in runs.items()}
            while True:
                for t, run_id in runs.items():
                    with rt.session(t) as s:
                        view = service.run_view(s, run_id)
                    views[t.id] = view
                    progress.update(bars[t.id], total=int(str(view["chunks_total"])) or 1,
                                    completed=int(str(view["chunks_done"])),
                                    speed=f"{view['loans_per_second']} loans/s {view['status']}")
                if all(v["status"] in FINAL for v in views.values()):
                    break
                time.sleep(0.5)
    except KeyboardInterrupt:
        typer.echo("interrupted: closed chunks stay closed; run the same command again to resume", err=True)
        return 130
    finally:
        stop_workers(procs)
    for tid, view in views.items():
        errors = view["errors"]
        typer.echo(f"{tid}: {view['status']}, {view['loans_closed']} loans and {view['savings_accounts_closed']} "
                   f"savings accounts closed in {view['elapsed_seconds']} s ({view['loans_per_second']} loans/s)")
        if isinstance(errors, list):
            for chunk in errors:
                for e in chunk["errors"]:
                    typer.echo(f"  skipped {e['kind']} {e['id']}: {e['error']}", err=True)
    return 0 if all(v["status"] == "completed" for v in views.values()) else 1
