"""Statement runs' jobs on the close of business's procrastinate app and queue (akiba.cob.queue).

One app per process and one queue serve both features: `akiba worker` (and the worker embedded in `akiba
serve`) run close-of-business chunks and statement chunks alike, and the queue's stalled-job recovery puts
back a statement chunk whose worker died as it does a close-of-business one. Jobs carry only ids; the state
is in the tenant's statement_runs and statement_chunks (akiba.reports.runs).
"""

from __future__ import annotations

import contextlib

import procrastinate
from procrastinate import exceptions as pexc

from akiba.cob import queue

CHUNK_TASK = "statements.chunk"
# A chunk failing as a whole (database or disk trouble) is retried with a growing wait; an account's own bad
# data never fails the chunk (it is recorded and skipped).
_RETRY = procrastinate.RetryStrategy(max_attempts=8, wait=1, exponential_wait=2)


def chunk_task(tenant: str, run_id: int, chunk_id: int) -> None:
    from akiba.reports import runs

    runs.run_chunk(queue.current_runtime(), tenant, chunk_id)


def add_statement_tasks(papp: procrastinate.App) -> None:
    """Register the statement tasks on an app of akiba.cob.queue (called by its `new_app`)."""
    papp.task(name=CHUNK_TASK, queue=queue.QUEUE, retry=_RETRY)(chunk_task)


def defer_chunk(control_url: str, tenant: str, run_id: int, chunk_id: int) -> None:
    """Queue one chunk; a chunk already waiting in the queue is not queued twice (queueing lock), and two
    workers never render the same chunk at once (lock)."""
    key = f"statements-chunk:{tenant}:{chunk_id}"
    with contextlib.suppress(pexc.AlreadyEnqueued):
        queue.app_for(control_url).configure_task(CHUNK_TASK, queue=queue.QUEUE, lock=key, queueing_lock=key,
                                                  ).defer(tenant=tenant, run_id=run_id, chunk_id=chunk_id)
