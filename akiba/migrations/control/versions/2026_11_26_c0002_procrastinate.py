"""procrastinate's job queue tables, in their own schema of the control database

Revision ID: c0002
Revises: c0001

The schema SQL is procrastinate's own (``SchemaManager.get_schema()``); its objects are unqualified, so it runs
with the search path set to the ``procrastinate`` schema, and every procrastinate connection uses that path
(akiba.cob.queue). Run through the raw driver connection: the SQL holds colons and percent signs that a bound
statement would read as parameters.
"""
from typing import Sequence, Union

from alembic import op

revision: str = "c0002"
down_revision: Union[str, Sequence[str], None] = "c0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SCHEMA = "procrastinate"


def _raw(sql: str) -> None:
    dbapi = op.get_bind().connection.dbapi_connection
    assert dbapi is not None
    with dbapi.cursor() as cur:
        cur.execute(sql)


def upgrade() -> None:
    from procrastinate.schema import SchemaManager

    _raw(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    _raw(f"SELECT set_config('search_path', '{SCHEMA}', true)")
    _raw(SchemaManager.get_schema())
    _raw("SELECT set_config('search_path', 'akiba_control, public', true)")


def downgrade() -> None:
    _raw(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
