"""Bulk statements: every loan and savings account of a tenant for one month, as PDF files.

Files go to $AKIBA_HOME/statements/<tenant>/<YYYY-MM>/{loan,savings}-<id>.pdf. Each is written to a
temporary name and renamed into place, so a file that exists is complete: a re-run (after a crash, or
twice) skips what is there and regenerates nothing. Work is split by account id over worker processes,
each reading from the tenant's replica when it has one.

`generate_slice` (accounts whose id % slices is the slice's) serves the in-process pool of processes;
`generate_range` (accounts with ids in a range) is what a statement run's job renders (akiba.reports.runs).
Both are idempotent, any number of times, in any order.
"""

from __future__ import annotations

import calendar
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import structlog
from sqlalchemy import text
from sqlalchemy.orm import Session

from akiba.core.errors import invalid
from akiba.platform.tenancy import Registry, TenantInfo
from akiba.reports.pdf import statement_pdf
from akiba.reports.runner import report_session
from akiba.reports.service import statement_settings
from akiba.reports.statements import loan_statement, savings_statement

BATCH = 500
KINDS = ("loan", "savings")
log = structlog.get_logger()

# Accounts that had a life in the month: opened on or before its end, not closed before its start.
_LOANS = text("""
SELECT id FROM loans
WHERE disbursed_on <= :to AND (closed_on IS NULL OR closed_on >= :from) AND id % :slices = :slice AND id > :after
ORDER BY id LIMIT :batch""")
_SAVINGS = text("""
SELECT id FROM savings_accounts
WHERE activated_on <= :to AND (closed_on IS NULL OR closed_on >= :from) AND id % :slices = :slice AND id > :after
ORDER BY id LIMIT :batch""")
# The same accounts as above, for a run's plan (chunks of `size` accounts in id order) and for one chunk.
ELIGIBLE = {
    "loan": "FROM loans WHERE disbursed_on <= :to AND (closed_on IS NULL OR closed_on >= :from)",
    "savings": "FROM savings_accounts WHERE activated_on <= :to AND (closed_on IS NULL OR closed_on >= :from)",
}
_PLAN = {kind: text(f"""
SELECT min(id) AS first_id, max(id) AS last_id, count(*) AS accounts
FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / :size AS chunk {where}) t
GROUP BY chunk ORDER BY chunk""") for kind, where in ELIGIBLE.items()}  # noqa: S608  -- constant fragments
_RANGE = {kind: text(f"SELECT id {where} AND id BETWEEN :first AND :last ORDER BY id")
          for kind, where in ELIGIBLE.items()}
_BUILDERS = {"loan": loan_statement, "savings": savings_statement}
_COUNT = text("""
SELECT (SELECT count(*) FROM loans WHERE disbursed_on <= :to AND (closed_on IS NULL OR closed_on >= :from))
     + (SELECT count(*) FROM savings_accounts
        WHERE activated_on <= :to AND (closed_on IS NULL OR closed_on >= :from))""")


@dataclass(frozen=True)
class Month:
    first: date
    last: date

    @property
    def label(self) -> str:
        return self.first.strftime("%Y-%m")

    @classmethod
    def parse(cls, value: str) -> Month:
        try:
            year, month = (int(x) for x in value.split("-"))
            first = date(year, month, 1)
        except ValueError:
            raise invalid("month", "must be YYYY-MM") from None
        return cls(first, date(year, month, calendar.monthrange(year, month)[1]))


def output_dir(home: Path, tenant_id: str, month: Month) -> Path:
    return home / "statements" / tenant_id / month.label


def count_accounts(tenant: TenantInfo, month: Month) -> int:
    with report_session(tenant) as s:
        return int(s.execute(_COUNT, {"from": month.first, "to": month.last}).scalar_one())


