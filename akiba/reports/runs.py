"""Statement runs: a month's statements rendered to PDF by the close-of-business worker pool, with progress.

A run is one ``statement_runs`` row and one ``statement_chunks`` row per id range of `chunk_size` accounts
(loans, savings accounts or both) that had a life in the month. Each chunk is a procrastinate job on the
close of business's queue (akiba.reports.jobs), so any ``akiba worker`` renders it:

- the job locks its chunk row, renders the range's statements not yet on disk (a file under its final name
  is complete: akiba.reports.bulk writes to a temporary name and renames), records what it wrote, skipped
  and failed, marks the chunk done and commits once. A worker killed mid-chunk leaves the chunk pending and
  the job is run again (procrastinate's retry, or the queue's stalled-job recovery); the files it had
  finished are skipped then, so nothing is rendered twice;
- the chunk that commits last (it sees no pending chunk after its own commit) ends the run, ``completed``
  or ``completed_with_errors`` when some account's statement failed;
- a request for a month and kind already running joins that run and queues its pending chunks again (the
  way to resume); a new run of a month already done renders nothing that is on disk: it only fills gaps.

Files go where the worker's settings say (akiba.reports.bulk.output_dir under $AKIBA_HOME): workers on
several machines must share that directory (one mount), as they share the database.

    start_run(s, month, kind, chunk_size, created_by) -> StatementRun   # in the caller's transaction
    enqueue(rt, tenant, run_id)                                         # after the commit; again to resume
    run_chunk(rt, tenant_id, chunk_id)                                  # the job
    run_view(s, run_id) -> dict                                         # progress: done of total
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from akiba.core.errors import invalid, not_found
from akiba.platform.commands import command
from akiba.platform.context import Principal
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo
from akiba.reports.bulk import KINDS, Month, generate_range, output_dir, plan_chunks
from akiba.reports.models import StatementChunk, StatementRun

log = structlog.get_logger()
DEFAULT_CHUNK_SIZE = 200  # about a second or two of rendering a job: short retries, fine-grained progress
RUN_KINDS = ("all", *KINDS)


class StatementRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str = Field(pattern=r"^\d{4}-\d{2}$", examples=["2026-10"])
    kind: Literal["all", "loan", "savings"] = "all"
    chunk_size: int = Field(default=DEFAULT_CHUNK_SIZE, ge=1, le=10_000)


@command("statements:generate", resource="statement_run", payload=StatementRunIn, status=202)
def create_run(s: Session, who: Principal, data: StatementRunIn, _: int | None) -> dict[str, Any]:
    run = start_run(s, Month.parse(data.month), data.kind, data.chunk_size, who.user_id)
    s.flush()
    return run_view(s, run.id)


def start_run(s: Session, month: Month, kind: str = "all", chunk_size: int = DEFAULT_CHUNK_SIZE,
              created_by: int | None = None) -> StatementRun:
    """The run of `month` for `kind`: the one running already, or a new one planned into chunks."""
    if kind not in RUN_KINDS:
        raise invalid("kind", f"must be one of {', '.join(RUN_KINDS)}")
    if not 1 <= chunk_size <= 10_000:
        raise invalid("chunk_size", "must be between 1 and 10000")
    # One planner at a time per month and kind; the partial unique index would refuse a second anyway.
    s.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"statement-run:{month.label}:{kind}"))))
    running = s.scalar(select(StatementRun).where(StatementRun.month == month.label, StatementRun.kind == kind,
                                                  StatementRun.status == "running"))
    if running is not None:
        return running
    chunks = [(k, *chunk) for k in (KINDS if kind == "all" else (kind,)) for chunk in plan_chunks(s, k, month,
                                                                                                   chunk_size)]
    run = StatementRun(month=month.label, kind=kind, status="running", chunk_size=chunk_size,
                       total=sum(accounts for *_, accounts in chunks), created_by=created_by)
    s.add(run)
    s.flush()
    if chunks:
        s.execute(insert(StatementChunk), [
            {"run_id": run.id, "kind": k, "first_id": first, "last_id": last, "accounts": accounts,
             "status": "pending", "attempts": 0, "written": 0, "skipped": 0, "errors": []}
            for k, first, last, accounts in chunks])
    else:
        run.status, run.finished_at = "completed", datetime.now(UTC)  # a month with no account is done at once
    return run


def enqueue(rt: Runtime, tenant: TenantInfo, run_id: int) -> int:
    """Queue every chunk of the run not done yet; answers how many."""
    from akiba.reports import jobs

    with rt.session(tenant) as s:
        pending = list(s.scalars(select(StatementChunk.id).where(StatementChunk.run_id == run_id,
                                                                 StatementChunk.status == "pending")
                                 .order_by(StatementChunk.id)))
    for chunk_id in pending:
        jobs.defer_chunk(rt.control_url, tenant.id, run_id, chunk_id)
    return len(pending)


def run_chunk(rt: Runtime, tenant_id: str, chunk_id: int) -> None:
    """Render one chunk (the job's body); a chunk done already, or gone, is left alone."""
    tenant = rt.registry.require_active(tenant_id)
    with rt.session(tenant) as s:
        row = s.execute(select(StatementChunk, StatementRun).join(StatementRun)
                        .where(StatementChunk.id == chunk_id).with_for_update(of=StatementChunk)).first()
        if row is None or row[0].status == "done":
            return
        chunk, run = row
        month = Month.parse(run.month)
        outcome = generate_range(tenant, month, output_dir(rt.settings.home, tenant.id, month), chunk.kind,
                                 chunk.first_id, chunk.last_id)
        chunk.status, chunk.attempts = "done", chunk.attempts + 1
        chunk.written, chunk.skipped = outcome.written, outcome.skipped
        chunk.errors = [{"kind": chunk.kind, "id": i, "error": e} for i, e in sorted(outcome.errors.items())]
        chunk.finished_at = datetime.now(UTC)
        run_id = run.id
        commit(s)
    _finish_if_last(rt, tenant, run_id)


def _finish_if_last(rt: Runtime, tenant: TenantInfo, run_id: int) -> None:
    # After our own commit: of two chunks ending together, the later committer sees both done.
    with rt.session(tenant) as s:
        left = s.scalar(select(func.count()).where(StatementChunk.run_id == run_id,
                                                    StatementChunk.status != "done"))
        if left:
            return
        failed = s.scalar(select(func.count()).where(StatementChunk.run_id == run_id,
                                                      func.jsonb_array_length(StatementChunk.errors) > 0))
        status = "completed_with_errors" if failed else "completed"
        s.execute(update(StatementRun).where(StatementRun.id == run_id, StatementRun.status == "running")
                  .values(status=status, finished_at=datetime.now(UTC)))
        commit(s)
    log.info("statement run finished", tenant=tenant.id, run=run_id, status=status)


def run_view(s: Session, run_id: int) -> dict[str, Any]:
    run = s.get(StatementRun, run_id)
    if run is None:
        raise not_found("statement-run", run_id)
    chunks = list(s.scalars(select(StatementChunk).where(StatementChunk.run_id == run_id)
                            .order_by(StatementChunk.id)))
    done = [c for c in chunks if c.status == "done"]
    end = run.finished_at or datetime.now(UTC)
    elapsed = max((end - run.created_at).total_seconds(), 1e-3)
    written = sum(c.written for c in done)
    return {
        "id": run.id, "month": run.month, "kind": run.kind, "status": run.status, "total": run.total,
        "done": sum(c.accounts for c in done), "written": written, "skipped": sum(c.skipped for c in done),
        "failed": sum(len(c.errors) for c in done), "chunks_total": len(chunks), "chunks_done": len(done),
        "statements_per_second": round(written / elapsed, 1), "created_at": run.created_at,
        "finished_at": run.finished_at,
        "errors": [e for c in done for e in c.errors],
    }
