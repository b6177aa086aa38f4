"""Close-of-business benchmark: N loans and M savings accounts closed by 1 and by 2 `akiba worker` processes.

    python -m bench cob             # or: python bench/cob.py [--loans 100000] [--savings 100000] [--runs 1,2,1]

Set-up (bulk SQL, not timed): template loans made through the API on an accrual product with a late penalty,
three for each of --cohorts disbursement days (default 28, one a day from START, so that every timed day has
installments falling due, falling overdue and penalised, as a real portfolio's days have) — one current (paying),
one overdue (never paid), one paid off — and a savings account are closed for the catch-up day (disbursement to
FIRST_CLOSE, in-process), then cloned set-based (one INSERT ... SELECT with
data-modifying CTEs per 100K loans) with their installments, charges, arrears state, bucket history and
closed-for marks: N loans (a third in each state; the paid-off third is not active and not closed) and M
savings accounts. Then one day is closed per entry of --runs (default "1,2": a day with 1 worker, the next with
2), each after a VACUUM ANALYZE (the autovacuum of the hours between two real days) and each by `akiba cob run`'s
path (a run, its chunks queued, `akiba worker` processes). Prints loans per second for each, the speed-up, the
workers' peak memory (VmHWM), the load average (other processes share the machine), and pgbench TPC-B TPS of the
same server measured in the same run. The embedded server lives in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from akiba.platform.app import create_app  # noqa: E402
from akiba.platform.bootstrap import configure_logging  # noqa: E402
from akiba.platform.provisioning import create_tenant  # noqa: E402
from akiba.platform.runtime import Runtime  # noqa: E402
from akiba.platform.tenancy import TenantInfo  # noqa: E402
from bench._common import PASSWORD, pgbench_tps, scratch_home, scratch_platform  # noqa: E402

LOAN_PRODUCT: dict[str, Any] = {
    "name": "Bench accrual", "short_name": "BAC", "currency": "USD",
    "principal": "1000.00", "min_principal": "100.00", "max_principal": "50000.00",
    "number_of_repayments": 12, "min_number_of_repayments": 1, "max_number_of_repayments": 60,
    "annual_interest_rate": "24", "min_annual_interest_rate": "0", "max_annual_interest_rate": "60",
    "interest_type": "declining_balance", "amortization": "equal_installments",
    "interest_calculation_period": "same_as_repayment", "days_in_year": "360", "days_in_month": "30",
    "repayment_every": 1, "repayment_frequency": "months", "accounting_rule": "accrual_periodic",
    "charges": [{"name": "Late fee", "charge_time": "overdue_installment", "calculation": "flat",
                 "amount": "5.00", "penalty": True, "grace_days": 3}],
}
SAVINGS_PRODUCT = {"name": "Bench Save", "currency": "USD", "annual_interest_rate": "5",
                   "interest_calculation": "daily_balance", "compounding": "monthly", "posting": "monthly",
                   "days_in_year": 365}
START = date(2024, 1, 1)
FIRST_CLOSE = date(2024, 3, 5)


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _cohort(client: TestClient, h: dict[str, str], person: int, product: int, disbursed: date,
            first_close: date) -> list[int]:
    """Three template loans disbursed on `disbursed`: one current (paying on its day each installment due by the
    catch-up day), one overdue (never paid), one paid off."""
    loans = []
    for _ in range(3):
        loan = _ok(client.post("/api/v1/loans", json={"client_id": person, "product_id": product,
                                                      "principal": "1000.00", "submitted_on": str(disbursed),
                                                      "expected_disbursement_date": str(disbursed)}, headers=h), 201)
        _ok(client.post(f"/api/v1/loans/{loan['id']}/approve", json={"approved_on": str(disbursed)}, headers=h))
        _ok(client.post(f"/api/v1/loans/{loan['id']}/disburse", json={"disbursed_on": str(disbursed)}, headers=h))
        loans.append(int(loan["id"]))
    current, _overdue, paid_off = loans
    schedule = _ok(client.get(f"/api/v1/loans/{current}", headers=h))["schedule"]["periods"]
    for period in schedule:
        if date.fromisoformat(period["due_date"]) <= first_close:
            _ok(client.post(f"/api/v1/loans/{current}/repayments",
                            json={"transaction_date": period["due_date"], "amount": period["total_due"]},
                            headers=h), 201)
    _ok(client.post(f"/api/v1/loans/{paid_off}/repayments", json={
        "transaction_date": schedule[0]["due_date"], "amount": "2000.00"}, headers=h), 201)
    return loans


def _templates(client: TestClient, tenant: str, cohorts: int, first_close: date) -> tuple[list[int], int]:
    token = _ok(client.post("/api/v1/auth/token", headers={"Akiba-Tenant": tenant},
                            data={"grant_type": "password", "username": "admin", "password": PASSWORD}))
    h = {"Akiba-Tenant": tenant, "Authorization": f"Bearer {token['access_token']}"}
    office = _ok(client.post("/api/v1/offices", json={"name": "Head Office", "opening_date": "2020-01-01"},
                             headers=h), 201)
    person = _ok(client.post("/api/v1/clients", json={"office_id": office["id"], "first_name": "Bench",
                                                      "last_name": "User", "activation_date": "2023-01-01"},
                             headers=h), 201)
    product = _ok(client.post("/api/v1/loan-products", json=LOAN_PRODUCT, headers=h), 201)
    loans = []
    for cohort in range(cohorts):
        loans.extend(_cohort(client, h, person["id"], product["id"], START + timedelta(days=cohort), first_close))
    sp = _ok(client.post("/api/v1/savings-products", json=SAVINGS_PRODUCT, headers=h), 201)
    acc = _ok(client.post("/api/v1/savings-accounts", json={"client_id": person["id"], "product_id": sp["id"],
                                                            "submitted_on": str(START)}, headers=h), 201)
    _ok(client.post(f"/api/v1/savings-accounts/{acc['id']}/approve", json={"approved_on": str(START)}, headers=h))
    _ok(client.post(f"/api/v1/savings-accounts/{acc['id']}/activate", json={"activated_on": str(START)}, headers=h))
    _ok(client.post(f"/api/v1/savings-accounts/{acc['id']}/deposits",
                    json={"transaction_date": str(START), "amount": "1000.00"}, headers=h), 201)
    return loans, int(acc["id"])


def _columns(s: Any, table: str, skip: tuple[str, ...]) -> str:
    names = s.scalars(text("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                           "AND table_name = :t ORDER BY ordinal_position"), {"t": table})
    return ", ".join(n for n in names if n not in skip)


# What a loan owns that the close reads or writes, cloned with it: (table, column naming the loan, columns left out).
_LOAN_CHILDREN = (("loan_installments", "loan_id", ()), ("loan_charges", "loan_id", ("id",)),
                  ("cob_loan_state", "loan_id", ()), ("cob_delinquency_history", "loan_id", ("id",)))


def _clone_loans_sql(s: Any) -> str:
    """One statement cloning a template loan `:n` times with everything it owns (data-modifying CTEs)."""
    loan_cols = _columns(s, "loans", ("id", "external_id"))
    parts = [f"new AS (INSERT INTO loans ({loan_cols}) SELECT {loan_cols} FROM loans, generate_series(1, :n) "
             f"WHERE id = :t RETURNING id)"]
    for i, (table, key, skip) in enumerate(_LOAN_CHILDREN):
        cols = _columns(s, table, (key, *skip))
        parts.append(f"c{i} AS (INSERT INTO {table} ({key}, {cols}) SELECT new.id, {cols} "
                     f"FROM new CROSS JOIN {table} WHERE {key} = :t)")
    parts.append("m AS (INSERT INTO cob_marks (kind, entity_id, closed_for) SELECT 'loan', new.id, closed_for "
                 "FROM new CROSS JOIN cob_marks WHERE kind = 'loan' AND entity_id = :t)")
    return "WITH " + ",\n".join(parts) + "\nSELECT count(*) FROM new"


def _clone(rt: Runtime, tenant: TenantInfo, loans: list[int], n_loans: int, account: int, n_savings: int) -> None:
    """Bench set-up only: copies of the closed templates, written in bulk (a batch of 100K loans per statement),
    with their installments, charges, arrears state, bucket history and closed-for marks."""
    with rt.session(tenant) as s:
        clone_loans = text(_clone_loans_sql(s))
        acc_cols = _columns(s, "savings_accounts", ("id", "account_no", "external_id"))
        per_template = n_loans // len(loans)
        for template in loans:
            left = per_template - 1
            while left > 0:
                batch = min(left, 100_000)
                s.execute(clone_loans, {"n": batch, "t": template})
                s.commit()
                left -= batch
        s.execute(text(f"""
            WITH new AS (
              INSERT INTO savings_accounts ({acc_cols}) SELECT {acc_cols} FROM savings_accounts,
                     generate_series(1, :n) WHERE id = :t RETURNING id),
            tx AS (INSERT INTO savings_transactions (account_id, type, transaction_date, amount, is_credit)
                   SELECT id, 'deposit', :d, 1000, true FROM new)
            INSERT INTO cob_marks (kind, entity_id, closed_for)
            SELECT 'savings', new.id, closed_for FROM new CROSS JOIN cob_marks WHERE kind = 'savings' AND entity_id = :t
        """), {"n": n_savings - 1, "t": account, "d": START})
        s.commit()
        for table in ("loans", "loan_installments", "loan_charges", "cob_loan_state", "cob_marks",
                      "cob_delinquency_history", "savings_accounts", "savings_transactions"):
            s.execute(text(f"ANALYZE {table}"))
        s.commit()


def _close_templates(rt: Runtime, tenant: TenantInfo, first_close: date) -> None:
    """Close the catch-up day (disbursement to `first_close`: penalties, arrears, accruals) on the templates,
    in-process, before they are cloned: the clones start where a portfolio closed every day would be."""
    from akiba.cob import queue, service

    with rt.session(tenant) as s:
        s.execute(text("UPDATE tenant_settings SET business_date = :d"), {"d": first_close})
        s.commit()
    run_id = service.run_for_tenant(rt, tenant, first_close)
    queue.run_worker(rt, wait=False, signals=False)
    with rt.session(tenant) as s:
        assert service.run_view(s, run_id)["status"] == "completed"


def _vacuum(rt: Runtime, tenant: TenantInfo) -> float:
    """VACUUM ANALYZE the tenant's tables, as autovacuum does in the hours between two real closes of business;
    back to back here, its work from one timed day would land in the next one's measurement."""
    started = time.perf_counter()
    with rt.session(tenant) as s:
        conn = s.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        conn.execute(text("SELECT set_config('search_path', :p, false)"), {"p": tenant.schema})
        conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def _peak_kb(pid: int) -> int:
    try:
        found = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return 0
    return int(found.group(1)) if found else 0