def _ids(s: Session, query: object, month: Month, slices: int, slice_no: int) -> Iterator[int]:
    after = 0
    while True:
        bind = {"from": month.first, "to": month.last, "slices": slices, "slice": slice_no, "after": after,
                "batch": BATCH}
        batch = list(s.execute(query, bind).scalars())  # type: ignore[call-overload]
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1]


def plan_chunks(s: Session, kind: str, month: Month, size: int) -> list[tuple[int, int, int]]:
    """(first id, last id, accounts) of each chunk of `size` accounts of this kind with a statement this month."""
    bind = {"from": month.first, "to": month.last, "size": size}
    return [(r.first_id, r.last_id, r.accounts) for r in s.execute(_PLAN[kind], bind)]


@dataclass
class RangeOutcome:
    written: int = 0
    skipped: int = 0  # already on disk
    errors: dict[int, str] = field(default_factory=dict)  # account id -> why its statement failed


def generate_range(tenant: TenantInfo, month: Month, out: Path, kind: str, first_id: int,
                   last_id: int) -> RangeOutcome:
    """Render the statements of this kind's accounts with ids in [first_id, last_id] not yet on disk.

    An account whose statement fails (its data refused by a query, say) is recorded and the others go on: a
    savepoint keeps the failure from aborting the read transaction.
    """
    out.mkdir(parents=True, exist_ok=True)
    outcome = RangeOutcome()
    build = _BUILDERS[kind]
    with report_session(tenant) as s:
        institution = statement_settings(s)
        bind = {"from": month.first, "to": month.last, "first": first_id, "last": last_id}
        for account_id in list(s.execute(_RANGE[kind], bind).scalars()):
            path = out / f"{kind}-{account_id}.pdf"
            if path.exists():
                outcome.skipped += 1
                continue
            try:
                with s.begin_nested():
                    st = build(s, account_id, month.first, month.last, institution)
                _write_atomically(path, statement_pdf(st))
                outcome.written += 1
            except Exception as error:  # one account's bad data must not cost the others their statements
                log.warning("statement failed", tenant=tenant.id, kind=kind, account=account_id, error=str(error))
                outcome.errors[account_id] = f"{type(error).__name__}: {error}"[:500]
    return outcome


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(data)
    os.replace(partial, path)  # a file under its final name is always complete


def generate_slice(tenant: TenantInfo, month: Month, out: Path, slices: int = 1, slice_no: int = 0,
                   progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Render this slice's statements not yet on disk; returns (written, skipped)."""
    out.mkdir(parents=True, exist_ok=True)
    written = skipped = 0
    with report_session(tenant) as s:
        institution = statement_settings(s)
        for kind, query, build in (("loan", _LOANS, loan_statement), ("savings", _SAVINGS, savings_statement)):
            for account_id in _ids(s, query, month, slices, slice_no):
                path = out / f"{kind}-{account_id}.pdf"
                if path.exists():
                    skipped += 1
                else:
                    st = build(s, account_id, month.first, month.last, institution)
                    _write_atomically(path, statement_pdf(st))
                    written += 1
                if progress:
                    progress(1)
    return written, skipped


def _slice_in_process(control_url: str, tenant_id: str, month: str, out: str, slices: int,
                      slice_no: int) -> tuple[int, int]:
    tenant = Registry(control_url).require_active(tenant_id)
    return generate_slice(tenant, Month.parse(month), Path(out), slices, slice_no)


def generate_month(control_url: str, tenant: TenantInfo, month: Month, home: Path, workers: int = 1,
                   progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """All statements of the month, `workers` processes each taking the accounts whose id % workers is theirs."""
    out = output_dir(home, tenant.id, month)
    if workers <= 1:
        return generate_slice(tenant, month, out, progress=progress)
    written = skipped = 0
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_slice_in_process, control_url, tenant.id, month.label, str(out), workers, k)
                   for k in range(workers)]
        for done in as_completed(futures):
            w, sk = done.result()
            written, skipped = written + w, skipped + sk
            if progress:
                progress(w + sk)
    return written, skipped
