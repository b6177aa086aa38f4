"""Demo data for the `demo` tenant: offices, staff, clients, groups and a center."""

from __future__ import annotations

from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo


def populate(rt: Runtime, tenant: TenantInfo) -> None:
    from akiba.org.models import Office

    with rt.session(tenant) as s:
        head = Office(name="Head Office", opening_date=tenant.today().replace(year=tenant.today().year - 3))
        s.add(head)
        s.flush()
        head.hierarchy = f"/{head.id}/"
        s.commit()
