"""Migration t0017 gives a chart seeded before it Fineract's charge-off accounts, under the standard headers."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from conftest import Api
from sqlalchemy import text

from akiba.platform.db import engine_for
from akiba.platform.tenancy import MIGRATIONS

NEW = {"4410": ("Income from charge-off interest", "4000"), "4420": ("Income from charge-off fees", "4000"),
       "4430": ("Income from charge-off penalties", "4000"), "5210": ("Charge-off fraud expense", "5000")}
_CHART = text("SELECT a.gl_code, a.name, p.gl_code FROM gl_accounts a LEFT JOIN gl_accounts p ON p.id = a.parent_id "
              "WHERE a.gl_code = ANY(:codes) AND a.usage = 'detail' ORDER BY a.gl_code")


def _migrate(api: Api, revision: str) -> dict[str, tuple[str, str]]:
    """Move the tenant's schema to `revision` (down or up) and answer the charge-off accounts it then has."""
    with engine_for(api.tenant.shard_url).begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS / "tenant"))
        cfg.attributes["connection"] = conn
        cfg.attributes["schema"] = api.tenant.schema
        if revision == "t0016":
            command.downgrade(cfg, revision)
        else:
            command.upgrade(cfg, revision)
        conn.execute(text(f'SET LOCAL search_path TO "{api.tenant.schema}"'))
        rows = conn.execute(_CHART, {"codes": sorted(NEW)}).all()
    return {code: (name, parent) for code, name, parent in rows}


def test_a_chart_seeded_before_the_charge_off_accounts_gets_them(api: Api) -> None:
    assert _migrate(api, "heads") == NEW  # a new tenant: seeded with them
    assert _migrate(api, "t0016") == {}  # as a chart seeded before them (unused accounts go on downgrade)
    assert _migrate(api, "heads") == NEW  # the migration adds them under the standard headers
    assert _migrate(api, "heads") == NEW  # once
