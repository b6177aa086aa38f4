"""Bulk statements as a run on the worker pool: one PDF per account, progress to done == total, a second run
renders nothing, a chunk whose worker died is done again without rendering twice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Api
from loan_factories import active_loan, make_client, make_office, make_product, ok, repay
from pypdf import PdfReader
from sqlalchemy import select

from akiba.cob import queue
from akiba.platform.embedded import libpq_uri
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo
from akiba.reports import runs
from akiba.reports.bulk import Month, RangeOutcome, generate_range, output_dir
from akiba.reports.models import StatementChunk

SAVINGS = {"name": "Easy Save", "currency": "USD", "annual_interest_rate": "3.65",
           "interest_calculation": "daily_balance", "compounding": "monthly", "posting": "monthly",
           "days_in_year": 365}


def drain(runtime: Runtime) -> None:
    """One worker (the `akiba worker` code) until the queue is empty."""
    queue.run_worker(runtime, wait=False, signals=False)


@pytest.fixture
def accounts(api: Api) -> dict[str, list[int]]:
    """Three loans and a savings account that all had a life in March 2024, and a loan disbursed later."""
    office = make_office(api)
    product = make_product(api)
    loans = []
    for n in range(3):
        loan = active_loan(api, make_client(api, office, last=f"Borrower{n}"), product["id"])
        repay(api, loan["id"], "88.85", "2024-02-01")
        loans.append(loan["id"])
    active_loan(api, make_client(api, office, last="Later"), product["id"], on="2024-05-01")  # no March
    client = make_client(api, office, last="Saver")
    savings_product = ok(api.post("/api/v1/savings-products", SAVINGS), 201)
    aid = ok(api.post("/api/v1/savings-accounts", {"client_id": client, "product_id": savings_product["id"],
                                                   "submitted_on": "2024-01-01"}), 201)["id"]
    ok(api.post(f"/api/v1/savings-accounts/{aid}/approve", {"approved_on": "2024-01-01"}))
    ok(api.post(f"/api/v1/savings-accounts/{aid}/activate", {"activated_on": "2024-01-01"}))
    return {"loan": loans, "savings": [aid]}


def _files(runtime: Runtime, api: Api) -> dict[str, int]:
    out = output_dir(runtime.settings.home, api.tenant.id, Month.parse("2024-03"))
    return {p.name: p.stat().st_mtime_ns for p in sorted(out.glob("*.pdf"))} if out.exists() else {}


def test_a_run_renders_one_pdf_per_account_and_a_second_run_renders_nothing(
        api: Api, runtime: Runtime, accounts: dict[str, list[int]]) -> None:
    run = ok(api.post("/api/v1/statements/runs", {"month": "2024-03", "chunk_size": 2}), 202)
    assert (run["status"], run["total"], run["done"], run["chunks_total"]) == ("running", 4, 0, 3)  # 2+1 loans, 1
    drain(runtime)
    done = ok(api.get(f"/api/v1/statements/runs/{run['id']}"))
    assert (done["status"], done["done"], done["total"], done["written"], done["skipped"], done["failed"]) == (
        "completed", 4, 4, 4, 0, 0)
    assert done["chunks_done"] == done["chunks_total"] == 3 and done["errors"] == []
    files = _files(runtime, api)
    assert sorted(files) == sorted([f"loan-{i}.pdf" for i in accounts["loan"]]
                                   + [f"savings-{i}.pdf" for i in accounts["savings"]])
    first = accounts["loan"][0]
    march = ok(api.get(f"/api/v1/loans/{first}/statement", **{"from": "2024-03-01", "to": "2024-03-31"}))
    out = output_dir(runtime.settings.home, api.tenant.id, Month.parse("2024-03"))
    assert f"Closing balance {march['closing_balance']} USD" in PdfReader(out / f"loan-{first}.pdf").pages[0] \
        .extract_text()

    again = ok(api.post("/api/v1/statements/runs", {"month": "2024-03"}), 202)
    assert again["id"] != run["id"] and again["total"] == 4
    drain(runtime)
    second = ok(api.get(f"/api/v1/statements/runs/{again['id']}"))
    assert (second["status"], second["done"], second["total"], second["written"], second["skipped"]) == (
        "completed", 4, 4, 0, 4)
    assert _files(runtime, api) == files  # not one file rewritten


def test_a_crashed_chunk_is_done_again_without_rendering_twice(
        api: Api, runtime: Runtime, accounts: dict[str, list[int]], monkeypatch: pytest.MonkeyPatch) -> None:
    run = ok(api.post("/api/v1/statements/runs", {"month": "2024-03", "kind": "loan"}), 202)
    assert (run["total"], run["chunks_total"]) == (3, 1)
    with runtime.session(api.tenant) as s:
        chunk_id = s.scalar(select(StatementChunk.id).where(StatementChunk.run_id == run["id"]))

    def dies_after_the_first(tenant: TenantInfo, month: Month, out: Path, kind: str, first_id: int,
                             last_id: int) -> RangeOutcome:
        generate_range(tenant, month, out, kind, first_id, first_id)
        raise RuntimeError("worker lost mid-chunk")

    monkeypatch.setattr(runs, "generate_range", dies_after_the_first)
    with pytest.raises(RuntimeError):
        runs.run_chunk(runtime, api.tenant.id, chunk_id)
    monkeypatch.undo()
    assert list(_files(runtime, api)) == [f"loan-{accounts['loan'][0]}.pdf"]
    assert ok(api.get(f"/api/v1/statements/runs/{run['id']}"))["done"] == 0  # the chunk rolled back
    resumed = ok(api.post("/api/v1/statements/runs", {"month": "2024-03", "kind": "loan"}), 202)
    assert resumed["id"] == run["id"]  # joins the open run and queues what is left
    drain(runtime)
    done = ok(api.get(f"/api/v1/statements/runs/{run['id']}"))
    assert (done["status"], done["done"], done["written"], done["skipped"]) == ("completed", 3, 2, 1)
    assert len(_files(runtime, api)) == 3


def test_bad_run_requests_are_422_naming_the_field(api: Api) -> None:
    for body, field in (({"month": "2024-13"}, "month"), ({"month": "March"}, "month"),
                        ({"month": "2024-03", "kind": "cards"}, "kind")):
        r = api.post("/api/v1/statements/runs", body)
        assert r.status_code == 422 and field in r.json()["errors"][0]["field"], r.text
    assert api.get("/api/v1/statements/runs/999999").status_code == 404


def test_the_cli_follows_a_run_with_its_own_worker_and_a_second_call_renders_nothing(
        api: Api, runtime: Runtime, accounts: dict[str, list[int]], tmp_path: Path) -> None:
    env = {**os.environ, "AKIBA_DATABASE_URL": libpq_uri(runtime.control_url), "AKIBA_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "akiba.platform.cli", "statements", "generate", "--tenant", api.tenant.id,
               "--month", "2024-03", "--workers", "1"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "4/4 statements (4 written, 0 already done, 0 failed) completed" in first.stdout
    out = output_dir(tmp_path, api.tenant.id, Month.parse("2024-03"))
    assert len(list(out.glob("*.pdf"))) == 4
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "4/4 statements (0 written, 4 already done, 0 failed) completed" in second.stdout
    in_process = subprocess.run([*command[:-2], "--in-process"], env=env, capture_output=True, text=True, timeout=300)
    assert in_process.returncode == 0 and "0 written, 4 already done" in in_process.stdout, in_process.stderr
