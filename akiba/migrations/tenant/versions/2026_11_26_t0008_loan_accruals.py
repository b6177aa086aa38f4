"""loans under accrual accounting: what of each transaction's interest was credited to interest receivable

Revision ID: t0008
Revises: t0006, the last of the linear chain t0001 -> t0002 -> t0003 -> t0005 -> t0004 -> t0007 -> t0006.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "t0008"
down_revision: Union[str, Sequence[str], None] = "t0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("loan_transactions", sa.Column("interest_accrued", sa.Numeric(19, 6), nullable=False,
                                                 server_default="0"))


def downgrade() -> None:
    op.drop_column("loan_transactions", "interest_accrued")
