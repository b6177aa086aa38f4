"""loans: charge-off (the loan stays collectable, its balance leaves the portfolio) and reschedule transactions

Revision ID: t0013
Revises: t0012, the last of the linear chain t0001 -> t0002 -> t0003 -> t0005 -> t0004 -> t0007 -> t0006 -> t0008
-> t0009 -> t0010 -> t0011 -> t0012 when this was written.

Why: a charged-off loan keeps its status (active) and its installments, so the fact lives on the loan: the date
(shown on GET) and the charge-off transaction (repayments after it post to recovery; only it may be undone
while it is the latest transaction). A reschedule changes the installments, not the books, and is recorded as a
transaction of its own so that the loan's history says when and why its schedule changed.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0013"
down_revision: str | Sequence[str] | None = "t0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_TYPES = "'disbursement', 'repayment', 'prepayment', 'waive_interest', 'waive_charge', 'write_off', 'refund'"


def upgrade() -> None:
    op.add_column("loans", sa.Column("charged_off_on", sa.Date()))
    op.add_column("loans", sa.Column("charge_off_transaction_id", sa.BigInteger()))
    op.drop_constraint(op.f("ck_loan_transactions_type"), "loan_transactions", type_="check")
    op.create_check_constraint(op.f("ck_loan_transactions_type"), "loan_transactions",
                               f"type IN ({_OLD_TYPES}, 'charge_off', 'reschedule')")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_loan_transactions_type"), "loan_transactions", type_="check")
    op.create_check_constraint(op.f("ck_loan_transactions_type"), "loan_transactions", f"type IN ({_OLD_TYPES})")
    op.drop_column("loans", "charge_off_transaction_id")
    op.drop_column("loans", "charged_off_on")
