"""loans: products and their charges, loans, installments, transactions, charges, officer assignments

Revision ID: t0004
Revises: t0005
Depends on: t0002 (clients, groups, staff), t0003 (accounting: GL accounts the product mappings name)
Create Date: 2026-11-26
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "t0004"
down_revision: Union[str, Sequence[str], None] = "t0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MONEY = sa.Numeric(19, 6)


def _money(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, MONEY, nullable=nullable)


def _id(big: bool = False) -> sa.Column:
    return sa.Column("id", sa.BigInteger() if big else sa.Integer(), sa.Identity(always=False), nullable=False)


def _products() -> None:
    op.create_table(
        "loan_products",
        _id(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("short_name", sa.String(10), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("digits", sa.Integer(), nullable=False),
        sa.Column("in_multiples_of", sa.Integer(), nullable=False),
        _money("principal"), _money("min_principal"), _money("max_principal"),
        sa.Column("number_of_repayments", sa.Integer(), nullable=False),
        sa.Column("min_number_of_repayments", sa.Integer(), nullable=False),
        sa.Column("max_number_of_repayments", sa.Integer(), nullable=False),
        _money("annual_interest_rate"), _money("min_annual_interest_rate"), _money("max_annual_interest_rate"),
        sa.Column("schedule_settings", postgresql.JSONB(), nullable=False),
        _money("arrears_tolerance"),
        sa.Column("grace_on_arrears_ageing", sa.Integer(), nullable=False),
        sa.Column("delinquency_buckets", postgresql.JSONB(), nullable=False),
        sa.Column("accounting_rule", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("accounting_rule IN ('none', 'cash', 'accrual_periodic')",
                           name="ck_loan_products_accounting_rule"),
        sa.CheckConstraint("min_principal <= principal AND principal <= max_principal",
                           name="ck_loan_products_principal_range"),
        sa.CheckConstraint("min_number_of_repayments <= number_of_repayments "
                           "AND number_of_repayments <= max_number_of_repayments",
                           name="ck_loan_products_repayments_range"),
        sa.CheckConstraint("min_annual_interest_rate <= annual_interest_rate "
                           "AND annual_interest_rate <= max_annual_interest_rate", name="ck_loan_products_rate_range"),
        sa.PrimaryKeyConstraint("id", name="pk_loan_products"),
        sa.UniqueConstraint("name", name="uq_loan_products_name"),
        sa.UniqueConstraint("short_name", name="uq_loan_products_short_name"),
        sa.UniqueConstraint("external_id", name="uq_loan_products_external_id"),
    )
    op.create_table(
        "loan_product_charges",
        _id(),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("charge_time", sa.String(24), nullable=False),
        sa.Column("calculation", sa.String(24), nullable=False),
        _money("amount"),
        sa.Column("penalty", sa.Boolean(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("charge_time IN ('disbursement', 'installment', 'overdue_installment', "
                           "'specified_due_date')", name="ck_loan_product_charges_charge_time"),
        sa.CheckConstraint("calculation IN ('flat', 'percent_of_amount', 'percent_of_installment', "
                           "'percent_of_overdue')", name="ck_loan_product_charges_calculation"),
        sa.CheckConstraint("amount >= 0", name="ck_loan_product_charges_amount_not_negative"),
        sa.ForeignKeyConstraint(["product_id"], ["loan_products.id"], ondelete="CASCADE",
                                name="fk_loan_product_charges_product_id_loan_products"),
        sa.PrimaryKeyConstraint("id", name="pk_loan_product_charges"),
    )
    op.create_index("ix_loan_product_charges_product_id", "loan_product_charges", ["product_id"])


def _loans() -> None:
    op.create_table(
        "loans",
        _id(),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("loan_officer_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("digits", sa.Integer(), nullable=False),
        _money("principal"), _money("approved_principal", True), _money("disbursed_principal", True),
        _money("annual_interest_rate"),
        sa.Column("number_of_repayments", sa.Integer(), nullable=False),
        sa.Column("terms", postgresql.JSONB(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("expected_disbursement_date", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Date(), nullable=True) for name in (
            "approved_on", "disbursed_on", "rejected_on", "withdrawn_on", "written_off_on", "closed_on")),
        _money("principal_outstanding"), _money("interest_outstanding"), _money("fees_outstanding"),
        _money("penalties_outstanding"), _money("credit_balance"),
        sa.Column("last_event_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("(client_id IS NULL) <> (group_id IS NULL)", name="ck_loans_one_borrower"),
        sa.CheckConstraint("status IN ('submitted', 'approved', 'active', 'overpaid', 'closed', 'rejected', "
                           "'withdrawn', 'written_off')", name="ck_loans_status"),
        sa.CheckConstraint("principal > 0", name="ck_loans_principal_positive"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name="fk_loans_client_id_clients"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name="fk_loans_group_id_groups"),
        sa.ForeignKeyConstraint(["product_id"], ["loan_products.id"], name="fk_loans_product_id_loan_products"),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name="fk_loans_office_id_offices"),
        sa.ForeignKeyConstraint(["loan_officer_id"], ["staff.id"], name="fk_loans_loan_officer_id_staff"),
        sa.PrimaryKeyConstraint("id", name="pk_loans"),
        sa.UniqueConstraint("external_id", name="uq_loans_external_id"),
    )
    for column in ("client_id", "group_id", "product_id", "loan_officer_id", "status"):
        op.create_index(f"ix_loans_{column}", "loans", [column])
    op.create_index("ix_loans_office_status", "loans", ["office_id", "status"])


def _installments() -> None:
    op.create_table(
        "loan_installments",
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("down_payment", sa.Boolean(), nullable=False),
        *(_money(name) for name in (
            "principal", "interest", "outstanding_after", "scheduled_fees", "fees", "penalties", "paid_principal",
            "paid_interest", "paid_fees", "paid_penalties", "waived_interest", "waived_fees", "waived_penalties",
            "in_advance", "late")),
        sa.Column("paid_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["loan_id"], ["loans.id"], ondelete="CASCADE",
                                name="fk_loan_installments_loan_id_loans"),
        sa.PrimaryKeyConstraint("loan_id", "n", name="pk_loan_installments"),
    )


def _transactions() -> None:
    op.create_table(
        "loan_transactions",
        _id(big=True),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("transaction_date", sa.Date(), nullable=False),
        *(_money(name) for name in (
            "amount", "principal", "interest", "fees", "penalties", "overpayment", "interest_waived")),
        sa.Column("charge_id", sa.BigInteger(), nullable=True),
        sa.Column("payment_type", sa.String(50), nullable=True),
        sa.Column("reference", sa.String(100), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("reversed", sa.Boolean(), nullable=False),
        sa.Column("reversed_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("type IN ('disbursement', 'repayment', 'prepayment', 'waive_interest', 'waive_charge', "
                           "'write_off', 'refund')", name="ck_loan_transactions_type"),
        sa.CheckConstraint("amount >= 0", name="ck_loan_transactions_amount_not_negative"),
        sa.ForeignKeyConstraint(["loan_id"], ["loans.id"], name="fk_loan_transactions_loan_id_loans"),
        sa.PrimaryKeyConstraint("id", name="pk_loan_transactions"),
    )
    op.create_index("ix_loan_transactions_loan_date", "loan_transactions", ["loan_id", "transaction_date", "id"])
    op.create_table(
        "loan_charges",
        _id(big=True),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("product_charge_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("charge_time", sa.String(24), nullable=False),
        sa.Column("penalty", sa.Boolean(), nullable=False),
        _money("amount"),
        sa.Column("charged_on", sa.Date(), nullable=False),
        sa.Column("installment_n", sa.Integer(), nullable=True),
        sa.Column("waived", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("amount >= 0", name="ck_loan_charges_amount_not_negative"),
        sa.ForeignKeyConstraint(["loan_id"], ["loans.id"], name="fk_loan_charges_loan_id_loans"),
        sa.ForeignKeyConstraint(["product_charge_id"], ["loan_product_charges.id"],
                                name="fk_loan_charges_product_charge_id_loan_product_charges"),
        sa.PrimaryKeyConstraint("id", name="pk_loan_charges"),
    )
    op.create_index("ix_loan_charges_loan_id", "loan_charges", ["loan_id"])
    # Close of business charges a late penalty once per installment, even if it runs twice for a day.
    op.create_index("uq_loan_charges_overdue_once", "loan_charges", ["loan_id", "product_charge_id", "installment_n"],
                    unique=True, postgresql_where=sa.text("charge_time = 'overdue_installment' AND active"))
    op.create_table(
        "loan_officer_assignments",
        _id(),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["loan_id"], ["loans.id"], name="fk_loan_officer_assignments_loan_id_loans"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name="fk_loan_officer_assignments_staff_id_staff"),
        sa.PrimaryKeyConstraint("id", name="pk_loan_officer_assignments"),
    )
    op.create_index("ix_loan_officer_assignments_loan_id", "loan_officer_assignments", ["loan_id"])


def upgrade() -> None:
    _products()
    _loans()
    _installments()
    _transactions()


def downgrade() -> None:
    for table in ("loan_officer_assignments", "loan_charges", "loan_transactions", "loan_installments", "loans",
                  "loan_product_charges", "loan_products"):
        op.drop_table(table)
