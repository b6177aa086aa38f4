"""close of business: late-payment penalties of accrual products staged like interest accruals

Revision ID: t0018
Revises: t0017, the last of the linear chain when this was written.

Why: a chunk posted its penalties' income entry itself, early in its transaction, so it held the office's
gl_daily_balances rows for the rest of the chunk: on a day when many loans fall overdue, two workers closed one
chunk at a time between them (t0009 removed the same wait for interest accruals). A staged row now says which
kind of accrual it is, and the final job posts each kind to its own receivable and income accounts.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0018"
down_revision: str | Sequence[str] | None = "t0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cob_staged_accruals",
                  sa.Column("kind", sa.String(16), nullable=False, server_default=sa.text("'interest'")))
    op.create_check_constraint(op.f("ck_cob_staged_accruals_kind"), "cob_staged_accruals",
                               sa.text("kind IN ('interest', 'penalty')"))


def downgrade() -> None:
    op.drop_constraint(op.f("ck_cob_staged_accruals_kind"), "cob_staged_accruals")
    op.drop_column("cob_staged_accruals", "kind")
