"""The roles every new tenant gets name only permissions some endpoint really asks for."""

from __future__ import annotations

from fastapi.testclient import TestClient

from akiba.platform.commands import REGISTRY
from akiba.platform.context import KNOWN_PERMISSIONS
from akiba.platform.provisioning import STANDARD_ROLES


def test_standard_roles_name_known_permissions(app_client: TestClient) -> None:
    known = set(REGISTRY) | KNOWN_PERMISSIONS
    resources = {p.split(":", 1)[0] for p in known}
    for role, (_, permissions) in STANDARD_ROLES.items():
        for permission in permissions:
            if permission == "*":
                continue
            resource, action = permission.split(":", 1)
            assert (permission in known) if action != "*" else (resource in resources), (role, permission)
