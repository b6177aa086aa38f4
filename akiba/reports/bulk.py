"""Bulk statements: every loan and savings account of a tenant for one month, as PDF files.

Files go to $AKIBA_HOME/statements/<tenant>/<YYYY-MM>/{loan,savings}-<id>.pdf. Each is written to a
temporary name and renamed into place, so a file that exists is complete: a re-run (after a crash, or
twice) skips what is there and regenerates nothing. Work is split by account id over worker processes,
each reading from the tenant's replica when it has one.

`generate_slice` is the unit a job queue can run (close of business's procrastinate pool, for instance):
idempotent, any number of times, in any order.
"""

from __future__ import annotations

import calendar
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from akiba.core.errors import invalid
from akiba.platform.tenancy import Registry, TenantInfo
from akiba.reports.pdf import statement_pdf
from akiba.reports.runner import report_session
from akiba.reports.service import statement_settings
from akiba.reports.statements import loan_statement, savings_statement

BATCH = 500

# Accounts that had a life in the month: opened on or before its end, not closed before its start.
_LOANS = text("""
SELECT id FROM loans
WHERE disbursed_on <= :to AND (closed_on IS NULL OR closed_on >= :from) AND id % :slices = :slice AND id > :after
ORDER BY id LIMIT :batch""")
_SAVINGS = text("""
SELECT id FROM savings_accounts
WHERE activated_on <= :to AND (closed_on IS NULL OR closed_on >= :from) AND id % :slices = :slice AND id > :after
ORDER BY id LIMIT :batch""")
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
