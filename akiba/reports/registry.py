"""The report catalogue: named, reviewed SQL queries with typed parameters and a permission each.

No SQL ever comes from a caller: a report is code reviewed like any other, its parameters are parsed into
typed values here and bound by the driver (`text()` with `:name` placeholders), never formatted into SQL.
A few reports (the accounting statements) compute their rows in Python from another feature's queries; they
declare `rows` instead of `sql` and are listed and exported exactly like the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from sqlalchemy.orm import Session

from akiba.core.errors import invalid, not_found
from akiba.platform.tenancy import TenantInfo

ParamKind = Literal["date", "office_id", "int", "choice", "str"]
RowSource = Callable[[Session, TenantInfo, dict[str, Any]], Iterator[Sequence[Any]]]


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind
    title: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None  # a value, or "business_date" for dates that default to the tenant's business date

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.kind, "title": self.title, "required": self.required}
        if self.choices:
            out["choices"] = list(self.choices)
        if self.default is not None:
            out["default"] = self.default
        return out

    def parse(self, raw: str) -> Any:
        raw = raw.strip()
        if self.kind == "date":
            try:
                return date.fromisoformat(raw)
            except ValueError:
                raise invalid(self.name, "must be a date YYYY-MM-DD") from None
        if self.kind in ("office_id", "int"):
            if not raw.isdigit() or len(raw) > 12:
                raise invalid(self.name, "must be a positive integer")
            return int(raw)
        if self.kind == "choice":
            if raw not in self.choices:
                raise invalid(self.name, f"must be one of {', '.join(self.choices)}")
            return raw
        if len(raw) > 200:
            raise invalid(self.name, "must be at most 200 characters")
        return raw


@dataclass(frozen=True)
class Column:
    name: str
    kind: Literal["text", "int", "money", "date", "percent"] = "text"
    total: bool = False  # summed in regional aggregation and shown as a total


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    columns: tuple[Column, ...]
    params: tuple[Param, ...] = ()
    sql: str | None = None
    rows: RowSource | None = None
    description: str = ""
    needs: tuple[str, ...] = ()  # tables that must exist (features not yet installed hide the report)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def permission(self) -> str:
        # `reports:*` (the accountant) runs every report; a role may also be given single reports.
        return f"reports:{self.name}"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "permission": self.permission,
            "parameters": [p.describe() for p in self.params],
            "columns": [{"name": c.name, "type": c.kind} for c in self.columns],
        }

    def parse_params(self, query: Mapping[str, str], business_date: Callable[[], date]) -> dict[str, Any]:
        """Typed values of every declared parameter; unknown names are refused so typos do not pass silently."""
        known = {p.name for p in self.params}
        for name in query:
            if name not in known:
                raise invalid(name, f"is not a parameter of report {self.name}")
        values: dict[str, Any] = {}
        for p in self.params:
            raw = query.get(p.name)
            if raw is None or raw.strip() == "":
                if p.required:
                    raise invalid(p.name, "is required")
                values[p.name] = business_date() if p.default == "business_date" else p.default
            else:
                values[p.name] = p.parse(raw)
        return values


REPORTS: dict[str, Report] = {}


def register(report: Report) -> Report:
    if report.name in REPORTS:
        raise ValueError(f"report {report.name} registered twice")
    if (report.sql is None) == (report.rows is None):
        raise ValueError(f"report {report.name} needs exactly one of sql or rows")
    REPORTS[report.name] = report
    return report


def get_report(name: str) -> Report:
    report = REPORTS.get(name)
    if report is None:
        raise not_found("report", name)
    return report


def office_param(required: bool = False) -> Param:
    return Param("office_id", "office_id", "Office (and every office below it)", required=required)


def as_of_param() -> Param:
    return Param("as_of", "date", "As of", default="business_date")


def period_params() -> tuple[Param, Param]:
    return (Param("from", "date", "From", required=True), Param("to", "date", "To", required=True))
