"""Close-of-business runs: plan a run as id-range chunks, close each chunk once, then move the business date.

A run for D (the tenant's current business date) is one ``cob_runs`` row and one ``cob_chunks`` row per id
range of active loans and active savings accounts (``chunk_size`` each, default 2,000; the last range is
open-ended so entities created during the run are closed too). Each chunk is a procrastinate job:

- it locks its chunk row, then the range's entities (id order, as commands lock them), then keeps those whose
  ``cob_marks.closed_for`` is before D, closes them set-based (akiba.cob.steps), writes their marks and the
  chunk's outcome, and commits once: a worker killed mid-chunk leaves nothing behind and the job runs again
  (procrastinate's retry, or stalled-job recovery); a chunk or entity closed once is never closed twice;
- if the set-based pass fails as a whole (a database refusal caused by one entity's data), the chunk is closed
  again one entity at a time, each in a savepoint, so the bad entity is recorded with its error and skipped;
- a chunk stages its loan accruals (cob_staged_accruals) instead of posting them, and writes nothing any
  other chunk writes (no shared counter: the run's progress is the sum of its chunk rows, read on demand),
  so chunks on different workers never wait on each other;
- a loan chunk also writes its loans' portfolio snapshot rows of D (akiba.reports.snapshot), so that the end of
  the run has no portfolio-wide statement left to wait for; a loan command on a loan already closed for D drops
  its row (snapshot_outdated);
- the last chunk to finish queues the final job, which posts the day's staged accruals (one journal entry per
  office, currency, product and direction), completes the snapshot (the rows dropped or missing), moves the
  business date to D+1 and ends the run ``completed`` or ``completed_with_errors``, all in one transaction.

    start_run(s, day, chunk_size, created_by) -> CobRun          # in the caller's transaction (a command)
    enqueue(rt, tenant, run_id)                                  # after commit; again to resume
    run_chunk(rt, tenant_id, chunk_id) / finish_run(rt, tenant_id, run_id)   # the jobs
    run_view(s, run_id) -> dict                                  # progress, speed, errors per chunk
    ensure_closed(s, loan_id)                                    # inline close for loan commands
    snapshot_outdated(s, loan_ids, day)                          # loan commands after their loans' chunk
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from akiba.cob.models import CobChunk, CobRun
from akiba.cob.steps import CLOSERS, ONE_DAY, post_staged_accruals
from akiba.core.errors import DomainError, invalid, not_found
from akiba.platform.db import commit
from akiba.platform.models import TenantSetting
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo
from akiba.reports.snapshot import complete_snapshot, forget_snapshot, snapshot_loans

log = structlog.get_logger()
DEFAULT_CHUNK_SIZE = 2000
MAX_ID = 2**31 - 1
# Which entities each kind closes: its table and the status that makes it take part in a close.
_TABLES = {"loan": ("loans", "active"), "savings": ("savings_accounts", "active")}
_BOUNDS = {
    kind: text(f"SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM {table} "  # noqa: S608
               f"WHERE status = :status) t WHERE rn % :size = 0 ORDER BY id")
    for kind, (table, _) in _TABLES.items()
}
_LOCK = {
    kind: text(f"SELECT id FROM {table} WHERE id BETWEEN :first AND :last AND status = :status "  # noqa: S608
               f"ORDER BY id FOR UPDATE")
    for kind, (table, _) in _TABLES.items()
}
# A separate statement after the lock: it sees marks committed by whoever held the lock before us.
_UNMARKED = text("""
SELECT u.id FROM unnest(CAST(:ids AS integer[])) AS u(id)
 WHERE NOT EXISTS (SELECT 1 FROM cob_marks m WHERE m.kind = :kind AND m.entity_id = u.id AND m.closed_for >= :day)
 ORDER BY u.id
