"""savings: overdraft interest (an account's overdraft rate, two transaction types for charging and refunding it)

Revision ID: t0012
Revises: t0011

Why: interest on negative balances was configured on products but never charged. The rate is copied onto the
account when it opens, like the credit interest terms, so a later product change does not rewrite the terms of
running accounts; accounts opened before this revision take their product's rate now. The transaction type
column widens to 32 characters for 'overdraft_interest_reversal'.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "t0012"
down_revision: str | Sequence[str] | None = "t0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_TYPES = ("'deposit','transfer_in','interest_posting','withdrawal','transfer_out','withdrawal_fee',"
              "'fee','interest_reversal'")
_NEW_TYPES = _OLD_TYPES + ",'overdraft_interest','overdraft_interest_reversal'"


def upgrade() -> None:
    op.add_column("savings_accounts", sa.Column("overdraft_interest_rate", sa.Numeric(19, 6), nullable=True))
    op.execute("UPDATE savings_accounts a SET overdraft_interest_rate = p.overdraft_interest_rate "
               "FROM savings_products p WHERE p.id = a.product_id AND p.allow_overdraft")
    op.alter_column("savings_transactions", "type", type_=sa.String(32), existing_type=sa.String(20),
                    existing_nullable=False)
    op.drop_constraint("ck_savings_transactions_type", "savings_transactions", type_="check")
    op.create_check_constraint("ck_savings_transactions_type", "savings_transactions", f"type IN ({_NEW_TYPES})")


def downgrade() -> None:
    op.drop_constraint("ck_savings_transactions_type", "savings_transactions", type_="check")
    op.create_check_constraint("ck_savings_transactions_type", "savings_transactions", f"type IN ({_OLD_TYPES})")
    op.alter_column("savings_transactions", "type", type_=sa.String(20), existing_type=sa.String(32),
                    existing_nullable=False)
    op.drop_column("savings_accounts", "overdraft_interest_rate")
