"""savings: products, accounts, transactions, holds, transfers

Revision ID: t0005
Revises: t0001
Depends on: t0002 (clients, groups), t0003 (accounting)
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "t0005"
down_revision: Union[str, Sequence[str], None] = "t0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MONEY = sa.Numeric(19, 6)


def _money(name: str, nullable: bool = True, default: str | None = None) -> sa.Column:
    return sa.Column(name, MONEY, nullable=nullable, server_default=default)


def upgrade() -> None:
    op.create_table(
        "savings_products",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("kind", sa.String(12), nullable=False, server_default="voluntary"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("digits", sa.Integer(), nullable=False, server_default="2"),
        _money("annual_interest_rate", nullable=False),
        sa.Column("interest_calculation", sa.String(24), nullable=False),
        sa.Column("compounding", sa.String(12), nullable=False),
        sa.Column("posting", sa.String(12), nullable=False),
        sa.Column("days_in_year", sa.Integer(), nullable=False),
        sa.Column("rounding", sa.String(12), nullable=False, server_default="HALF_EVEN"),
        _money("min_balance_for_interest"),
        sa.Column("rate_tiers", postgresql.JSONB(), nullable=False, server_default="[]"),
        _money("min_opening_balance"),
        _money("min_required_balance"),
        sa.Column("withdrawal_fee_type", sa.String(8), nullable=True),
        _money("withdrawal_fee_amount"),
        _money("monthly_fee"),
        _money("annual_fee"),
        sa.Column("allow_overdraft", sa.Boolean(), nullable=False, server_default="false"),
        _money("overdraft_limit"),
        _money("overdraft_interest_rate"),
        sa.Column("lock_in_period", sa.Integer(), nullable=True),
        sa.Column("lock_in_unit", sa.String(8), nullable=True),
        sa.Column("inactive_after_days", sa.Integer(), nullable=True),
        sa.Column("dormant_after_days", sa.Integer(), nullable=True),
        sa.Column("fees_stop_when_dormant", sa.Boolean(), nullable=False, server_default="true"),
        sa.Column("accounting_rule", sa.String(8), nullable=False, server_default="cash"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_savings_products"),
        sa.UniqueConstraint("name", name="uq_savings_products_name"),
        sa.CheckConstraint("kind IN ('voluntary','compulsory')", name="ck_savings_products_kind"),
        sa.CheckConstraint("interest_calculation IN ('daily_balance','average_daily_balance')",
                           name="ck_savings_products_calculation"),
        sa.CheckConstraint("compounding IN ('daily','monthly','quarterly','semiannual','annual')",
                           name="ck_savings_products_compounding"),
        sa.CheckConstraint("posting IN ('monthly','quarterly','semiannual','annual')",
                           name="ck_savings_products_posting"),
        sa.CheckConstraint("days_in_year IN (360, 365)", name="ck_savings_products_days_in_year"),
        sa.CheckConstraint("accounting_rule IN ('none','cash')", name="ck_savings_products_accounting_rule"),
        sa.CheckConstraint("annual_interest_rate >= 0", name="ck_savings_products_rate"),
    )
    op.create_table(
        "savings_accounts",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("account_no", sa.String(20), nullable=True),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("digits", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default="submitted"),
        sa.Column("sub_status", sa.String(12), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("rejected_on", sa.Date(), nullable=True),
        sa.Column("activated_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        _money("annual_interest_rate", nullable=False),
        sa.Column("interest_calculation", sa.String(24), nullable=False),
        sa.Column("compounding", sa.String(12), nullable=False),
        sa.Column("posting", sa.String(12), nullable=False),
        sa.Column("days_in_year", sa.Integer(), nullable=False),
        sa.Column("rounding", sa.String(12), nullable=False),
        _money("min_balance_for_interest"),
        sa.Column("rate_tiers", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("debit_blocked", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("credit_blocked", sa.Boolean(), nullable=False, server_default="false"),
        _money("balance", nullable=False, default="0"),
        _money("on_hold", nullable=False, default="0"),
        sa.Column("lock_in_until", sa.Date(), nullable=True),
        sa.Column("last_interest_posted_to", sa.Date(), nullable=True),
        sa.Column("interest_recompute_from", sa.Date(), nullable=True),
        sa.Column("last_transaction_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_savings_accounts"),
        sa.UniqueConstraint("account_no", name="uq_savings_accounts_account_no"),
        sa.UniqueConstraint("external_id", name="uq_savings_accounts_external_id"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name="fk_savings_accounts_client_id_clients"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name="fk_savings_accounts_group_id_groups"),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name="fk_savings_accounts_office_id_offices"),
        sa.ForeignKeyConstraint(["product_id"], ["savings_products.id"],
                                name="fk_savings_accounts_product_id_savings_products"),
        sa.CheckConstraint("status IN ('submitted','approved','rejected','active','closed')",
                           name="ck_savings_accounts_status"),
        sa.CheckConstraint("(client_id IS NULL) <> (group_id IS NULL)", name="ck_savings_accounts_one_holder"),
        sa.CheckConstraint("on_hold >= 0", name="ck_savings_accounts_on_hold"),
    )
    for column in ("client_id", "group_id", "office_id", "product_id", "status"):
        op.create_index(f"ix_savings_accounts_{column}", "savings_accounts", [column])
    op.create_table(
        "savings_transfers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("from_account_id", sa.Integer(), nullable=False),
        sa.Column("to_account_id", sa.Integer(), nullable=False),
        sa.Column("transaction_date", sa.Date(), nullable=False),
        _money("amount", nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("reversed", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_savings_transfers"),
        sa.ForeignKeyConstraint(["from_account_id"], ["savings_accounts.id"],
                                name="fk_savings_transfers_from_account_id_savings_accounts"),
        sa.ForeignKeyConstraint(["to_account_id"], ["savings_accounts.id"],
                                name="fk_savings_transfers_to_account_id_savings_accounts"),
        sa.CheckConstraint("amount > 0", name="ck_savings_transfers_amount_positive"),
    )
    op.create_index("ix_savings_transfers_from_account_id", "savings_transfers", ["from_account_id"])
    op.create_index("ix_savings_transfers_to_account_id", "savings_transfers", ["to_account_id"])
    op.create_table(
        "savings_transactions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("transaction_date", sa.Date(), nullable=False),
        _money("amount", nullable=False),
        sa.Column("is_credit", sa.Boolean(), nullable=False),
        sa.Column("interest_period_end", sa.Date(), nullable=True),
        sa.Column("transfer_id", sa.BigInteger(), nullable=True),
        sa.Column("reversed", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("reversed_on", sa.Date(), nullable=True),
        sa.Column("reversal_reason", sa.Text(), nullable=True),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_savings_transactions"),
        sa.ForeignKeyConstraint(["account_id"], ["savings_accounts.id"],
                                name="fk_savings_transactions_account_id_savings_accounts"),
        sa.ForeignKeyConstraint(["transfer_id"], ["savings_transfers.id"],
                                name="fk_savings_transactions_transfer_id_savings_transfers"),
        sa.CheckConstraint("amount > 0", name="ck_savings_transactions_amount_positive"),
        sa.CheckConstraint(
            "type IN ('deposit','transfer_in','interest_posting','withdrawal','transfer_out','withdrawal_fee',"
            "'fee','interest_reversal')",
            name="ck_savings_transactions_type",
        ),
    )
    op.create_index("ix_savings_transactions_account_date", "savings_transactions",
                    ["account_id", "transaction_date", "id"])
    op.create_index("ix_savings_transactions_transfer_id", "savings_transactions", ["transfer_id"])
    op.create_table(
        "savings_holds",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        _money("amount", nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column("released_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False, server_default="active"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_savings_holds"),
        sa.ForeignKeyConstraint(["account_id"], ["savings_accounts.id"],
                                name="fk_savings_holds_account_id_savings_accounts"),
        sa.CheckConstraint("amount > 0", name="ck_savings_holds_amount_positive"),
        sa.CheckConstraint("status IN ('active','released')", name="ck_savings_holds_status"),
    )
    op.create_index("ix_savings_holds_account_id", "savings_holds", ["account_id"])


def downgrade() -> None:
    op.drop_table("savings_holds")
    op.drop_table("savings_transactions")
    op.drop_table("savings_transfers")
    op.drop_table("savings_accounts")
    op.drop_table("savings_products")
