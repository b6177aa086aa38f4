"""The `akiba` command line: serve, db, tenants, demo, worker, cob."""

from __future__ import annotations

import os
import secrets
import signal
from typing import Annotated

import typer

from akiba.core.errors import DomainError
from akiba.platform import embedded
from akiba.platform.bootstrap import configure_logging, prepare
from akiba.platform.db import dispose_engines
from akiba.platform.runtime import Runtime
from akiba.platform.settings import get_settings
from akiba.reports.cli import statements_app

app = typer.Typer(help="Akiba core banking", no_args_is_help=True)
db_app = typer.Typer(help="The embedded PostgreSQL under $AKIBA_HOME", no_args_is_help=True)
tenants_app = typer.Typer(help="Tenants (each a schema on a shard)", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenants_app, name="tenants")
cob_app = typer.Typer(help="Close of business", no_args_is_help=True)
app.add_typer(cob_app, name="cob")
app.add_typer(statements_app, name="statements")
DEMO_TENANT = "demo"


def _runtime() -> Runtime:
    settings = get_settings()
    configure_logging(settings.log_level)
    return Runtime(settings, prepare(settings))


@app.command()
def serve(demo: Annotated[bool, typer.Option(help="create the demo tenant on first start")] = False) -> None:
    """Migrate, optionally create the demo tenant, and serve HTTP until Ctrl-C or SIGTERM."""
    import uvicorn

    from akiba.cob.queue import EmbeddedWorker
    from akiba.platform.app import create_app

    rt = _runtime()
    if demo:
        _ensure_demo(rt)
    settings = rt.settings
    # One close-of-business worker in this process, so the demo needs no other; stopped before the engines and
    # the embedded database (stopped by an exit hook) go away.
    worker = EmbeddedWorker(rt).start()
    # uvicorn re-raises SIGTERM after its graceful shutdown; a Python handler turns that into a normal exit,
    # so the embedded database is stopped by its exit hook instead of being left running.
    signal.signal(signal.SIGTERM, _exit_normally)
    typer.echo(f"Akiba serving on http://{settings.http_host}:{settings.http_port} (docs at /docs)")
    try:
        uvicorn.run(create_app(settings, rt.control_url), host=settings.http_host, port=settings.http_port,
                    log_level="warning", access_log=False)
    finally:
        worker.stop()
        dispose_engines()
        typer.echo("Akiba stopped")


def _exit_normally(signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _ensure_demo(rt: Runtime) -> None:
    from akiba.demo import populate
    from akiba.platform.provisioning import create_tenant

    if rt.registry.get(DEMO_TENANT) is not None:
        return
    password = rt.settings.demo_password or f"{secrets.token_urlsafe(12)}-7a"
    tenant = create_tenant(rt, DEMO_TENANT, "Demo Microfinance", password, enforce_policy=False)
    populate(rt, tenant)
    path = rt.settings.home / "demo-admin-password"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password + "\n")
    if not rt.settings.demo_password:
        typer.echo(f"Demo tenant 'demo' created. User admin, password {password} (also in {path})")
    else:
        typer.echo("Demo tenant 'demo' created. User admin, password from AKIBA_DEMO_PASSWORD")


@app.command()
def demo() -> None:
    """Create the demo tenant with its demo data, if it does not exist yet."""
    _ensure_demo(_runtime())


@db_app.command("start")
def db_start() -> None:
    """Start the embedded PostgreSQL and leave it running."""
    url = embedded.start(get_settings().home, keep_running=True)
    typer.echo(f"embedded PostgreSQL running: {url}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL."""
    typer.echo("stopped" if embedded.stop(get_settings().home) else "not running")


@db_app.command("status")
def db_status() -> None:
    """Say whether the embedded PostgreSQL runs."""
    typer.echo(embedded.status(get_settings().home))


@tenants_app.command("create")
def tenants_create(
    tenant_id: Annotated[str, typer.Argument(help="lowercase id, e.g. acme")],
    name: Annotated[str, typer.Option(help="the institution's name")],
    admin_password: Annotated[str, typer.Option(help="password of the tenant's admin user")],
    shard_url: Annotated[str | None, typer.Option(help="PostgreSQL URL of the shard (default: the main one)")] = None,
    timezone: Annotated[str, typer.Option()] = "UTC",
    currency: Annotated[str, typer.Option(help="base currency (ISO 4217)")] = "USD",
) -> None:
    """Create a tenant with its own admin user."""
    from akiba.platform.bootstrap import sqlalchemy_url
    from akiba.platform.provisioning import create_tenant

    rt = _runtime()
    try:
        create_tenant(rt, tenant_id, name, admin_password, timezone=timezone, base_currency=currency,
                      shard_url=sqlalchemy_url(shard_url) if shard_url else None)
    except DomainError as e:
        typer.echo(f"error: {e.detail}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"tenant {tenant_id} created; log in as admin with the Akiba-Tenant: {tenant_id} header")


@tenants_app.command("list")
def tenants_list() -> None:
    """List the tenants of the registry."""
    for t in _runtime().registry.all():
        typer.echo(f"{t.id}\t{t.status}\t{t.timezone}\t{t.base_currency}\t{t.name}")


@tenants_app.command("migrate")
def tenants_migrate(workers: Annotated[int, typer.Option(min=1, max=32)] = 4) -> None:
    """Bring every tenant schema to the latest migration, in parallel, with progress."""
    from akiba.platform.tenancy import migrate_all

    rt = _runtime()

    def progress(done: int, total: int, tenant: str) -> None:
        typer.echo(f"[{done}/{total}] {tenant} migrated")

    failures = migrate_all(rt.registry, workers, progress)
    for tenant, error in failures:
        typer.echo(f"FAILED {tenant}: {error}", err=True)
    if failures:
        raise typer.Exit(1)


@app.command("worker")
def worker_command(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="jobs at once in this process")] = 1,
    burst: Annotated[bool, typer.Option(help="exit once the queue is empty")] = False,
    heartbeat: Annotated[float, typer.Option(help="seconds between heartbeats")] = 10.0,
    stalled_after: Annotated[float, typer.Option(help="requeue jobs of workers silent this long")] = 60.0,
) -> None:
    """A close-of-business worker: runs queued jobs until Ctrl-C or SIGTERM (start any number, anywhere)."""
    from akiba.cob.queue import run_worker

    run_worker(_runtime(), concurrency=concurrency, wait=not burst, heartbeat=heartbeat, stalled_after=stalled_after)


@cob_app.command("run")
def cob_run(
    tenant: Annotated[str | None, typer.Option(help="the tenant to close")] = None,
    date: Annotated[str | None, typer.Option(help="the business date to close (default: the tenant's)")] = None,
    all_tenants: Annotated[bool, typer.Option(help="close every active tenant")] = False,
    workers: Annotated[int, typer.Option(min=0, max=64, help="worker processes to start (0: use running ones)")] = 1,
    chunk_size: Annotated[int, typer.Option(min=1, max=100_000)] = 2000,
) -> None:
    """Close a business day with a progress bar; Ctrl-C stops it, running it again resumes it."""
    from akiba.cob.cli import run_close

    if not tenant and not all_tenants:
        typer.echo("error: name a --tenant or pass --all-tenants", err=True)
        raise typer.Exit(2)
    raise typer.Exit(run_close(_runtime(), tenant, date, all_tenants, workers, chunk_size))


if __name__ == "__main__":
    app()