# What a day's close did besides accruing: late-payment penalties charged, outbox events (due, overdue, non-accrual).
_ACTIVITY = text("SELECT (SELECT count(*) FROM loan_charges WHERE charge_time = 'overdue_installment'), "
                 "(SELECT COALESCE(max(id), 0) FROM outbox)")
_LOCK_WAITS = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")


def _close(rt: Runtime, tenant: TenantInfo, day: date, workers: int, chunk_size: int) -> dict[str, Any]:
    from akiba.cob import service
    from akiba.cob.cli import start_workers, stop_workers

    with rt.session(tenant) as s:
        s.execute(text("UPDATE tenant_settings SET business_date = :d"), {"d": day})
        s.commit()
    with rt.session(tenant) as s:
        before = s.execute(_ACTIVITY).one()
    procs = start_workers(rt, workers)
    time.sleep(2.0)  # let the workers start (imports, pool) so the timing is the close itself
    started = time.perf_counter()
    run_id = service.run_for_tenant(rt, tenant, day, chunk_size)
    peak, samples, lock_waits = 0, 0, 0
    while True:
        with rt.session(tenant) as s:
            view = service.run_view(s, run_id)
            # Sampled every poll: how many of the workers' backends are waiting for a lock another holds.
            lock_waits += int(s.scalar(_LOCK_WAITS) or 0)
            samples += 1
        peak = max([peak, *(_peak_kb(p.pid) for p in procs)])
        if view["status"] != "running":
            break
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    view["load"] = _load()
    stop_workers(procs)
    with rt.session(tenant) as s:
        view["chunk_stats"] = [tuple(r) for r in s.execute(text(
            "SELECT kind, count(*), sum(seconds), max(seconds) FROM cob_chunks WHERE run_id = :r GROUP BY kind "
            "ORDER BY kind"), {"r": run_id})]
        # The run's serial phases (Amdahl): planning and queueing until the first chunk starts, and the final job
        # (the day's accrual entries, the portfolio snapshot, the date) after the last chunk.
        view["serial"] = s.execute(text(
            "SELECT EXTRACT(EPOCH FROM min(c.started_at) - r.created_at), EXTRACT(EPOCH FROM r.finished_at - "
            "max(c.finished_at)) FROM cob_runs r JOIN cob_chunks c ON c.run_id = r.id WHERE r.id = :r "
            "GROUP BY r.id"), {"r": run_id}).one()
        after = s.execute(_ACTIVITY).one()
    view["activity"] = [b - a for a, b in zip(before, after, strict=True)]
    view["wall_seconds"] = elapsed
    view["peak_kb"] = peak
    view["lock_waits"] = (lock_waits, samples)
    return view


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) {five:.1f} (5 min) on {os.cpu_count()} cores"


