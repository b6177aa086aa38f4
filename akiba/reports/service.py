"""Report commands (regional grants, statement settings) and the regional aggregation across tenants."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from akiba.accounting.currencies import currency_digits
from akiba.core.errors import DomainError, invalid
from akiba.core.money import money_str
from akiba.platform.commands import command, emit
from akiba.platform.context import Principal
from akiba.platform.provisioning import business_date
from akiba.platform.tenancy import Registry, TenantInfo
from akiba.reports.models import RegionGrant, StatementSettings
from akiba.reports.registry import Report
from akiba.reports.runner import check_available, check_office, formatter, report_session, stream_rows

REGIONAL_PERMISSION = "platform:reports"
MAX_REGION_TENANTS = 300


class RegionGrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region_tenant: str = Field(pattern=r"^[a-z][a-z0-9_]{1,30}$")


class StatementSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    institution_name: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=1000)
    complaints_contact: str = Field(default="", max_length=1000)
    regulator_note: str = Field(default="", max_length=2000)


def grants_view(s: Session) -> dict[str, Any]:
    rows = s.scalars(select(RegionGrant).order_by(RegionGrant.region_tenant))
    return {"items": [{"region_tenant": g.region_tenant, "granted_by": g.granted_by, "granted_at": g.granted_at}
                      for g in rows]}


@command("reports:grant-region", resource="report_grant", payload=RegionGrantIn, status=201)
def grant_region(s: Session, who: Principal, data: RegionGrantIn, _rid: int | None) -> dict[str, Any]:
    """This institution lets the named (regional) tenant run its reports; repeating the grant changes nothing."""
    if data.region_tenant == who.tenant.id:
        raise invalid("region_tenant", "a tenant always reads its own reports")
    s.execute(insert(RegionGrant).values(region_tenant=data.region_tenant, granted_by=who.username)
              .on_conflict_do_nothing())
    emit(s, "reports.region_granted", "report_grant", None, {"region_tenant": data.region_tenant})
    return grants_view(s)


@command("reports:revoke-region", resource="report_grant", payload=RegionGrantIn)
def revoke_region(s: Session, who: Principal, data: RegionGrantIn, _rid: int | None) -> dict[str, Any]:
    s.execute(delete(RegionGrant).where(RegionGrant.region_tenant == data.region_tenant))
    emit(s, "reports.region_revoked", "report_grant", None, {"region_tenant": data.region_tenant})
    return grants_view(s)


def statement_settings(s: Session) -> dict[str, Any]:
    row = s.get(StatementSettings, 1)
    if row is None:
        name = s.execute(text("SELECT institution_name FROM tenant_settings WHERE id = 1")).scalar() or ""
        return {"institution_name": name, "address": "", "complaints_contact": "", "regulator_note": ""}
    return {"institution_name": row.institution_name, "address": row.address,
            "complaints_contact": row.complaints_contact, "regulator_note": row.regulator_note}


@command("statements:configure", resource="statement_settings", payload=StatementSettingsIn)
def configure_statements(s: Session, who: Principal, data: StatementSettingsIn, _rid: int | None) -> dict[str, Any]:
    values = data.model_dump()
    s.execute(insert(StatementSettings).values(id=1, **values)
              .on_conflict_do_update(index_elements=["id"], set_=values))
    return statement_settings(s)


# --- regional aggregation -----------------------------------------------------------------------------------------

def region_targets(registry: Registry, caller: TenantInfo, tenant_ids: Sequence[str]) -> list[TenantInfo]:
    """The tenants a regional caller may read: each exists, is active, and granted the caller's tenant.

    Unknown, inactive and ungranted tenants get the same answer, so the call cannot probe which tenants exist.
    """
    if not tenant_ids:
        raise invalid("tenants", "name at least one tenant")
    if len(tenant_ids) > MAX_REGION_TENANTS:
        raise invalid("tenants", f"at most {MAX_REGION_TENANTS} tenants per call")
    targets = []
    for tenant_id in dict.fromkeys(tenant_ids):
        info = registry.get(tenant_id)
        if info is None or info.status != "active" or not _granted(info, caller):
            raise DomainError("forbidden", f"tenant {tenant_id} has not granted {caller.id} its reports", status=403)
        targets.append(info)
    return targets


def _granted(target: TenantInfo, caller: TenantInfo) -> bool:
    if target.id == caller.id:
        return True
    with report_session(target) as s:
        if s.execute(text("SELECT to_regclass('report_region_grants')")).scalar() is None:
            return False
        return s.execute(text("SELECT 1 FROM report_region_grants WHERE region_tenant = :t"),
                         {"t": caller.id}).first() is not None


def _tenant_rows(report: Report, tenant: TenantInfo, query: Mapping[str, str]) -> list[list[Any]]:
    fmt = formatter(report)
    with report_session(tenant) as s:
        check_available(s, report)
        params = report.parse_params(query, lambda: business_date(s))
        check_office(s, params)
        return [[tenant.id, *fmt(row)] for row in stream_rows(s, tenant, report, params)]


def run_regional(report: Report, targets: Sequence[TenantInfo], query: Mapping[str, str]) -> dict[str, Any]:
    """The report on every tenant (each on its own shard or replica, a few at once), per-tenant rows plus totals."""
    with ThreadPoolExecutor(max_workers=min(8, len(targets))) as pool:
        per_tenant = list(pool.map(lambda t: _tenant_rows(report, t, query), targets))
    rows = [row for tenant_rows in per_tenant for row in tenant_rows]
    return {"report": report.name, "tenants": [t.id for t in targets],
            "columns": ["tenant", *[c.name for c in report.columns]], "rows": rows, "totals": totals(report, rows)}


def totals(report: Report, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Sums of the summable columns, one line per currency (amounts of two currencies never add up)."""
    names = ["tenant", *[c.name for c in report.columns]]
    summed = [(names.index(c.name), c) for c in report.columns if c.total]
    currency_at = names.index("currency") if "currency" in names else None
    lines: dict[str | None, dict[str, Decimal]] = {}
    for row in rows:
        key = row[currency_at] if currency_at is not None else None
        line = lines.setdefault(key, {c.name: Decimal(0) for _, c in summed})
        for at, c in summed:
            if row[at] is not None:
                line[c.name] += Decimal(str(row[at]))
    out = []
    for key, line in lines.items():
        entry: dict[str, Any] = {"currency": key} if currency_at is not None else {}
        for _, c in summed:
            value = line[c.name]
            entry[c.name] = money_str(value, currency_digits(key) if key else 2) if c.kind == "money" else int(value)
        out.append(entry)
    return out
