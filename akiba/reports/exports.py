"""CSV and XLSX exports written row by row: memory depends on the cursor's batch, never on the row count."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import xlsxwriter

CHUNK_BYTES = 64 * 1024


class _Line:
    """A write-only file for csv.writer that hands back what was written since the last call."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def write(self, data: str) -> int:
        return self.buffer.write(data)

    def take(self) -> str:
        value = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return value


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """UTF-8 CSV in chunks of about CHUNK_BYTES: few enough writes to be fast, small enough to stay flat."""
    line = _Line()
    writer = csv.writer(line, lineterminator="\r\n")
    writer.writerow(header)
    pending = [line.take()]
    size = 0
    for row in rows:
        writer.writerow(row)
        text = line.take()
        pending.append(text)
        size += len(text)
        if size >= CHUNK_BYTES:
            yield "".join(pending).encode()
            pending, size = [], 0
    if pending:
        yield "".join(pending).encode()


def _xlsx_value(value: Any) -> Any:
    # A workbook keeps money as text with its exact digits: a float cell would change the amounts.
    if isinstance(value, Decimal):
        return str(value)
    return value


def xlsx_file(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Write an .xlsx with xlsxwriter's constant_memory mode (each row flushed to disk); returns its path."""
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="akiba-report-")
    os.close(fd)
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": tempfile.gettempdir()})
    try:
        sheet = workbook.add_worksheet(title[:31])
        bold = workbook.add_format({"bold": True})
        sheet.write_row(0, 0, list(header), bold)
        for n, row in enumerate(rows, start=1):
            sheet.write_row(n, 0, [_xlsx_value(v) for v in row])
    finally:
        workbook.close()
    return path


def file_stream(path: str, cleanup: Callable[[], None] | None = None) -> Iterator[bytes]:
    try:
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK_BYTES):
                yield chunk
    finally:
        os.unlink(path)
        if cleanup:
            cleanup()
