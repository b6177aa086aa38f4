"""Savings benchmark: HTTP deposits against pgbench TPC-B on the same server, and the interest posting batch.

    python -m bench savings          # or: python bench/savings.py [--seconds 20] [--accounts 10000]

1. Deposits: 4 concurrent HTTP clients post deposits to random accounts among 10K, against `akiba` served by
   uvicorn with min(4, CPUs) worker processes; then pgbench TPC-B (scale 10, 4 clients, 4 threads) on the same embedded
   server for the same duration. Prints both TPS and the ratio (target: at least 0.3).
2. Interest: 100K accounts with a deposit each, one month of interest posted by the set-based batch
   (`akiba.savings.jobs.run_interest_posting`); prints accounts per second.

The embedded server lives in a temporary folder and stops with this process.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from akiba.platform.bootstrap import configure_logging  # noqa: E402
from akiba.platform.db import dispose_engines  # noqa: E402
from akiba.platform.provisioning import create_tenant  # noqa: E402
from akiba.platform.runtime import Runtime  # noqa: E402
from akiba.platform.tenancy import TenantInfo  # noqa: E402
from bench._common import PASSWORD, KeepAliveClient, load_average, pgbench_tps, scratch_home, scratch_platform, serve  # noqa: E402

PRODUCT = {"name": "Bench Save", "currency": "USD", "annual_interest_rate": "5",
           "interest_calculation": "daily_balance", "compounding": "daily", "posting": "monthly", "days_in_year": 365}


def _login(base: str, tenant: str) -> dict[str, str]:
    response = httpx.post(f"{base}/api/v1/auth/token", headers={"Akiba-Tenant": tenant},
                          data={"grant_type": "password", "username": "admin", "password": PASSWORD})
    response.raise_for_status()
    return {"Akiba-Tenant": tenant, "Authorization": f"Bearer {response.json()['access_token']}"}


def _post(client: httpx.Client, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def _template_account(client: httpx.Client, accounting: str = "cash") -> tuple[int, int]:
    office = _post(client, "/api/v1/offices", {"name": "Head Office", "opening_date": "2020-01-01"}, 201)
    person = _post(client, "/api/v1/clients", {"office_id": office["id"], "first_name": "Bench", "last_name": "User",
                                               "activation_date": "2023-01-01"}, 201)
    product = _post(client, "/api/v1/savings-products", {**PRODUCT, "accounting_rule": accounting}, 201)
    account = _post(client, "/api/v1/savings-accounts", {"client_id": person["id"], "product_id": product["id"],
                                                         "submitted_on": "2024-01-01"}, 201)
    _post(client, f"/api/v1/savings-accounts/{account['id']}/approve", {"approved_on": "2024-01-01"})
    _post(client, f"/api/v1/savings-accounts/{account['id']}/activate", {"activated_on": "2024-01-01"})
    return int(account["id"]), int(product["id"])


def _clone_accounts(rt: Runtime, tenant: TenantInfo, template: int, count: int, deposit: str | None) -> list[int]:
    """Bench set-up only: copies of the template account (and an opening deposit each) written in bulk."""
    from sqlalchemy import text

    columns = ("client_id, group_id, office_id, product_id, currency, digits, status, submitted_on, approved_on, "
               "activated_on, annual_interest_rate, interest_calculation, compounding, posting, days_in_year, "
               "rounding, min_balance_for_interest, rate_tiers, debit_blocked, credit_blocked, balance, on_hold")
    with rt.session(tenant) as s:
        ids = list(s.scalars(text(
            f"INSERT INTO savings_accounts ({columns}) SELECT {columns} FROM savings_accounts, "
            "generate_series(1, :n) WHERE id = :t RETURNING id"), {"n": count, "t": template}))
        if deposit is not None:
            s.execute(text("INSERT INTO savings_transactions (account_id, type, transaction_date, amount, is_credit) "
                           "SELECT id, 'deposit', DATE '2024-01-01', CAST(:amount AS numeric), true "
                           "FROM unnest(CAST(:ids AS integer[])) AS id"), {"ids": ids, "amount": deposit})
            s.execute(text("UPDATE savings_accounts SET balance = CAST(:amount AS numeric), "
                           "last_transaction_on = DATE '2024-01-01' WHERE id = ANY(CAST(:ids AS integer[]))"),
                      {"ids": ids, "amount": deposit})
        s.execute(text("ANALYZE savings_accounts"))
        s.execute(text("ANALYZE savings_transactions"))
        s.commit()
    return [template, *ids]


def _deposit_load(base: str, headers: dict[str, str], accounts: list[int], seconds: float,
                  clients: int, sheet: int) -> tuple[int, int, float]:
    """Deposits of 10.00 to random accounts for `seconds`: one call each, or collection sheets of `sheet` lines."""
    done, failed = [0] * clients, [0] * clients
    today = httpx.get(f"{base}/api/v1/business-date", headers=headers).json()["business_date"]
    port = int(base.rsplit(":", 1)[1])
    stop_at = time.monotonic() + seconds

    def call(client: KeepAliveClient, rng: random.Random) -> bool:
        if sheet == 1:
            status, _ = client.request("POST", f"/api/v1/savings-accounts/{rng.choice(accounts)}/deposits",
                                       {"transaction_date": today, "amount": "10.00"})
        else:
            lines = [{"savings_account_id": a, "amount": "10.00"} for a in rng.sample(accounts, sheet)]
            status, _ = client.request("POST", "/api/v1/collection-sheets",
                                       {"transaction_date": today, "deposits": lines})
        return status == 201

    def run(n: int) -> None:
        rng = random.Random(n)
        with KeepAliveClient(port, headers) as client:
            while time.monotonic() < stop_at:
                if call(client, rng):
                    done[n] += sheet
                else:
                    failed[n] += sheet

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done), sum(failed), time.monotonic() - started


def _interest(rt: Runtime, tenant: TenantInfo, template: int, count: int) -> None:
    from akiba.savings.jobs import run_interest_posting

    _clone_accounts(rt, tenant, template, count - 1, "1000.00")
    started = time.perf_counter()
    result = run_interest_posting(rt, tenant, date(2024, 1, 31), chunk=2000)
    elapsed = time.perf_counter() - started
    print(f"interest posting: {result.accounts} accounts, {result.postings} postings, total {result.total} "
          f"in {elapsed:.1f} s = {result.accounts / elapsed:,.0f} accounts/s", flush=True)
    started = time.perf_counter()
    again = run_interest_posting(rt, tenant, date(2024, 1, 31), chunk=2000)
    print(f"rerun for the same day: {again.postings} postings in {time.perf_counter() - started:.1f} s "
          "(nothing posted twice)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--interest-accounts", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=4)
    # A savings group of 25 members (MISSION.md) brings its meeting's deposits back as one collection sheet.
    parser.add_argument("--sheet", type=int, default=25)
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--port", type=int, default=8765)
    # Diagnosis: "none" runs the same deposits without journal entries, to show what the ledger's share is.
    parser.add_argument("--accounting", choices=["cash", "none"], default="cash")
    args = parser.parse_args()
    configure_logging("WARNING")
    with scratch_home("akiba-bench-") as home:
        server_url, rt = scratch_platform(home, "akiba_bench")
        control_url = rt.control_url
        tenant = create_tenant(rt, "bench", "Bench", PASSWORD)
        interest_tenant = create_tenant(rt, "bench_interest", "Bench interest", PASSWORD)
        server = serve(home, control_url, args.port, args.workers)
        try:
            base = f"http://127.0.0.1:{args.port}"
            headers = _login(base, tenant.id)
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                template, _ = _template_account(client, args.accounting)
            accounts = _clone_accounts(rt, tenant, template, args.accounts - 1, None)
            rates = {}
            for sheet in (1, args.sheet):
                _deposit_load(base, headers, accounts, 3, args.clients, sheet)  # warm-up: connections, caches
                done, failed, elapsed = _deposit_load(base, headers, accounts, args.seconds, args.clients, sheet)
                rates[sheet] = done / elapsed
                how = "one per call" if sheet == 1 else f"collection sheets of {sheet}"
                print(f"HTTP deposits, {how}: {done} in {elapsed:.1f} s ({failed} failed) = {rates[sheet]:.0f} TPS "
                      f"({args.clients} clients, {args.workers} uvicorn workers, {len(accounts)} accounts, "
                      f"accounting {args.accounting}; {load_average()})", flush=True)
            with httpx.Client(base_url=base, headers=_login(base, interest_tenant.id), timeout=30) as client:
                interest_template, _ = _template_account(client)
                _post(client, f"/api/v1/savings-accounts/{interest_template}/deposits",
                      {"transaction_date": "2024-01-01", "amount": "1000.00"}, 201)
        finally:
            server.terminate()
            server.wait(timeout=30)
        baseline = pgbench_tps(server_url, args.seconds, args.clients)
        print(f"pgbench TPC-B: {baseline:.0f} TPS (scale 10, {args.clients} clients)", flush=True)
        for sheet, rate in rates.items():
            how = "one per call" if sheet == 1 else f"collection sheets of {sheet}"
            print(f"ratio akiba/pgbench, deposits {how}: {rate / baseline:.2f} (target >= 0.30)", flush=True)
        _interest(rt, interest_tenant, interest_template, args.interest_accounts)
        dispose_engines()


if __name__ == "__main__":
    main()