def _report(label: str, day: date, view: dict[str, Any]) -> float:
    rate = view["loans_closed"] / view["wall_seconds"]
    everything = (view["loans_closed"] + view["savings_accounts_closed"]) / view["wall_seconds"]
    print(f"{label:>10} ({day}): {view['status']}, {view['loans_closed']:,} loans + "
          f"{view['savings_accounts_closed']:,} savings accounts in {view['wall_seconds']:.1f} s = "
          f"{rate:,.0f} loans/s (all entities {everything:,.0f}/s), {view['chunks_total']} chunks, "
          f"peak worker memory {view['peak_kb'] / 1024:.0f} MiB; {view['load']}", flush=True)
    busy = sum(float(total) for _, _, total, _ in view["chunk_stats"])
    kinds = ", ".join(f"{kind} {n} chunks {float(total):.1f} s (longest {float(most):.2f})"
                      for kind, n, total, most in view["chunk_stats"])
    waits, samples = view["lock_waits"]
    start, final = (float(x) for x in view["serial"])
    print(f"            chunk seconds: {kinds}; busy/wall = {busy / view['wall_seconds']:.2f}; backends waiting "
          f"on a lock: {waits} in {samples} samples; serial: {start:.1f} s to the first chunk, {final:.1f} s "
          f"after the last; penalties charged {view['activity'][0]:,}, events {view['activity'][1]:,}", flush=True)
    return float(rate)


