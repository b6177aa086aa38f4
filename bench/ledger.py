"""Ledger benchmark: trial balance time as the journal grows, and posting throughput against pgbench.

    python -m bench ledger      # or: python bench/ledger.py [--small-lines 1000000] [--large-lines 5000000]

1. Set-based load of 4-line entries (10 offices, 365 days, 8 accounts) through the real tables and triggers (the
   deferred balance check, closure and header checks, the daily balance upsert), up to --small-lines, then up to
   --large-lines. After each load: VACUUM ANALYZE (as autovacuum would), one warm-up run, then the consolidated
   trial balance (a whole unit of work: session, query, statement) --repeats times; prints the best and the median
   at both sizes, their ratio (target: below 1.5: statements read gl_daily_balances only, whose size follows
   accounts x offices x days), the pages of gl_daily_balances and the tables the plan reads.
2. Posting service throughput: --clients processes (not threads: the GIL would serialise the Python half of the
   work) each running the real unit of work -- open a tenant session, `post_entry` (4 legs, random office, day
   and accounts), `commit` -- over and over; all start together behind a barrier and post for --seconds. Then
   pgbench TPC-B (scale 10, same clients) on the same server for the same time. Prints both, the ratio (target:
   at least 0.5) and the load average at each step (the machine is shared: read the figures with it).

The embedded server lives in a temporary folder and stops with this process.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import re
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from akiba.accounting.posting import Leg, gl_account_id, post_entry  # noqa: E402
from akiba.accounting.queries import account_totals  # noqa: E402
from akiba.accounting.statements import trial_balance  # noqa: E402
from akiba.platform.bootstrap import configure_logging  # noqa: E402
from akiba.platform.db import commit, dispose_engines, tenant_session  # noqa: E402
from akiba.platform.provisioning import create_tenant  # noqa: E402
from akiba.platform.tenancy import TenantInfo  # noqa: E402
from bench._common import PASSWORD, load_average, pgbench_tps, scratch_home, scratch_platform  # noqa: E402

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


def _time_trial_balance(tenant: TenantInfo, repeats: int) -> tuple[float, float, str]:
    """Best and median of `repeats` warm runs of the consolidated trial balance, each its own unit of work."""
    times = []
    total = ""
    for _ in range(repeats + 1):  # the first run warms the cache and the plan; it is not counted
        started = time.perf_counter()
        with tenant_session(tenant.shard_url, tenant.schema) as s:
            tb = trial_balance(account_totals(s, currency="USD", to=START + timedelta(days=DAYS)))
        times.append(time.perf_counter() - started)
        assert tb.total_debit == tb.total_credit
        total = str(tb.total_debit)
    return min(times[1:]), statistics.median(times[1:]), total


def _plan_tables(tenant: TenantInfo) -> str:
    """The tables the trial balance's plan reads, and the pages of gl_daily_balances (its only growing input)."""
    with tenant_session(tenant.shard_url, tenant.schema) as s:
        query = account_totals_sql(s)
        plan = s.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + query[0], query[1]).scalar_one()
        pages = s.scalar(text("SELECT pg_relation_size('gl_daily_balances') / current_setting('block_size')::int"))
    tables = sorted(set(re.findall(r"'Relation Name': '([a-z_]+)'", str(plan))))
    return f"plan reads {', '.join(tables)}; gl_daily_balances {pages} pages"


def account_totals_sql(s: Session) -> tuple[str, dict[str, object]]:
    """The SQL and parameters account_totals sends, in the driver's own parameter style."""
    captured: list[tuple[str, dict[str, object]]] = []

    def grab(_conn: object, _cursor: object, statement: str, parameters: object, *_args: object) -> None:
        captured.append((statement, dict(parameters) if isinstance(parameters, dict) else {}))

    engine = s.get_bind()
    event.listen(engine, "before_cursor_execute", grab)
    try:
        account_totals(s, currency="USD", to=START + timedelta(days=DAYS))
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return captured[-1]


def _count(tenant: TenantInfo, table: str) -> int:
    with tenant_session(tenant.shard_url, tenant.schema) as s:
        count = s.scalar(text("SELECT count(*) FROM " + table))  # a fixed table name of this script
        return int(count)


