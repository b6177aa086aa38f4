"""A new tenant: registry row, schema at head, standard roles, its admin user and each feature's seed data."""

from __future__ import annotations

import importlib
from datetime import date

from sqlalchemy.orm import Session

from akiba.platform.db import commit
from akiba.platform.models import Role, TenantSetting, User, UserRole
from akiba.platform.runtime import Runtime
from akiba.platform.security import check_password_policy, hash_password
from akiba.platform.tenancy import TenantInfo, register_tenant

# Features that seed a new tenant (e.g. the standard chart of accounts) expose `seed_tenant(session, tenant)`.
FEATURE_SEEDERS: list[str] = [
    "akiba.accounting.seed",
    "akiba.org.seed",
]

STANDARD_ROLES: dict[str, tuple[str, list[str]]] = {
    "admin": ("Every permission of the tenant", ["*"]),
    "loan-officer": ("Field staff: customers, loan applications and collections", [
        "clients:*", "groups:*", "centers:*", "offices:read", "staff:read", "codes:read", "holidays:read",
        "working_days:read", "loanproducts:read", "loans:read", "loans:create", "loans:update", "loans:withdraw",
        "loans:repay", "loans:prepay", "savingsproducts:read", "savings:read", "savings:create", "savings:deposit",
        "collectionsheets:save", "reports:loans-due", "reports:portfolio-at-risk", "reports:arrears-ageing",
        "reports:read",
    ]),
    "branch-manager": ("Approves and disburses; sees the branch's reports", [
        "clients:*", "groups:*", "centers:*", "offices:read", "staff:read", "codes:read", "holidays:read",
        "working_days:read", "loanproducts:read", "loans:*", "savingsproducts:read", "savings:*", "reports:*",
        "collectionsheets:save", "statements:read", "audit:read", "cob:read",
    ]),
    "teller": ("Cash desk: deposits, withdrawals and repayments", [
        "clients:read", "offices:read", "savings:read", "savings:deposit", "savings:withdraw", "savings:transfer",
        "loans:read", "loans:repay", "collectionsheets:save", "statements:read",
    ]),
    "accountant": ("The books and the close of business", [
        "accounting:*", "journal:*", "gl:*", "offices:read", "reports:*", "cob:*", "statements:*",
    ]),
    "auditor": ("Read-only, audit trails included", [
        "audit:read", "clients:read", "groups:read", "centers:read", "offices:read", "staff:read", "codes:read",
        "holidays:read", "working_days:read", "loanproducts:read", "loans:read", "savingsproducts:read",
        "savings:read", "accounting:read", "gl:read", "journal:read", "reports:*", "statements:read", "cob:read",
        "roles:read", "users:read", "makerchecker:read",
    ]),
}


def seed_roles(s: Session) -> dict[str, Role]:
    roles = {name: Role(name=name, description=desc, permissions=perms)
             for name, (desc, perms) in STANDARD_ROLES.items()}
    s.add_all(roles.values())
    s.flush()
    return roles


def add_user(s: Session, username: str, password: str, role: Role, display_name: str = "",
             enforce_policy: bool = True) -> User:
    if enforce_policy:
        check_password_policy(password, "admin_password")
    user = User(username=username, password_hash=hash_password(password), display_name=display_name or username)
    s.add(user)
    s.flush()
    s.add(UserRole(user_id=user.id, role_id=role.id))
    return user


def create_tenant(
    rt: Runtime,
    tenant_id: str,
    name: str,
    admin_password: str,
    *,
    shard_url: str | None = None,
    timezone: str = "UTC",
    base_currency: str = "USD",
    enforce_policy: bool = True,
) -> TenantInfo:
    if enforce_policy:
        check_password_policy(admin_password, "admin_password")
    info = register_tenant(rt.control_url, tenant_id, name, shard_url=shard_url, timezone=timezone,
                           base_currency=base_currency)
    with rt.session(info) as s:
        roles = seed_roles(s)
        add_user(s, "admin", admin_password, roles["admin"], "Administrator", enforce_policy=False)
        s.add(TenantSetting(id=1, business_date=info.today(), institution_name=name))
        for module in FEATURE_SEEDERS:
            importlib.import_module(module).seed_tenant(s, info)
        commit(s)
    rt.registry.forget(tenant_id)
    return info


def business_date(s: Session) -> date:
    setting = s.get(TenantSetting, 1)
    assert setting is not None, "every tenant has its settings row from creation"
    return setting.business_date
