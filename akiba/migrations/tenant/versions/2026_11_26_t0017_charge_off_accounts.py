"""accounting: the charge-off accounts of Fineract's loan products in charts seeded before them

Revision ID: t0017
Revises: t0016, the last of the linear chain when this was written.

Why: loan products may map the income from charge-off interest, fees and penalties (what a charged-off loan pays
of them) and a fraud charge-off expense apart from the ordinary accounts (akiba.accounting.chart). A new tenant's
chart has these accounts; a chart seeded before them gets them here, under the same headers, unless it already
uses their codes or lacks the header (a chart of the tenant's own making is left alone). A schema migrated before
it is seeded (a new tenant) has no headers yet, so nothing is inserted and the seed writes the whole chart.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0017"
down_revision: str | Sequence[str] | None = "t0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# gl_code, name, type, parent header's code: as in akiba.accounting.chart.STANDARD_CHART.
_ACCOUNTS = (
    ("4410", "Income from charge-off interest", "income", "4000"),
    ("4420", "Income from charge-off fees", "income", "4000"),
    ("4430", "Income from charge-off penalties", "income", "4000"),
    ("5210", "Charge-off fraud expense", "expense", "5000"),
)

_INSERT = sa.text("""
INSERT INTO gl_accounts (gl_code, name, type, usage, parent_id, tags, enabled, manual_entries_allowed, description)
SELECT :code, :name, :type, 'detail', p.id, '{}', true, true, ''
  FROM gl_accounts p
 WHERE p.gl_code = :parent AND p.usage = 'header'
   AND NOT EXISTS (SELECT 1 FROM gl_accounts a WHERE a.gl_code = :code)
""")


def upgrade() -> None:
    for code, name, type_, parent in _ACCOUNTS:
        op.execute(_INSERT.bindparams(code=code, name=name, type=type_, parent=parent))


def downgrade() -> None:
    # Accounts with postings stay (the journal refuses to lose lines); unused ones go.
    for code, *_ in _ACCOUNTS:
        op.execute(sa.text("DELETE FROM gl_accounts a WHERE a.gl_code = :code AND NOT EXISTS "
                           "(SELECT 1 FROM journal_lines l WHERE l.gl_account_id = a.id)").bindparams(code=code))
