"""Ledger benchmark: trial balance time as the journal grows, and posting throughput against pgbench.

    python -m bench ledger      # or: python bench/ledger.py [--small-lines 1000000] [--large-lines 5000000]

1. Set-based load of 4-line entries (10 offices, 365 days, 8 accounts) through the real tables and triggers (the
   deferred balance check, closure and header checks, the daily balance upsert), up to --small-lines, then up to
   --large-lines. At both sizes the consolidated trial balance is timed (median of 5); prints their ratio
   (target: below 1.5: statements read gl_daily_balances, whose size follows accounts x offices x days).
2. Posting service throughput: --clients processes each calling `post_entry` (4 legs, random office and day) and
   committing, for --seconds; then pgbench TPC-B (scale 10, same clients) on the same server for the same time.
   Prints both and the ratio (target: at least 0.5).

The embedded server lives in a temporary folder and stops with this process.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from akiba.accounting.posting import Leg, gl_account_id, post_entry  # noqa: E402
from akiba.accounting.queries import account_totals  # noqa: E402
from akiba.accounting.statements import trial_balance  # noqa: E402
from akiba.platform import embedded  # noqa: E402
from akiba.platform.bootstrap import configure_logging  # noqa: E402
from akiba.platform.db import commit, dispose_engines, tenant_session  # noqa: E402
from akiba.platform.provisioning import create_tenant  # noqa: E402
from akiba.platform.runtime import Runtime  # noqa: E402
from akiba.platform.settings import Settings  # noqa: E402
from akiba.platform.tenancy import TenantInfo, migrate_control  # noqa: E402

PASSWORD = "Bench-pass-1234"  # noqa: S105  # a throwaway tenant in a temporary database
OFFICES = 10
DAYS = 365
START = date(2024, 1, 1)
DEBIT_CODES = ("1210", "1220", "5100", "5300")
CREDIT_CODES = ("1110", "2100", "4100", "4200")

# Entries g in [lo, hi): office, day and accounts vary with g; two debits, two credits, balanced amounts.
LOAD = text("""
WITH e AS (
  INSERT INTO journal_entries (office_id, currency, transaction_date, source, source_id)
  SELECT (CAST(:offices AS integer[]))[1 + g % :n_offices], 'USD',
         CAST(:start AS date) + CAST(g % :days AS integer), 'bench', g
    FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint) - 1) AS g
  RETURNING id, office_id, transaction_date
)
INSERT INTO journal_lines (entry_id, transaction_date, gl_account_id, office_id, currency, side, amount)
SELECT e.id, e.transaction_date, l.gl, e.office_id, 'USD', l.side, l.amount
  FROM e,
       LATERAL (SELECT CAST(e.id % 997 + 1 AS numeric) AS x, CAST(e.id % 13 + 1 AS numeric) / 4 AS y,
                       CAST(:dr AS integer[]) AS dr, CAST(:cr AS integer[]) AS cr) AS a,
       LATERAL (VALUES (a.dr[1 + e.id % 4], 'debit', a.x),
                       (a.dr[1 + (e.id + 1) % 4], 'debit', a.y),
                       (a.cr[1 + e.id % 4], 'credit', a.x + a.y - 1),
                       (a.cr[1 + (e.id + 3) % 4], 'credit', CAST(1 AS numeric))) AS l(gl, side, amount)
