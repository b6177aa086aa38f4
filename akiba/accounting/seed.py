"""Seed a new tenant with the standard microfinance chart of accounts and its financial activity mappings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from akiba.accounting.chart import FINANCIAL_ACTIVITIES, STANDARD_CHART
from akiba.accounting.models import FinancialActivityMapping, GLAccount
from akiba.platform.tenancy import TenantInfo


def seed_chart(s: Session) -> dict[str, int]:
    """Insert the standard chart (parents first) unless the tenant already has accounts; returns code -> id."""
    existing = dict(s.execute(select(GLAccount.gl_code, GLAccount.id)).tuples().all())
    if existing:
        return existing
    ids: dict[str, int] = {}
    for account in STANDARD_CHART:  # listed parents first
        row = GLAccount(gl_code=account.gl_code, name=account.name, type=account.type, usage=account.usage,
                        parent_id=ids[account.parent_code] if account.parent_code else None,
                        tags=list(account.tags), enabled=True, manual_entries_allowed=True, description="")
        s.add(row)
        s.flush()
        ids[account.gl_code] = row.id
    s.add_all(FinancialActivityMapping(activity=activity, gl_account_id=ids[code])
              for activity, code in FINANCIAL_ACTIVITIES.items())
    s.flush()
    return ids


def seed_tenant(s: Session, tenant: TenantInfo) -> None:
    seed_chart(s)
