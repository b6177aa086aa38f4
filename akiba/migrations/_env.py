"""Alembic environment shared by the control schema and every tenant schema."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

config = context.config
connection = config.attributes["connection"]
schema = config.attributes["schema"]
target_metadata = config.attributes.get("metadata")

# Tenant tables are unqualified: they land in the schema first on the search path.
connection.execute(text("SELECT set_config('search_path', :path, true)"), {"path": f"{schema}, public"})
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    version_table_schema=schema,
    include_schemas=False,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