def _poster(shard_url: str, schema: str, offices: list[int], dr: list[int], cr: list[int], seconds: float,
            seed: int, start: mp.synchronize.Barrier, results: mp.Queue) -> None:  # type: ignore[type-arg]
    """One client process: the unit of work of a command that posts -- session, post_entry (4 legs), commit."""
    configure_logging("WARNING")
    rng = random.Random(seed)
    done = 0
    _post_one(shard_url, schema, offices, dr, cr, rng)  # connect and warm the prepared statements before the clock
    start.wait()
    stop_at = time.monotonic() + seconds
    while time.monotonic() < stop_at:
        _post_one(shard_url, schema, offices, dr, cr, rng)
        done += 1
    results.put(done)


def _post_one(shard_url: str, schema: str, offices: list[int], dr: list[int], cr: list[int],
              rng: random.Random) -> None:
    a, b = Decimal(rng.randint(100, 99_999)) / 100, Decimal(rng.randint(100, 9_999)) / 100
    legs = [Leg(rng.choice(dr), "debit", a), Leg(rng.choice(dr), "debit", b),
            Leg(rng.choice(cr), "credit", a + b - 1), Leg(rng.choice(cr), "credit", Decimal(1))]
    with tenant_session(shard_url, schema) as s:
        post_entry(s, office_id=rng.choice(offices), currency="USD",
                   transaction_date=START + timedelta(days=DAYS + rng.randrange(30)),
                   source="bench", source_id=None, legs=legs)
        commit(s)


def _posting_tps(tenant: TenantInfo, offices: list[int], dr: list[int], cr: list[int], seconds: float,
                 clients: int) -> float:
    ctx = mp.get_context("spawn")
    results: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    start = ctx.Barrier(clients)
    procs = [ctx.Process(target=_poster, args=(tenant.shard_url, tenant.schema, offices, dr, cr, seconds, n, start,
                                               results))
             for n in range(clients)]
    for p in procs:
        p.start()
    total = sum(int(results.get()) for _ in procs)
    for p in procs:
        p.join()
    return total / seconds  # every client posted for exactly `seconds`, all at once (the barrier)


def _report_trial_balance(tenant: TenantInfo, repeats: int) -> float:
    lines = _count(tenant, "journal_lines")
    best, median, total = _time_trial_balance(tenant, repeats)
    print(f"trial balance at {lines:,} lines: best {best * 1000:.1f} ms, median {median * 1000:.1f} ms of {repeats} "
          f"(total debit {total}, {_count(tenant, 'gl_daily_balances'):,} daily balance rows; {_plan_tables(tenant)}; "
          f"{load_average()})", flush=True)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small-lines", type=int, default=1_000_000)
    parser.add_argument("--large-lines", type=int, default=5_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    configure_logging("WARNING")
    with scratch_home("akiba-bench-ledger-") as home:
        server_url, rt = scratch_platform(home, "akiba_bench")
        tenant = create_tenant(rt, "bench", "Bench", PASSWORD)
        offices, dr, cr = _setup(tenant)

        small_entries = args.small_lines // 4
        took = _load(tenant, offices, dr, cr, 1, small_entries)
        lines = _count(tenant, "journal_lines")
        print(f"loaded {lines:,} lines in {took:.1f} s ({lines / took:,.0f} lines/s, set-based, triggers on)",
              flush=True)
        small_tb = _report_trial_balance(tenant, args.repeats)

        more = args.large_lines // 4 - small_entries
        took = _load(tenant, offices, dr, cr, 1 + small_entries, more)
        print(f"loaded up to {_count(tenant, 'journal_lines'):,} lines (+{more * 4:,} in {took:.1f} s)", flush=True)
        large_tb = _report_trial_balance(tenant, args.repeats)
        print(f"ratio large/small (best of {args.repeats} each): {large_tb / small_tb:.2f} (target < 1.5)", flush=True)

        _posting_tps(tenant, offices, dr, cr, 3, args.clients)  # warm-up
        print(f"posting starts ({load_average()})", flush=True)
        posting = _posting_tps(tenant, offices, dr, cr, args.seconds, args.clients)
        print(f"posting service: {posting:.0f} entries/s (4 legs each, {args.clients} client processes, one session "
              f"and one commit per entry; {load_average()})", flush=True)
        dispose_engines()
        pgbench = pgbench_tps(server_url, args.seconds, args.clients)
        print(f"pgbench TPC-B: {pgbench:.0f} TPS (scale 10, {args.clients} clients; {load_average()})", flush=True)
        print(f"ratio posting/pgbench: {posting / pgbench:.2f} (target >= 0.5)", flush=True)


if __name__ == "__main__":
    main()