""")
_MARK = text("""
INSERT INTO cob_marks (kind, entity_id, closed_for)
SELECT :kind, u.id, :day FROM unnest(CAST(:ids AS integer[])) AS u(id)
ON CONFLICT (kind, entity_id) DO UPDATE SET closed_for = excluded.closed_for
""")

# A chunk's statements each read a few thousand rows by index: a parallel plan would fork helper processes per
# statement and take the cores the other workers' chunks run on. The run's parallelism is its chunks.
_CHUNK_PLANS = text("SELECT set_config('max_parallel_workers_per_gather', '0', true)")


def _present_kinds(s: Session) -> list[str]:
    """Kinds whose tables exist in this tenant schema (a deployment may run without one feature)."""
    return [kind for kind, (table, _) in _TABLES.items()
            if s.scalar(text("SELECT to_regclass(:t)"), {"t": table}) is not None]


def start_run(s: Session, day: date, chunk_size: int = DEFAULT_CHUNK_SIZE, created_by: int | None = None) -> CobRun:
    """The run closing `day` (the tenant's business date): a new one, or the one already running for it."""
    if chunk_size < 1 or chunk_size > 100_000:
        raise invalid("chunk_size", "must be between 1 and 100000")
    setting = s.execute(select(TenantSetting).where(TenantSetting.id == 1).with_for_update()).scalar_one()
    running = s.scalar(select(CobRun).where(CobRun.business_date == day, CobRun.status == "running"))
    if running is not None:
        return running
    if day != setting.business_date:
        raise DomainError("business-date-mismatch",
                          f"the business date is {setting.business_date}; only that day can be closed (not {day})",
                          status=409)
    run = CobRun(business_date=day, status="running", chunk_size=chunk_size, created_by=created_by)
    s.add(run)
    s.flush()
    rows: list[dict[str, Any]] = []
    for kind in _present_kinds(s):
        firsts = list(s.scalars(_BOUNDS[kind], {"status": _TABLES[kind][1], "size": chunk_size}))
        if not firsts:
            continue
        lasts: list[int | None] = [nxt - 1 for nxt in firsts[1:]]
        lasts.append(None)
        rows.extend({"run_id": run.id, "kind": kind, "first_id": first, "last_id": last, "status": "pending",
                     "attempts": 0, "entities": 0, "errors": []} for first, last in zip(firsts, lasts, strict=True))
    if rows:
        s.execute(insert(CobChunk), rows)
    return run


def enqueue(rt: Runtime, tenant: TenantInfo, run_id: int) -> int:
    """Queue every chunk of the run not done yet (or the final job if none is left); answers how many."""
    from akiba.cob import queue

    with rt.session(tenant) as s:
        pending = list(s.scalars(select(CobChunk.id).where(CobChunk.run_id == run_id, CobChunk.status == "pending")
                                 .order_by(CobChunk.id)))
        status = s.scalar(select(CobRun.status).where(CobRun.id == run_id))
    if status != "running":
        return 0
    for chunk_id in pending:
        queue.defer_chunk(rt.control_url, tenant.id, run_id, chunk_id)
    if not pending:
        queue.defer_finish(rt.control_url, tenant.id, run_id)
    return len(pending)


def close_entities(s: Session, kind: str, ids: list[int], day: date) -> tuple[list[int], dict[int, str]]:
    """Close `day` for the locked entities `ids` not closed for it yet; answers (closed ids, errors by id)."""
    todo = list(s.scalars(_UNMARKED, {"ids": ids, "kind": kind, "day": day}))
    if not todo:
        return [], {}
    closer = CLOSERS[kind]
    try:
        with s.begin_nested():
            errors = closer(s, todo, day)
    except Exception as error:
        log.warning("cob chunk failed as a whole; closing one entity at a time", kind=kind, error=str(error))
        errors = {}
        for entity_id in todo:
            try:
                with s.begin_nested():
                    errors.update(closer(s, [entity_id], day))
            except Exception as one:
                errors[entity_id] = f"{type(one).__name__}: {one}"
    closed = [i for i in todo if i not in errors]
    if closed:
        s.execute(_MARK, {"kind": kind, "ids": closed, "day": day})
    return closed, errors


def run_chunk(rt: Runtime, tenant_id: str, chunk_id: int) -> None:
    tenant = rt.registry.require_active(tenant_id)
    with rt.session(tenant) as s:
        row = s.execute(select(CobChunk, CobRun).join(CobRun, CobRun.id == CobChunk.run_id)
                        .where(CobChunk.id == chunk_id).with_for_update(of=CobChunk)).first()
        if row is None:
            return
        chunk, run = row
        if chunk.status == "done" or run.status != "running":
            return
        started, began = time.perf_counter(), datetime.now(UTC)
        s.execute(_CHUNK_PLANS)
        table_status = _TABLES[chunk.kind][1]
        ids = list(s.scalars(_LOCK[chunk.kind], {"first": chunk.first_id, "last": chunk.last_id or MAX_ID,
                                                 "status": table_status}))
        closed, errors = close_entities(s, chunk.kind, ids, run.business_date)
        if chunk.kind == "loan" and ids:
            snapshot_loans(s, run.business_date, ids)  # the final job then writes only what changed since
        chunk.status = "done"
        chunk.attempts += 1
        chunk.entities = len(closed)
        chunk.errors = [{"kind": chunk.kind, "id": i, "error": e[:500]} for i, e in sorted(errors.items())]
        chunk.started_at = began  # of the attempt that closed it
        chunk.finished_at = datetime.now(UTC)
        chunk.seconds = Decimal(f"{time.perf_counter() - started:.3f}")
        run_id = run.id
        commit(s)
    _finish_if_last(rt, tenant, run_id)


def _finish_if_last(rt: Runtime, tenant: TenantInfo, run_id: int) -> None:
    # Checked after our own commit: of two chunks ending together, the later committer sees both done.
    with rt.session(tenant) as s:
        left = s.scalar(select(func.count()).where(CobChunk.run_id == run_id, CobChunk.status != "done"))
    if left == 0:
        from akiba.cob import queue

        queue.defer_finish(rt.control_url, tenant.id, run_id)


def finish_run(rt: Runtime, tenant_id: str, run_id: int) -> None:
    """Move the business date to D+1 once every chunk is done; a second call changes nothing."""
    tenant = rt.registry.require_active(tenant_id)
    with rt.session(tenant) as s:
        run = s.execute(select(CobRun).where(CobRun.id == run_id).with_for_update()).scalar_one_or_none()
        if run is None or run.status != "running":
            return
        chunks = s.execute(select(CobChunk.status, CobChunk.errors).where(CobChunk.run_id == run_id)).all()
        if any(c.status != "done" for c in chunks):
            return
        # Locked before the snapshot is completed: a command dropping a loan's row (snapshot_outdated) waits for
        # this job, or this job for the command, so no row is dropped after the snapshot is complete.
        s.execute(select(TenantSetting.id).where(TenantSetting.id == 1).with_for_update())
        post_staged_accruals(s, run.business_date)  # the day's accruals, all chunks' at once
        complete_snapshot(s, run.business_date)  # so that historical PAR is a lookup, not a recomputation
        s.execute(update(TenantSetting).where(TenantSetting.id == 1, TenantSetting.business_date == run.business_date)
                  .values(business_date=run.business_date + ONE_DAY))
        run.status = "completed_with_errors" if any(c.errors for c in chunks) else "completed"
        run.finished_at = datetime.now(UTC)
        commit(s)
    log.info("cob run finished", tenant=tenant_id, run=run_id, status=run.status)


def get_run(s: Session, run_id: int) -> CobRun:
    run = s.get(CobRun, run_id)
    if run is None:
        raise not_found("cob-run", run_id)
    return run


def run_view(s: Session, run_id: int) -> dict[str, Any]:
    """Progress, speed and errors of a run. Counted in SQL, and only chunks with errors are loaded: the CLI and
    the bench poll it while the workers run, on the same cores."""
    run = get_run(s, run_id)
    done = CobChunk.status == "done"
    counts = s.execute(select(
        func.count(), func.count().filter(done),
        func.coalesce(func.sum(CobChunk.entities).filter(done, CobChunk.kind == "loan"), 0),
        func.coalesce(func.sum(CobChunk.entities).filter(done, CobChunk.kind == "savings"), 0),
    ).where(CobChunk.run_id == run_id)).one()
    total, chunks_done, loans, accounts = (int(n) for n in counts)
    failed = s.execute(select(CobChunk.id, CobChunk.kind, CobChunk.first_id, CobChunk.last_id, CobChunk.errors)
                       .where(CobChunk.run_id == run_id, done, func.jsonb_array_length(CobChunk.errors) > 0)
                       .order_by(CobChunk.id)).all()
    end = run.finished_at or datetime.now(UTC)
    elapsed = max((end - run.created_at).total_seconds(), 1e-3)
    return {
        "id": run.id, "business_date": run.business_date, "status": run.status, "chunk_size": run.chunk_size,
        "chunks_total": total, "chunks_done": chunks_done,
        "loans_closed": loans, "savings_accounts_closed": accounts,
        "elapsed_seconds": round(elapsed, 3), "loans_per_second": round(loans / elapsed, 1),
        "created_at": run.created_at, "finished_at": run.finished_at,
        "errors": [{"chunk_id": c.id, "kind": c.kind, "first_id": c.first_id, "last_id": c.last_id,
                    "errors": c.errors} for c in failed],
    }


def ensure_closed(s: Session, loan_id: int) -> bool:
    """Inline close: run the close of the day before the business date for this loan if it has not run yet.

    For loan commands, in their transaction, before they read the loan (Fineract's inline COB): a loan the
    batch has not reached yet is brought up to date, so the customer is never blocked and nothing is skipped.
    The close is idempotent and its mark is written here, so the batch skips this loan afterwards. Answers
    whether a close ran.
    """
    bd = s.scalar(select(TenantSetting.business_date).where(TenantSetting.id == 1))
    assert bd is not None
    day = bd - ONE_DAY
    locked = list(s.scalars(_LOCK["loan"], {"first": loan_id, "last": loan_id, "status": _TABLES["loan"][1]}))
    if not locked:
        return False
    disbursed = s.scalar(text("SELECT disbursed_on FROM loans WHERE id = :id"), {"id": loan_id})
    if disbursed is None or disbursed > day:
        return False
    closed, errors = close_entities(s, "loan", locked, day)
    if errors:
        raise DomainError("cob-inline-failed", f"the close of {day} failed for loan {loan_id}: {errors[loan_id]}",
                          status=409)
    if closed:
        post_staged_accruals(s, day)  # no final job follows an inline close: it posts its own
    return bool(closed)


_SHARED_DATE = text("SELECT business_date FROM tenant_settings WHERE id = 1 FOR SHARE")


def snapshot_outdated(s: Session, loan_ids: list[int], day: date) -> None:
    """For loan commands on loans the running close has already closed for `day`, the business date: their
    snapshot rows of `day` are dropped, for the run's final job to write them anew after the command.

    The business date is read FOR SHARE: a final job already running makes the command wait for it (then the
    date has moved and the rows are final); a command holding it makes the final job wait."""
    if s.scalar(_SHARED_DATE) == day:
        forget_snapshot(s, day, loan_ids)


def run_for_tenant(rt: Runtime, tenant: TenantInfo, day: date, chunk_size: int = DEFAULT_CHUNK_SIZE,
                   created_by: int | None = None) -> int:
    """Start (or join) the run for `day` and queue its chunks: the CLI's and the API's common path."""
    with rt.session(tenant) as s:
        run = start_run(s, day, chunk_size, created_by)
        run_id = run.id
        commit(s)
    enqueue(rt, tenant, run_id)
    return run_id
