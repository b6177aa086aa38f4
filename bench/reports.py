"""Reports benchmark: PAR and collection reports (JSON, CSV) and a big CSV export's peak memory; statements/s.

    python -m bench reports         # or: python bench/reports.py [--borrowers 100000] [--statements 10000]

Set-up (bulk SQL, not timed): two template loans made through the API (one repaying 40.00 twice a month, one
never paying) are cloned to one loan per borrower with their installments and transactions. Then, timed:
portfolio-at-risk and loans-due as JSON (one page) and CSV (whole), each in a fresh process whose peak RSS
(VmHWM) is reported; the repayments CSV export at 10% and 100% of its rows, to show memory flat in the row
count; bulk statements for --statements accounts with 1 and 2 worker processes. The embedded server lives in
a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from akiba.platform import embedded  # noqa: E402
from akiba.platform.app import create_app  # noqa: E402
from akiba.platform.bootstrap import configure_logging  # noqa: E402
from akiba.platform.provisioning import create_tenant  # noqa: E402
from akiba.platform.runtime import Runtime  # noqa: E402
from bench._common import PASSWORD, scratch_platform  # noqa: E402

PRODUCT: dict[str, Any] = {
    "name": "Bench", "short_name": "BEN", "currency": "USD", "principal": "1000.00", "min_principal": "100.00",
    "max_principal": "50000.00", "number_of_repayments": 12, "min_number_of_repayments": 1,
    "max_number_of_repayments": 60, "annual_interest_rate": "24", "min_annual_interest_rate": "0",
    "max_annual_interest_rate": "60", "interest_type": "declining_balance", "amortization": "equal_installments",
    "interest_calculation_period": "same_as_repayment", "days_in_year": "360", "days_in_month": "30",
    "repayment_every": 1, "repayment_frequency": "months", "accounting_rule": "cash",
}
AS_OF = "2024-06-20"


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _columns(conn: Any, table: str, skip: tuple[str, ...]) -> list[str]:
    rows = conn.execute(text("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                             "current_schema() AND table_name = :t ORDER BY ordinal_position"), {"t": table})
    return [r[0] for r in rows if r[0] not in skip]


def build(client: TestClient, rt: Runtime, tenant_id: str, borrowers: int) -> None:
    token = _ok(client.post("/api/v1/auth/token", headers={"Akiba-Tenant": tenant_id},
                            data={"grant_type": "password", "username": "admin", "password": PASSWORD}))
    h = {"Akiba-Tenant": tenant_id, "Authorization": f"Bearer {token['access_token']}"}
    office = _ok(client.post("/api/v1/offices", json={"name": "Head Office", "opening_date": "2020-01-01"},
                             headers=h), 201)["id"]
    product = _ok(client.post("/api/v1/loan-products", json=PRODUCT, headers=h), 201)["id"]
    templates = []
    for pays in (True, False):
        c = _ok(client.post("/api/v1/clients", json={"office_id": office, "first_name": "T", "last_name": "T",
                                                      "activation_date": "2023-01-01"}, headers=h), 201)["id"]
        loan = _ok(client.post("/api/v1/loans", json={"client_id": c, "product_id": product, "principal": "1000.00",
                                                      "submitted_on": "2024-01-01",
                                                      "expected_disbursement_date": "2024-01-01"}, headers=h), 201)
        _ok(client.post(f"/api/v1/loans/{loan['id']}/approve", json={"approved_on": "2024-01-01"}, headers=h))
        _ok(client.post(f"/api/v1/loans/{loan['id']}/disburse", json={"disbursed_on": "2024-01-01"}, headers=h))
        day = date(2024, 2, 1)
        while pays and day <= date(2024, 6, 15):
            _ok(client.post(f"/api/v1/loans/{loan['id']}/repayments",
                            json={"transaction_date": day.isoformat(), "amount": "40.00"}, headers=h), 201)
            day += timedelta(days=15)
        templates.append(loan["id"])
    info = rt.registry.require_active(tenant_id)
    with rt.session(info) as s:
        conn = s.connection()
        conn.execute(text("""
            INSERT INTO clients (office_id, status, first_name, last_name, display_name, submitted_on,
                                 activation_date)
            SELECT :o, 'active', 'F' || g, 'L' || g, 'F' || g || ' L' || g, '2023-01-01', '2023-01-01'
            FROM generate_series(1, :n) g"""), {"o": office, "n": borrowers})
        loan_cols = _columns(conn, "loans", ("id", "client_id", "external_id"))
        listed = ", ".join(loan_cols)
        picked = ", ".join(f"t.{c}" for c in loan_cols)
        conn.execute(text(f"""
            INSERT INTO loans (client_id, external_id, {listed})
            SELECT c.id, 'b' || c.id, {picked} FROM clients c
            JOIN loans t ON t.id = CASE WHEN c.id % 3 = 0 THEN :bad ELSE :good END
            WHERE c.first_name LIKE 'F%'"""), {"good": templates[0], "bad": templates[1]})
        for table, skip in (("loan_installments", ("loan_id",)), ("loan_transactions", ("id", "loan_id"))):
            cols = _columns(conn, table, skip)
            conn.execute(text(f"""
                INSERT INTO {table} (loan_id, {", ".join(cols)})
                SELECT l.id, {", ".join(f"x.{c}" for c in cols)} FROM loans l
                JOIN {table} x ON x.loan_id = CASE WHEN l.client_id % 3 = 0 THEN :bad ELSE :good END
                WHERE l.external_id LIKE 'b%'"""), {"good": templates[0], "bad": templates[1]})
        s.execute(text("UPDATE tenant_settings SET business_date = :d"), {"d": date.fromisoformat(AS_OF)})
        s.commit()
        s.execute(text("ANALYZE"))


CHILD = r"""
import json, sys, time
from fastapi.testclient import TestClient
from akiba.platform.app import create_app
from akiba.platform.bootstrap import configure_logging
from akiba.platform.settings import Settings
configure_logging("WARNING")
control, tenant, token, path = sys.argv[1:5]
params = json.loads(sys.argv[5])
client = TestClient(create_app(Settings(), control))
h = {"Akiba-Tenant": tenant, "Authorization": "Bearer " + token}
t0 = time.perf_counter()
size = lines = 0
with client.stream("GET", path, params=params, headers=h) as r:
    assert r.status_code == 200, r.read()
    for chunk in r.iter_bytes():
        size += len(chunk)
        lines += chunk.count(b"\n")
