"""loans: a record of each reschedule (what it changed and what the loan had before), so it can be undone

Revision ID: t0016
Revises: t0015

Why: undoing a reschedule restores exactly the installments the loan had before it (dates, principal, interest,
fees), its rate and number of repayments, and reverses the accrual true-up entry the reschedule posted; none of
that can be derived afterwards, so the reschedule keeps it (`before`, `accrual_entry_id`). A loan that recalculates
its interest rebuilds its installments from its terms at every payment: its reschedules are the terms from their
first rescheduled installment on (`first_n`, `start`, `changes`), applied by every rebuild while not undone.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "t0016"
down_revision: str | Sequence[str] | None = "t0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loan_reschedules",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("first_n", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("changes", postgresql.JSONB(), nullable=False),
        sa.Column("before", postgresql.JSONB(), nullable=False),
        sa.Column("accrual_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("accrual_adjustment", sa.Numeric(19, 6), nullable=False, server_default="0"),
        sa.Column("undone_on", sa.Date(), nullable=True),
        sa.Column("undone_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_loan_reschedules"),
        sa.ForeignKeyConstraint(["loan_id"], ["loans.id"], name="fk_loan_reschedules_loan_id_loans"),
        sa.ForeignKeyConstraint(["transaction_id"], ["loan_transactions.id"],
                                name="fk_loan_reschedules_transaction_id_loan_transactions"),
        sa.UniqueConstraint("transaction_id", name="uq_loan_reschedules_transaction_id"),
    )
    op.create_index("ix_loan_reschedules_loan_id", "loan_reschedules", ["loan_id"])


def downgrade() -> None:
    op.drop_table("loan_reschedules")
