"""Loans benchmark: schedule engine speed, and repayments through HTTP against pgbench on the same server.

    python -m bench loans      # or: python bench/loans.py [--seconds 15] [--clients 4]

1. Schedules per second on one core: a 12-period monthly declining-balance loan and a 52-period weekly flat loan
   (targets: 5,000/s and 1,500/s).
2. SQL statements per repayment, counted with a SQLAlchemy event listener on 50 repayments run in-process.
3. Repayments through HTTP: the app served by uvicorn with --workers processes (default min(4, CPUs)), --clients
   client processes each repaying its own loans in a loop for --seconds over one keep-alive connection, one
   repayment per call, then collection sheets of --sheet loans; then pgbench TPC-B (scale 10, same clients, same
   time) on the same embedded server.
   Prints both and the ratio (target: at least 0.25).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from akiba.loans.schedule import generate_schedule, parse_schedule_request  # noqa: E402
from akiba.platform.bootstrap import configure_logging  # noqa: E402
from akiba.platform.db import dispose_engines, engine_for  # noqa: E402
from akiba.platform.provisioning import create_tenant  # noqa: E402
from akiba.platform.runtime import Runtime  # noqa: E402
from bench._common import (  # noqa: E402
    PASSWORD,
    KeepAliveClient,
    free_port,
    load_average,
    pgbench_tps,
    scratch_home,
    scratch_platform,
    serve,
)

MONTHLY_12 = {"principal": "10000.00", "currency": "USD", "digits": 2, "annual_interest_rate": "18",
              "interest_type": "declining_balance", "amortization": "equal_installments",
              "interest_calculation_period": "same_as_repayment", "days_in_year": "365", "days_in_month": "actual",
              "repayment_every": 1, "repayment_frequency": "months", "number_of_repayments": 12,
              "expected_disbursement_date": "2024-01-01"}
WEEKLY_52 = {**MONTHLY_12, "interest_type": "flat", "repayment_frequency": "weeks", "number_of_repayments": 52,
             "interest_calculation_period": "daily"}
# A large principal, so that a loan repaid 1.00 at a time for the whole run never closes.
PRODUCT = {"name": "Bench", "short_name": "B", "currency": "USD", "principal": "1000000.00",
           "max_principal": "1000000.00", "number_of_repayments": 12, "annual_interest_rate": "12",
           "repayment_frequency": "months", "accounting_rule": "cash"}


def schedules_per_second(body: dict[str, Any], seconds: float = 3.0) -> float:
    req = parse_schedule_request(body)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            generate_schedule(req)
        done += 100
    return done / (time.perf_counter() - start)


def _headers(base: str, token: str | None = None) -> dict[str, str]:
    return {"Akiba-Tenant": "bench", **({"Authorization": f"Bearer {token}"} if token else {})}


def _login(base: str) -> str:
    answer = httpx.post(f"{base}/api/v1/auth/token", headers=_headers(base),
                        data={"grant_type": "password", "username": "admin", "password": PASSWORD})
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _post(client: httpx.Client, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    answer = client.post(path, json=body)
    assert answer.status_code == status, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _setup_loans(base: str, token: str, count: int, installments: int) -> list[int]:
    with httpx.Client(base_url=base, headers=_headers(base, token), timeout=30) as c:
        office = _post(c, "/api/v1/offices", {"name": "HQ", "opening_date": "2020-01-01"}, 201)["id"]
        client = _post(c, "/api/v1/clients", {"office_id": office, "first_name": "Bench", "last_name": "Client",
                                              "activation_date": "2023-01-01"}, 201)["id"]
        product = _post(c, "/api/v1/loan-products", {**PRODUCT, "number_of_repayments": installments}, 201)["id"]
        loans = []
        for _ in range(count):
            loan = _post(c, "/api/v1/loans", {"client_id": client, "product_id": product,
                                              "principal": "1000000.00", "submitted_on": "2024-01-01",
                                              "expected_disbursement_date": "2024-01-01"}, 201)["id"]
            _post(c, f"/api/v1/loans/{loan}/approve", {"approved_on": "2024-01-01"})
            _post(c, f"/api/v1/loans/{loan}/disburse", {"disbursed_on": "2024-01-01"})
            loans.append(loan)
    return loans


def _repayer(base: str, token: str, loans: list[int], seconds: float, out: Any) -> None:
    """Repayments of 1.00: one call each on a single loan, or collection sheets repaying each of `loans`."""
    done = 0
    line = {"transaction_date": "2024-02-01", "amount": "1.00"}
    if len(loans) == 1:
        path, body = f"/api/v1/loans/{loans[0]}/repayments", line
    else:
        path, body = "/api/v1/collection-sheets", {"transaction_date": "2024-02-01", "repayments": [
            {"loan_id": loan, "amount": "1.00"} for loan in loans]}
    with KeepAliveClient(int(base.rsplit(":", 1)[1]), _headers(base, token)) as c:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            status, answer = c.request("POST", path, body)
            assert status == 201, answer
            done += len(loans)
    out.put(done)


def http_repayments_per_second(base: str, token: str, loans: list[list[int]], seconds: float) -> float:
    """Each client process repays its own loans (no two clients share a loan)."""
    out: Any = mp.Queue()
    procs = [mp.Process(target=_repayer, args=(base, token, own, seconds, out)) for own in loans]
    start = time.perf_counter()
    for p in procs:
        p.start()
    total = sum(int(out.get()) for _ in procs)
    for p in procs:
        p.join()
    return total / (time.perf_counter() - start)


def statements_per_repayment(rt: Runtime, loan_id: int, repeats: int = 50) -> float:
    from akiba.loans.api import router  # noqa: F401  # registers the loan commands
    from akiba.loans.schemas import Repayment
    from akiba.platform.commands import execute
    from akiba.platform.context import Principal

    tenant = rt.registry.require_active("bench")
    who = Principal(user_id=1, username="admin", tenant=tenant, permissions=frozenset({"*"}))
    body = Repayment(transaction_date=date(2024, 2, 1), amount=Decimal("1.00"))
    execute(rt, who, "loans:repay", body, resource_id=loan_id)  # warm caches
    seen: list[str] = []

    def count(*_: Any) -> None:
        seen.append("x")

    engine = engine_for(tenant.shard_url)
    event.listen(engine, "before_cursor_execute", count)
    for _ in range(repeats):
        execute(rt, who, "loans:repay", body, resource_id=loan_id)
    event.remove(engine, "before_cursor_execute", count)
    return len(seen) / repeats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    # A group of 25 members (MISSION.md) brings its meeting's repayments back as one collection sheet.
    parser.add_argument("--sheet", type=int, default=25)
    # A year of monthly installments, the commonest microfinance loan; the work per repayment grows with the count.
    parser.add_argument("--installments", type=int, default=12)
    args = parser.parse_args()
    configure_logging("WARNING")
    monthly, weekly = schedules_per_second(MONTHLY_12), schedules_per_second(WEEKLY_52)
    print(f"schedules/s, one core: 12-period monthly {monthly:,.0f} (target 5,000); "
          f"52-period weekly {weekly:,.0f} (target 1,500)", flush=True)
    with scratch_home("akiba-bench-loans-") as home:
        server_url, rt = scratch_platform(home, "akiba_bench_loans")
        control_url = rt.control_url
        create_tenant(rt, "bench", "Bench", PASSWORD)
        port = free_port()
        server = serve(home, control_url, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        token = _login(base)
        loans = _setup_loans(base, token, args.clients * args.sheet + 1, args.installments)
        print(f"SQL statements per repayment: {statements_per_repayment(rt, loans[-1]):.1f} (one commit)",
              flush=True)
        rates = {}
        for size in (1, args.sheet):
            own = [loans[n * args.sheet:n * args.sheet + size] for n in range(args.clients)]
            http_repayments_per_second(base, token, own, 2)  # warm-up
            rates[size] = http_repayments_per_second(base, token, own, args.seconds)
            how = "one per call" if size == 1 else f"collection sheets of {size} loans"
            print(f"repayments through HTTP, {how}: {rates[size]:.0f}/s ({args.clients} client processes, "
                  f"{args.workers} uvicorn worker processes, loans of {args.installments} installments; "
                  f"{load_average()})", flush=True)
        server.terminate()
        server.wait(timeout=30)
        dispose_engines()
        pgbench = pgbench_tps(server_url, args.seconds, args.clients)
        print(f"pgbench TPC-B: {pgbench:.0f} TPS (scale 10, {args.clients} clients)", flush=True)
        for size, rate in rates.items():
            how = "one per call" if size == 1 else f"collection sheets of {size} loans"
            print(f"ratio repayments/pgbench, {how}: {rate / pgbench:.2f} (target >= 0.25)", flush=True)


if __name__ == "__main__":
    main()
