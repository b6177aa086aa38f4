"""loans: the non-accrual rule (a product's days in arrears after which close of business stops accruing)

Revision ID: t0011
Revises: t0010, the last of the linear chain t0001 -> t0002 -> t0003 -> t0005 -> t0004 -> t0007 -> t0006 -> t0008
-> t0009 -> t0010 when this was written.

Why: a loan whose arrears reach its product's ``non_accrual_after_days`` is non-performing; accruing income that
is unlikely to be collected overstates the books, so close of business flags it (``cob_loan_state.non_accrual``)
and stops accruing until the loan is current again. NULL on the product means the rule never applies.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0011"
down_revision: str | Sequence[str] | None = "t0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("loan_products", sa.Column("non_accrual_after_days", sa.Integer()))
    op.create_check_constraint(op.f("ck_loan_products_non_accrual_after_days_positive"), "loan_products",
                               "non_accrual_after_days IS NULL OR non_accrual_after_days > 0")
    op.add_column("cob_loan_state", sa.Column("non_accrual", sa.Boolean(), nullable=False,
                                              server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("cob_loan_state", "non_accrual")
    op.drop_constraint(op.f("ck_loan_products_non_accrual_after_days_positive"), "loan_products", type_="check")
    op.drop_column("loan_products", "non_accrual_after_days")
