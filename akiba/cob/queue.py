"""The worker pool: procrastinate on the control database, its tables in the ``procrastinate`` schema.

Jobs carry only ids (tenant, run, chunk); the work and its state live in the tenant's own tables, so a job
that runs twice, or a chunk whose worker died, is harmless (see akiba.cob.service). Any number of
``akiba worker`` processes on any machine that reaches the control database share the queue.

    app_for(control_url) -> procrastinate.App      # opened lazily, one per process and URL, for deferring
    run_worker(rt, concurrency=1, wait=True)        # a worker in the foreground (akiba worker)
    EmbeddedWorker(rt).start() / .stop()            # a worker thread inside `akiba serve`
    recover_stalled(app, seconds)                   # put back the jobs of workers that stopped beating
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

import procrastinate
from procrastinate import exceptions as pexc

from akiba.platform.embedded import libpq_uri
from akiba.platform.runtime import Runtime

QUEUE = "cob"
SCHEMA = "procrastinate"
CHUNK_TASK = "cob.chunk"
FINISH_TASK = "cob.finish"
RECOVER_TASK = "cob.recover_stalled"
STALLED_AFTER_SECONDS = 60.0
log = logging.getLogger(__name__)

_runtime: Runtime | None = None
_apps: dict[str, procrastinate.App] = {}
_apps_lock = threading.Lock()


def load_features() -> None:
    """Import every feature (as the app does), so each ORM model finds the tables its foreign keys name."""
    import importlib

    from akiba.platform.app import FEATURE_ROUTERS

    for module in FEATURE_ROUTERS:
        importlib.import_module(module)


def configure(rt: Runtime) -> None:
    """The runtime the tasks of this process use (set by the worker, `serve` and the tests)."""
    global _runtime
    load_features()
    _runtime = rt


def current_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        from akiba.platform.bootstrap import prepare
        from akiba.platform.settings import get_settings

        settings = get_settings()
        load_features()
        _runtime = Runtime(settings, prepare(settings))
    return _runtime


def _pool_args(control_url: str) -> dict[str, Any]:
    # Every procrastinate connection sees only its own schema: its SQL names its tables unqualified.
    return {"conninfo": libpq_uri(control_url), "kwargs": {"options": f"-c search_path={SCHEMA}"},
            "min_size": 1, "max_size": 4}


def app_for(control_url: str) -> procrastinate.App:
    """A synchronously opened app for deferring jobs (API, CLI, tasks), one per process and database."""
    with _apps_lock:
        found = _apps.get(control_url)
        if found is None:
            found = new_app(procrastinate.SyncPsycopgConnector(**_pool_args(control_url)))
            found.open()
            _apps[control_url] = found
        return found


def close_apps() -> None:
    with _apps_lock:
        for opened in _apps.values():
            opened.close()
        _apps.clear()


def defer_chunk(control_url: str, tenant: str, run_id: int, chunk_id: int) -> None:
    """Queue one chunk; a chunk already waiting in the queue is not queued twice (queueing lock)."""
    with contextlib.suppress(pexc.AlreadyEnqueued):
        app_for(control_url).configure_task(
            CHUNK_TASK, queue=QUEUE, lock=f"cob-chunk:{tenant}:{chunk_id}",
            queueing_lock=f"cob-chunk:{tenant}:{chunk_id}",
        ).defer(tenant=tenant, run_id=run_id, chunk_id=chunk_id)


def defer_finish(control_url: str, tenant: str, run_id: int) -> None:
    with contextlib.suppress(pexc.AlreadyEnqueued):
        app_for(control_url).configure_task(
            FINISH_TASK, queue=QUEUE, lock=f"cob-finish:{tenant}:{run_id}",
            queueing_lock=f"cob-finish:{tenant}:{run_id}",
        ).defer(tenant=tenant, run_id=run_id)


# A chunk failing as a whole (database down, deadlock) is retried with a growing wait; an entity's own bad
# data never fails the chunk (it is recorded and skipped), so retries are for transient trouble only.
_RETRY = procrastinate.RetryStrategy(max_attempts=8, wait=1, exponential_wait=2)


def chunk_task(tenant: str, run_id: int, chunk_id: int) -> None:
    from akiba.cob import service

    rt = current_runtime()
    service.run_chunk(rt, tenant, chunk_id)


def finish_task(tenant: str, run_id: int) -> None:
    from akiba.cob import service

    service.finish_run(current_runtime(), tenant, run_id)


async def recover_stalled(papp: procrastinate.App, seconds: float = STALLED_AFTER_SECONDS) -> int:
    """Jobs left `doing` by a worker whose heartbeat stopped (killed, machine lost) go back to the queue."""
    stalled = list(await papp.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=seconds))
    for job in stalled:
        await papp.job_manager.retry_job(job)
    return len(stalled)


async def recover_stalled_task(context: procrastinate.JobContext, timestamp: int) -> None:
    count = await recover_stalled(context.app)
    if count:
        log.warning("requeued %s stalled close-of-business jobs", count)


def new_app(connector: procrastinate.BaseConnector) -> procrastinate.App:
    """An app on `connector` with the close-of-business tasks (tasks hold their app: one set per app)."""
    papp = procrastinate.App(connector=connector, import_paths=[])
    papp.task(name=CHUNK_TASK, queue=QUEUE, retry=_RETRY)(chunk_task)
    papp.task(name=FINISH_TASK, queue=QUEUE, retry=_RETRY)(finish_task)
    # Every minute some worker puts back the jobs of workers that died (heartbeat older than the limit).
    papp.periodic(cron="* * * * *")(
        papp.task(name=RECOVER_TASK, queue=QUEUE, pass_context=True, queueing_lock=RECOVER_TASK)(
            recover_stalled_task))
    from akiba.reports.jobs import add_statement_tasks

    add_statement_tasks(papp)  # bulk statements share this pool and queue
    return papp


def worker_app(control_url: str) -> procrastinate.App:
    return new_app(procrastinate.PsycopgConnector(**_pool_args(control_url)))


async def _work(papp: procrastinate.App, *, concurrency: int, wait: bool, signals: bool,
                heartbeat: float, stalled_after: float) -> None:
    async with papp.open_async():
        await recover_stalled(papp, stalled_after)  # a restarted pool picks up what the dead one left
        await papp.run_worker_async(
            queues=[QUEUE], concurrency=concurrency, wait=wait, install_signal_handlers=signals,
            update_heartbeat_interval=heartbeat, stalled_worker_timeout=stalled_after, delete_jobs="successful",
            fetch_job_polling_interval=1.0,
        )


def run_worker(rt: Runtime, *, concurrency: int = 1, wait: bool = True, heartbeat: float = 10.0,
               stalled_after: float = STALLED_AFTER_SECONDS, signals: bool = True) -> None:
    """A worker in the foreground until SIGINT/SIGTERM (or, with wait=False, until the queue is empty)."""
    configure(rt)
    asyncio.run(_work(worker_app(rt.control_url), concurrency=concurrency, wait=wait, signals=signals,
                      heartbeat=heartbeat, stalled_after=stalled_after))


class EmbeddedWorker:
    """One worker on a thread of the `serve` process, so the demo needs no other process.

    stop() cancels the worker task (procrastinate then lets the running job finish) and joins the thread, so
    the embedded database, stopped by an exit hook afterwards, never sees a half-closed worker.
    """

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._main, name="akiba-cob-worker", daemon=True)
        self._ready = threading.Event()

    def _main(self) -> None:
        configure(self.rt)
        loop = asyncio.new_event_loop()
        self._loop = loop
        work = _work(worker_app(self.rt.control_url), concurrency=1, wait=True, signals=False, heartbeat=10.0,
                     stalled_after=STALLED_AFTER_SECONDS)
        self._task = loop.create_task(work)
        self._ready.set()
        try:
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("the embedded close-of-business worker stopped")
        finally:
            loop.close()

    def start(self) -> EmbeddedWorker:
        self._thread.start()
        self._ready.wait(timeout=10)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        if self._loop is not None and self._task is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout)
