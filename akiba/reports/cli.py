"""`akiba statements generate --tenant T --month YYYY-MM`: a month's statements as PDFs, resumable.

By default it starts (or joins) the month's statement run, queues its chunks on the close of business's
worker pool, starts `--workers` `akiba worker` processes (0: rely on workers already running) and follows
the run with a progress line until it ends: the same path as POST /api/v1/statements/runs, so the run
and its progress are recorded and visible to the API. Interrupted, it stops the workers it started; the
same command again joins the open run and queues only what is left. `--in-process` renders in this
process's own pool of processes instead, with no run record (no worker pool needed).

Mounted in the main CLI (akiba.platform.cli) as `akiba statements`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from akiba.core.errors import DomainError
from akiba.reports.bulk import Month, count_accounts, generate_month, output_dir

if TYPE_CHECKING:
    from akiba.platform.runtime import Runtime
    from akiba.platform.tenancy import TenantInfo

statements_app = typer.Typer(help="Account statements in bulk", no_args_is_help=True)
FINAL = ("completed", "completed_with_errors")


@statements_app.command("generate")
def generate(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    kind: Annotated[str, typer.Option(help="all, loan or savings")] = "all",
    workers: Annotated[int, typer.Option(min=0, max=64, help="worker processes to start (0: use running ones)")]
    = 1,
    in_process: Annotated[bool, typer.Option(help="render in this process's pool, without a run")] = False,
) -> None:
    """Render every statement of the month; files already there are kept (resumable)."""
    from akiba.platform.bootstrap import configure_logging, prepare
    from akiba.platform.runtime import Runtime
    from akiba.platform.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level)
    rt = Runtime(settings, prepare(settings))
    try:
        info = rt.registry.require_active(tenant)
        period = Month.parse(month)
        if in_process:
            _in_process(rt, info, period, max(workers, 1))
            return
        run_id = _start(rt, info, period, kind)
    except DomainError as e:
        raise typer.BadParameter(e.detail) from None
    raise typer.Exit(_follow(rt, info, run_id, workers))


def _start(rt: Runtime, info: TenantInfo, period: Month, kind: str) -> int:
    from akiba.platform.db import commit
    from akiba.reports import runs

    with rt.session(info) as s:
        run_id = runs.start_run(s, period, kind).id
        commit(s)
    runs.enqueue(rt, info, run_id)
    return run_id


def _follow(rt: Runtime, info: TenantInfo, run_id: int, workers: int) -> int:
    """Answers the exit code: 0 completed, 1 with errors, 130 interrupted."""
    from akiba.cob.cli import start_workers, stop_workers
    from akiba.reports import runs

    procs = start_workers(rt, workers)
    try:
        while True:
            with rt.session(info) as s:
                view = runs.run_view(s, run_id)
            typer.echo(f"\rrun {run_id}: {view['done']}/{view['total']} statements ({view['written']} written, "
                       f"{view['skipped']} already done, {view['failed']} failed) {view['status']}", nl=False)
            if view["status"] in FINAL:
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        typer.echo("\ninterrupted: finished chunks stay done; run the same command again to resume", err=True)
        return 130
    finally:
        stop_workers(procs)
    out = output_dir(rt.settings.home, info.id, Month.parse(view["month"]))
    typer.echo(f"\nin {out}")
    for e in view["errors"]:
        typer.echo(f"  failed {e['kind']} {e['id']}: {e['error']}", err=True)
    return 0 if view["status"] == "completed" else 1


def _in_process(rt: Runtime, info: TenantInfo, period: Month, workers: int) -> None:
    total = count_accounts(info, period)
    done = 0
    started = time.perf_counter()

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if done == total or done % 250 == 0 or workers > 1:
            rate = done / max(time.perf_counter() - started, 1e-9)
            typer.echo(f"\r{done}/{total} statements ({rate:.0f}/s)", nl=False)

    written, skipped = generate_month(rt.control_url, info, period, rt.settings.home, workers, progress)
    typer.echo(f"\n{written} written, {skipped} already done, in {output_dir(rt.settings.home, info.id, period)}")


if __name__ == "__main__":
    statements_app()
