"""Close of business is idempotent and survives a killed worker: same journal, same balances, same events."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

from cob_fixtures import build, close_day, close_days, portfolios, snapshot
from conftest import Api, api_for, new_tenant
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy import text

from akiba.cob import queue, service
from akiba.platform.embedded import libpq_uri
from akiba.platform.runtime import Runtime


def rerun_same_run(runtime: Runtime, api: Api, day: date) -> None:
    """As if every chunk's job ran again after committing (a lost acknowledgement, a retried job)."""
    with runtime.session(api.tenant) as s:
        s.execute(text("UPDATE cob_chunks SET status = 'pending'"))
        s.execute(text("UPDATE cob_runs SET status = 'running', finished_at = NULL"))
        s.execute(text("UPDATE tenant_settings SET business_date = :d"), {"d": day})
        run_id = s.scalar(text("SELECT max(id) FROM cob_runs"))
        s.commit()
    service.enqueue(runtime, api.tenant, int(run_id))
    queue.run_worker(runtime, wait=False, signals=False)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(portfolio=portfolios, day=close_days)
def test_closing_twice_equals_closing_once(app_client: TestClient, runtime: Runtime,
                                           portfolio: list[tuple[str, int]], day: date) -> None:
    api = api_for(app_client, new_tenant(runtime))
    build(api, runtime, portfolio, day)
    view = close_day(runtime, api.tenant, day, chunk_size=2)
    assert view["status"] == "completed"
    once = snapshot(runtime, api.tenant)
    assert once["date"] == [(day + timedelta(days=1),)]
    rerun_same_run(runtime, api, day)
    assert snapshot(runtime, api.tenant) == once
    # and a second run for the closed day is refused
    again = api.post("/api/v1/cob/runs", {"business_date": day.isoformat()})
    assert again.status_code == 409
    assert snapshot(runtime, api.tenant) == once


def _job_running(runtime: Runtime) -> bool:
    import psycopg

    with psycopg.connect(libpq_uri(runtime.control_url)) as conn:
        row = conn.execute("SELECT count(*) FROM procrastinate.procrastinate_jobs "
                           "WHERE status = 'doing' AND task_name = 'cob.chunk'").fetchone()
    return bool(row and row[0])


def test_a_worker_killed_mid_chunk_is_resumed_by_another_to_the_same_result(app_client: TestClient,
                                                                              runtime: Runtime) -> None:
    day = date(2024, 3, 4)
    portfolio = [("1000.00", 0), ("2500.00", 1), ("700.00", 2), ("4000.00", 0)]
    calm = api_for(app_client, new_tenant(runtime))
    build(calm, runtime, portfolio, day)
    close_day(runtime, calm.tenant, day, chunk_size=10)
    expected = snapshot(runtime, calm.tenant)

    crashed = api_for(app_client, new_tenant(runtime))
    loans = build(crashed, runtime, portfolio, day)
    with runtime.session(crashed.tenant) as s:
        s.execute(text("UPDATE tenant_settings SET business_date = :d"), {"d": day})
        s.commit()
    env = {**os.environ, "AKIBA_DATABASE_URL": libpq_uri(runtime.control_url)}
    with runtime.session(crashed.tenant) as blocker:
        # Hold the last loan: the worker locks the chunk and the loans before it, then waits here, mid-chunk.
        blocker.execute(text("SELECT id FROM loans WHERE id = :l FOR UPDATE"), {"l": loans[-1]})
        run_id = service.run_for_tenant(runtime, crashed.tenant, day, 10)
        worker = subprocess.Popen([sys.executable, "-m", "akiba.platform.cli", "worker", "--heartbeat", "1",
                                   "--stalled-after", "2"], env=env)
        try:
            deadline = time.monotonic() + 60
            while not _job_running(runtime):
                assert time.monotonic() < deadline, "the worker never took the chunk"
                time.sleep(0.2)
            time.sleep(1.0)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        blocker.rollback()
    with runtime.session(crashed.tenant) as s:
        assert s.scalar(text("SELECT count(*) FROM cob_chunks WHERE status = 'done'")) == 0
        assert s.scalar(text("SELECT count(*) FROM cob_marks")) == 0  # the killed transaction left nothing
    time.sleep(3)  # the dead worker's heartbeat goes stale
    queue.run_worker(runtime, wait=False, signals=False, stalled_after=2)
    with runtime.session(crashed.tenant) as s:
        view = service.run_view(s, run_id)
    assert view["status"] == "completed"
    assert snapshot(runtime, crashed.tenant) == expected
