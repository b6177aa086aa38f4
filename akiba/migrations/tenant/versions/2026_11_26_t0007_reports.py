"""reports: daily portfolio snapshots, regional report grants, statement settings

Revision ID: t0007
Revises: t0004 (the last of the linear chain t0001 -> t0002 -> t0003 -> t0005 -> t0004)
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "t0007"
down_revision: Union[str, Sequence[str], None] = "t0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MONEY = sa.Numeric(19, 6)


def upgrade() -> None:
    op.create_table(
        "portfolio_snapshots",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("loan_officer_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("principal_disbursed", MONEY, nullable=False),
        sa.Column("principal_outstanding", MONEY, nullable=False),
        sa.Column("interest_outstanding", MONEY, nullable=False),
        sa.Column("fees_outstanding", MONEY, nullable=False),
        sa.Column("penalties_outstanding", MONEY, nullable=False),
        sa.Column("overdue_principal", MONEY, nullable=False),
        sa.Column("overdue_total", MONEY, nullable=False),
        sa.Column("days_in_arrears", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("business_date", "loan_id", name="pk_portfolio_snapshots"),
    )
    op.create_table(
        "report_region_grants",
        sa.Column("region_tenant", sa.String(31), nullable=False),
        sa.Column("granted_by", sa.String(100), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("region_tenant", name="pk_report_region_grants"),
    )
    op.create_table(
        "statement_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("address", sa.Text(), nullable=False, server_default=""),
        sa.Column("complaints_contact", sa.Text(), nullable=False, server_default=""),
        sa.Column("regulator_note", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_statement_settings"),
        sa.CheckConstraint("id = 1", name="ck_statement_settings_one_row"),
    )


def downgrade() -> None:
    op.drop_table("statement_settings")
    op.drop_table("report_region_grants")
    op.drop_table("portfolio_snapshots")
