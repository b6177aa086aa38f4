"""`akiba cob run` as an operator runs it: a subprocess starting its own worker, to a moved business date."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from cob_fixtures import active_loan, client, loan_product, office, set_business_date, snapshot
from conftest import Api
from sqlalchemy import text

from akiba.platform.embedded import libpq_uri
from akiba.platform.runtime import Runtime


def akiba(runtime: Runtime, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AKIBA_DATABASE_URL": libpq_uri(runtime.control_url), "AKIBA_HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "akiba.platform.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_cob_run_closes_the_tenant_with_its_own_worker(api: Api, runtime: Runtime, tmp_path: Path) -> None:
    cid = client(api, office(api))
    loan = active_loan(api, cid, loan_product(api))
    set_business_date(runtime, api.tenant, date(2024, 2, 3))
    done = akiba(runtime, tmp_path, "cob", "run", "--tenant", api.tenant.id, "--workers", "1", "--chunk-size", "1")
    assert done.returncode == 0, done.stderr
    assert "completed, 1 loans" in done.stdout
    snap = snapshot(runtime, api.tenant)
    assert snap["date"] == [(date(2024, 2, 4),)]
    assert snap["state"][0][:3] == (loan, date(2024, 2, 4), 3)


def test_cob_run_refuses_a_day_that_is_not_the_business_date(api: Api, runtime: Runtime, tmp_path: Path) -> None:
    set_business_date(runtime, api.tenant, date(2024, 2, 3))
    refused = akiba(runtime, tmp_path, "cob", "run", "--tenant", api.tenant.id, "--date", "2024-01-01",
                    "--workers", "0")
    assert refused.returncode == 2
    assert "only that day can be closed" in refused.stderr
    with runtime.session(api.tenant) as s:
        assert s.scalar(text("SELECT count(*) FROM cob_runs")) == 0
    assert akiba(runtime, tmp_path, "cob", "run").returncode == 2  # neither --tenant nor --all-tenants