def _print_pairs(days: list[tuple[int, float, float]]) -> None:
    """Each 2-worker day against the 1-worker day just before it, with how much longer its chunks took: the same
    chunks take the same CPU either way, so chunks taking longer with 2 workers means fewer free cores (other
    processes on the machine), not contention inside the close."""
    pairs = [(a, b) for a, b in pairwise(days) if (a[0], b[0]) == (1, 2)]
    if pairs:
        print("paired (each 2-worker day against the 1-worker day before it): " + "; ".join(
            f"{b[1] / a[1]:.2f}x, chunk seconds x{b[2] / a[2]:.2f}" for a, b in pairs), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--savings", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--first-close", type=date.fromisoformat, default=FIRST_CLOSE,
                        help="the catch-up day closed at set-up; the timed days follow it (e.g. 2024-03-29 for a "
                             "month end among them)")
    parser.add_argument("--cohorts", type=int, default=28,
                        help="disbursement days of the templates, one a day from START (1: every loan alike)")
    parser.add_argument("--pgbench-seconds", type=int, default=20)
    parser.add_argument("--runs", default="1,2", help="workers per timed day, in order (e.g. 1,2,1 to bracket)")
    args = parser.parse_args()
    configure_logging("WARNING")
    with scratch_home("akiba-bench-cob-") as home:
        server, rt = scratch_platform(home, "akiba_bench_cob", token_rate_limit_per_minute=1_000_000)
        settings, control = rt.settings, rt.control_url
        tenant = create_tenant(rt, "bench", "Bench MFI", PASSWORD)
        from akiba.cob import queue

        queue.load_features()
        with TestClient(create_app(settings, control)) as client:
            loans, account = _templates(client, "bench", args.cohorts, args.first_close)
        _close_templates(rt, tenant, args.first_close)
        t0 = time.perf_counter()
        _clone(rt, tenant, loans, args.loans, account, args.savings)
        print(f"generated {args.loans:,} loans (a third each current, overdue, paid off; disbursed over "
              f"{args.cohorts} days) and {args.savings:,} "
              f"savings accounts, closed to {args.first_close}, in {time.perf_counter() - t0:.1f} s", flush=True)
        rates: dict[int, list[float]] = {}
        days: list[tuple[int, float, float]] = []  # workers, loans/s, chunk seconds
        for i, workers in enumerate(int(w) for w in args.runs.split(",")):
            day = args.first_close + timedelta(days=1 + i)
            print(f"vacuum analyze before {day}: {_vacuum(rt, tenant):.1f} s", flush=True)
            view = _close(rt, tenant, day, workers, args.chunk_size)
            rates.setdefault(workers, []).append(_report(f"{workers} worker{'s' if workers > 1 else ''}", day, view))
            days.append((workers, rates[workers][-1], sum(float(total) for _, _, total, _ in view["chunk_stats"])))
        one, two = min(rates.get(1, [0.0])), max(rates.get(2, [0.0]))
        if one and two:
            print(f"speed-up with 2 workers: {two / one:.2f}x (target 1.6x; against the slower 1-worker day if "
                  f"several); 1M loans at the 2-worker rate: {1_000_000 / two / 60:.1f} min (target < 10)", flush=True)
        _print_pairs(days)
        tps = pgbench_tps(server, args.pgbench_seconds, 2)
        print(f"pgbench TPC-B (scale 10, 2 clients) on the same server: {tps:,.0f} TPS ({_load()}); "
              f"loans closed per TPC-B transaction (2 workers): {two / tps:.2f}", flush=True)


if __name__ == "__main__":
    main()
