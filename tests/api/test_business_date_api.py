"""The tenant's business date starts at today's date in the tenant's timezone."""

from __future__ import annotations

from conftest import api_for, new_tenant
from fastapi.testclient import TestClient

from akiba.platform.runtime import Runtime


def test_new_tenant_starts_at_today_in_its_timezone(app_client: TestClient, runtime: Runtime) -> None:
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11: often different dates
        tenant = new_tenant(runtime, timezone=zone)
        answer = api_for(app_client, tenant).get("/api/v1/business-date")
        assert answer.status_code == 200
        assert answer.json() == {"business_date": tenant.today().isoformat()}
