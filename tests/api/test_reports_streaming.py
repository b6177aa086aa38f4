"""Exports stream: the memory an export takes does not grow with its number of rows (CSV and XLSX).

Measured with tracemalloc around the same code the endpoint runs (read session, server-side cursor, CSV or
XLSX writer), because the HTTP test client buffers whole bodies and would hide streaming either way.
"""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from conftest import new_tenant
from sqlalchemy import text

from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo
from akiba.reports.catalogue import REPORTS
from akiba.reports.exports import csv_stream, file_stream, xlsx_file
from akiba.reports.registry import get_report
from akiba.reports.runner import formatter, report_session, stream_rows

SMALL, LARGE = 2_000, 60_000
assert "client-register" in REPORTS


@pytest.fixture(scope="module")
def big_tenant(runtime: Runtime) -> dict[str, Any]:
    tenant = new_tenant(runtime)
    with runtime.session(tenant) as s:
        offices = [s.execute(text("INSERT INTO offices (name, opening_date, hierarchy) VALUES (:n, '2020-01-01', '/')"
                                  " RETURNING id"), {"n": name}).scalar_one() for name in ("Small", "Large")]
        s.execute(text("UPDATE offices SET hierarchy = '/' || id || '/'"))
        for office, count in zip(offices, (SMALL, LARGE - SMALL), strict=True):
            s.execute(text("""
                INSERT INTO clients (office_id, status, first_name, last_name, display_name, submitted_on,
                                     activation_date)
                SELECT :office, 'active', 'First' || g, 'Last' || g, 'First' || g || ' Last' || g, '2024-01-01',
                       '2024-01-02'
                FROM generate_series(1, :n) g"""), {"office": office, "n": count})
        s.commit()
    return {"tenant": tenant, "small": offices[0]}


def _peak(run: Callable[[], int]) -> tuple[int, int]:
    tracemalloc.start()
    try:
        rows = run()
        return rows, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _csv_export(tenant: TenantInfo, params: dict[str, Any]) -> Callable[[], int]:
    report = get_report("client-register")

    def run() -> int:
        lines = 0
        with report_session(tenant) as s:
            rows = map(formatter(report), stream_rows(s, tenant, report, params))
            for chunk in csv_stream([c.name for c in report.columns], rows):
                lines += chunk.count(b"\n")  # the chunk is dropped here, as a socket would
        return lines - 1

    return run


def _xlsx_export(tenant: TenantInfo, params: dict[str, Any]) -> Callable[[], int]:
    report = get_report("client-register")

    def run() -> int:
        with report_session(tenant) as s:
            path = xlsx_file(report.title, [c.name for c in report.columns],
                             map(formatter(report), stream_rows(s, tenant, report, params)))
        size = os.path.getsize(path)
        for _ in file_stream(path):
            pass
        return size

    return run


def test_csv_export_memory_is_flat_in_the_row_count(big_tenant: dict[str, Any]) -> None:
    tenant = big_tenant["tenant"]
    small_rows, small_peak = _peak(_csv_export(tenant, {"office_id": big_tenant["small"], "status": None}))
    large_rows, large_peak = _peak(_csv_export(tenant, {"office_id": None, "status": None}))
    assert (small_rows, large_rows) == (SMALL, LARGE)
    # 30 times the rows, and at most a little more memory (cursor batches and CSV chunks are fixed in size)
    assert large_peak < small_peak * 1.5 + 1_000_000, (small_peak, large_peak)


def test_xlsx_export_memory_is_flat_in_the_row_count(big_tenant: dict[str, Any]) -> None:
    tenant = big_tenant["tenant"]
    small_size, small_peak = _peak(_xlsx_export(tenant, {"office_id": big_tenant["small"], "status": None}))
    large_size, large_peak = _peak(_xlsx_export(tenant, {"office_id": None, "status": None}))
    assert large_size > 10 * small_size
    assert large_peak < small_peak * 1.5 + 1_000_000, (small_peak, large_peak)