elapsed = time.perf_counter() - t0
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({"seconds": elapsed, "bytes": size, "rows": max(lines - 1, 0), "peak_mb": int(hwm) / 1024}))
"""


def measure(control: str, tenant: str, token: str, path: str, params: dict[str, str]) -> dict[str, Any]:
    """Run one report call in a fresh process: its time and the process's peak resident memory."""
    out = subprocess.run([sys.executable, "-c", CHILD, control, tenant, token, path, json.dumps(params)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--borrowers", type=int, default=20_000)
    ap.add_argument("--statements", type=int, default=2_000)
    args = ap.parse_args()
    configure_logging("WARNING")
    home = Path(tempfile.mkdtemp(prefix="akbench"))
    _, rt = scratch_platform(home, "bench_reports")
    settings, control = rt.settings, rt.control_url
    create_tenant(rt, "bench", "Bench MFI", PASSWORD)
    t0 = time.perf_counter()
    with TestClient(create_app(settings, control)) as client:
        build(client, rt, "bench", args.borrowers)
        token = _ok(client.post("/api/v1/auth/token", headers={"Akiba-Tenant": "bench"},
                                data={"grant_type": "password", "username": "admin", "password": PASSWORD}))
    info = rt.registry.require_active("bench")
    with rt.session(info) as s:
        txns = s.execute(text("SELECT count(*) FROM loan_transactions")).scalar_one()
    print(f"set-up: {args.borrowers} borrowers, {txns} loan transactions in {time.perf_counter() - t0:.1f} s")
    access = token["access_token"]
    cases = [
        ("PAR json", "portfolio-at-risk", {"as_of": AS_OF, "format": "json"}),
        ("PAR csv", "portfolio-at-risk", {"as_of": AS_OF, "format": "csv"}),
        ("loans-due json", "loans-due", {"due_date": "2024-07-01", "format": "json"}),
        ("loans-due csv", "loans-due", {"due_date": "2024-07-01", "format": "csv"}),
        ("repayments csv 10%", "repayments", {"from": "2024-02-01", "to": "2024-02-14", "format": "csv"}),
        ("repayments csv all", "repayments", {"from": "2024-01-01", "to": "2024-12-31", "format": "csv"}),
    ]
    for label, name, params in cases:
        m = measure(control, "bench", access, f"/api/v1/reports/{name}", params)
        rows = "" if params["format"] == "json" else f", {m['rows']:,} rows, {m['bytes'] / 1e6:.1f} MB"
        print(f"{label:22s} {m['seconds']:7.2f} s  peak RSS {m['peak_mb']:6.1f} MB{rows}")
    from akiba.reports.bulk import Month, generate_slice

    with rt.session(info) as s:
        s.execute(text("UPDATE loans SET closed_on = '2024-01-01' WHERE id > :n"), {"n": args.statements})
        s.commit()
    for workers in (1, 2):
        out = home / f"statements-{workers}"
        t0 = time.perf_counter()
        if workers == 1:
            written, _ = generate_slice(info, Month.parse("2024-06"), out)
        else:
            from akiba.reports.bulk import generate_month

            written, _ = generate_month(control, info, Month.parse("2024-06"), out, workers=2)
        dt = time.perf_counter() - t0
        print(f"statements, {workers} worker(s): {written} in {dt:.1f} s = {written / dt:.0f}/s "
              f"({written / dt / workers:.0f}/s per worker)")
    embedded.stop(home)


if __name__ == "__main__":
    main()
