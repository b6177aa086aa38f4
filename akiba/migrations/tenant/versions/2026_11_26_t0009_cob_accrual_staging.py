"""close of business: per-day staging of loan accruals, posted to the ledger once by the run's final job

Revision ID: t0009
Revises: t0008, the last of the linear chain t0001 -> t0002 -> t0003 -> t0005 -> t0004 -> t0007 -> t0006 -> t0008 when
this was written.

Why: a chunk that posted its accrual journal entry itself updated the same per-account, per-office, per-day rows of
gl_daily_balances as every other chunk and held their locks until it committed, so two workers closed one chunk
at a time between them. Chunks now insert their accrual totals here (inserts never wait on each other) in the
transaction that writes their marks, and the final job turns the day's unposted rows into one journal entry per
office, currency, product and direction, stamping entry_id in the same transaction: exactly once either way.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0009"
down_revision: str | Sequence[str] | None = "t0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(19, 6)


def upgrade() -> None:
    op.create_table(
        "cob_staged_accruals",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("entry_id", sa.BigInteger()),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_cob_staged_accruals_amount_nonzero")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cob_staged_accruals")),
    )
    op.create_index("ix_cob_staged_accruals_unposted", "cob_staged_accruals", ["business_date"],
                    postgresql_where=sa.text("entry_id IS NULL"))


def downgrade() -> None:
    op.drop_table("cob_staged_accruals")
