"""`akiba statements generate --tenant T --month YYYY-MM`: a month's statements as PDFs, resumable.

Mounted in the main CLI (akiba.platform.cli) as `akiba statements`.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from akiba.core.errors import DomainError
from akiba.reports.bulk import Month, count_accounts, generate_month, output_dir

statements_app = typer.Typer(help="Account statements in bulk", no_args_is_help=True)


@statements_app.command("generate")
def generate(
    tenant: Annotated[str, typer.Option(help="tenant id")],
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    workers: Annotated[int, typer.Option(min=1, max=64, help="processes")] = 1,
) -> None:
    """Render every loan and savings statement of the month; files already there are kept (resumable)."""
    from akiba.platform.bootstrap import configure_logging, prepare
    from akiba.platform.runtime import Runtime
    from akiba.platform.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level)
    rt = Runtime(settings, prepare(settings))
    try:
        info = rt.registry.require_active(tenant)
        period = Month.parse(month)
    except DomainError as e:
        raise typer.BadParameter(e.detail) from None
    total = count_accounts(info, period)
    done = 0
    started = time.perf_counter()

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if done == total or done % 250 == 0 or workers > 1:
            rate = done / max(time.perf_counter() - started, 1e-9)
            typer.echo(f"\r{done}/{total} statements ({rate:.0f}/s)", nl=False)

    written, skipped = generate_month(rt.control_url, info, period, settings.home, workers, progress)
    typer.echo(f"\n{written} written, {skipped} already done, in {output_dir(settings.home, tenant, period)}")


if __name__ == "__main__":
    statements_app()