""")



def _database(server_url: str, name: str) -> str:
    with psycopg.connect(embedded.libpq_uri(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base, _, query = server_url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}?{query}"


def _setup(tenant: TenantInfo) -> tuple[list[int], list[int], list[int]]:
    with tenant_session(tenant.shard_url, tenant.schema) as s:
        head = s.scalar(text("INSERT INTO offices (name, hierarchy, opening_date) VALUES ('Head', '/', '2020-01-01') "
                             "RETURNING id"))
        s.execute(text("UPDATE offices SET hierarchy = '/' || id || '/' WHERE id = :h"), {"h": head})
        offices = [head, *s.scalars(text(
            "INSERT INTO offices (name, parent_id, hierarchy, opening_date) "
            "SELECT 'Branch ' || n, :h, '/' || :h || '/', '2020-01-01' FROM generate_series(1, :n) n RETURNING id"),
            {"h": head, "n": OFFICES - 1})]
        dr = [gl_account_id(s, c) for c in DEBIT_CODES]
        cr = [gl_account_id(s, c) for c in CREDIT_CODES]
        commit(s)
    return offices, dr, cr


def _load(tenant: TenantInfo, offices: list[int], dr: list[int], cr: list[int], first: int, entries: int,
          chunk: int = 50_000) -> float:
    started = time.perf_counter()
    for lo in range(first, first + entries, chunk):
        hi = min(lo + chunk, first + entries)
        with tenant_session(tenant.shard_url, tenant.schema) as s:
            s.execute(LOAD, {"offices": offices, "n_offices": len(offices), "start": START, "days": DAYS,
                             "lo": lo, "hi": hi, "dr": dr, "cr": cr})
            commit(s)
    took = time.perf_counter() - started
    # Each load statement rewrote the day rows it touched; vacuum them as autovacuum would in production.
    with tenant_session(tenant.shard_url, tenant.schema) as s:
        conn = s.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        conn.execute(text("SELECT set_config('search_path', :p, false)"), {"p": tenant.schema})
        conn.execute(text("VACUUM ANALYZE journal_lines"))
        conn.execute(text("VACUUM ANALYZE gl_daily_balances"))
    return took


def _time_trial_balance(tenant: TenantInfo, repeats: int = 5) -> tuple[float, str]:
    times = []
    total = ""
    for _ in range(repeats):
        with tenant_session(tenant.shard_url, tenant.schema) as s:
            started = time.perf_counter()
            tb = trial_balance(account_totals(s, currency="USD", to=START + timedelta(days=DAYS)))
            times.append(time.perf_counter() - started)
            assert tb.total_debit == tb.total_credit
            total = str(tb.total_debit)
    return statistics.median(times), total


def _count(tenant: TenantInfo, table: str) -> int:
    with tenant_session(tenant.shard_url, tenant.schema) as s:
        count = s.scalar(text("SELECT count(*) FROM " + table))  # a fixed table name of this script
        return int(count)


def _poster(shard_url: str, schema: str, offices: list[int], dr: list[int], cr: list[int], seconds: float,
            seed: int, results: mp.Queue) -> None:  # type: ignore[type-arg]
    """One client process: post 4-leg entries through the posting service, one commit each."""
    configure_logging("WARNING")
    rng = random.Random(seed)
    done = 0
    stop_at = time.monotonic() + seconds
    with tenant_session(shard_url, schema) as s:
        while time.monotonic() < stop_at:
            a, b = Decimal(rng.randint(100, 99_999)) / 100, Decimal(rng.randint(100, 9_999)) / 100
            legs = [Leg(rng.choice(dr), "debit", a), Leg(rng.choice(dr), "debit", b),
                    Leg(rng.choice(cr), "credit", a + b - 1), Leg(rng.choice(cr), "credit", Decimal(1))]
            post_entry(s, office_id=rng.choice(offices), currency="USD",
                       transaction_date=START + timedelta(days=DAYS + rng.randrange(30)),
                       source="bench", source_id=None, legs=legs)
            commit(s)
            done += 1
    results.put(done)


def _posting_tps(tenant: TenantInfo, offices: list[int], dr: list[int], cr: list[int], seconds: float,
                 clients: int) -> float:
    ctx = mp.get_context("spawn")
    results: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_poster, args=(tenant.shard_url, tenant.schema, offices, dr, cr, seconds, n, results))
             for n in range(clients)]
    started = time.monotonic()
    for p in procs:
        p.start()
    total = sum(results.get() for _ in procs)
    for p in procs:
        p.join()
    elapsed = time.monotonic() - started
    # Process start-up (imports) is inside `elapsed` but not inside each client's posting loop: use `seconds`.
    del elapsed
    return total / seconds


def _pgbench(server_url: str, seconds: int, clients: int) -> float:
    url = embedded.libpq_uri(_database(server_url, "pgbench_ledger"))
    pgbench = str(embedded.bin_dir() / "pgbench")
    subprocess.run([pgbench, "-i", "-s", "10", "-q", url], check=True, capture_output=True)
    out = subprocess.run([pgbench, "-c", str(clients), "-j", str(clients), "-T", str(seconds), url],
                         check=True, capture_output=True, text=True).stdout
    found = re.search(r"tps = ([0-9.]+)", out)
    assert found, out
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small-lines", type=int, default=1_000_000)
    parser.add_argument("--large-lines", type=int, default=5_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    configure_logging("WARNING")
    with tempfile.TemporaryDirectory(prefix="akiba-bench-ledger-") as tmp:
        home = Path(tmp)
        server_url = embedded.start(home / "pg", database="postgres")
        control_url = _database(server_url, "akiba_bench")
        migrate_control(control_url)
        rt = Runtime(Settings(home=home, token_rate_limit_per_minute=100_000), control_url)
        tenant = create_tenant(rt, "bench", "Bench", PASSWORD)
        offices, dr, cr = _setup(tenant)

        small_entries = args.small_lines // 4
        took = _load(tenant, offices, dr, cr, 1, small_entries)
        lines = _count(tenant, "journal_lines")
        print(f"loaded {lines:,} lines in {took:.1f} s ({lines / took:,.0f} lines/s, set-based, triggers on)",
              flush=True)
        small_tb, small_total = _time_trial_balance(tenant)
        print(f"trial balance at {lines:,} lines: {small_tb * 1000:.1f} ms (total debit {small_total}, "
              f"{_count(tenant, 'gl_daily_balances'):,} daily balance rows)", flush=True)

        more = args.large_lines // 4 - small_entries
        took = _load(tenant, offices, dr, cr, 1 + small_entries, more)
        lines = _count(tenant, "journal_lines")
        print(f"loaded up to {lines:,} lines (+{more * 4:,} in {took:.1f} s)", flush=True)
        large_tb, large_total = _time_trial_balance(tenant)
        print(f"trial balance at {lines:,} lines: {large_tb * 1000:.1f} ms (total debit {large_total}, "
              f"{_count(tenant, 'gl_daily_balances'):,} daily balance rows)", flush=True)
        print(f"ratio large/small: {large_tb / small_tb:.2f} (target < 1.5)", flush=True)

        _posting_tps(tenant, offices, dr, cr, 3, args.clients)  # warm-up
        posting = _posting_tps(tenant, offices, dr, cr, args.seconds, args.clients)
        print(f"posting service: {posting:.0f} entries/s (4 legs each, {args.clients} client processes, "
              "one commit per entry)", flush=True)
        dispose_engines()
        pgbench = _pgbench(server_url, args.seconds, args.clients)
        print(f"pgbench TPC-B: {pgbench:.0f} TPS (scale 10, {args.clients} clients)", flush=True)
        print(f"ratio posting/pgbench: {posting / pgbench:.2f} (target >= 0.5)", flush=True)


if __name__ == "__main__":
    main()
