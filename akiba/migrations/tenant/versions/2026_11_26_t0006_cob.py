"""close of business: runs, chunks, closed-for marks, loan arrears state and delinquency history

Revision ID: t0006
Revises: t0007, the last of the linear chain t0001 -> t0002 -> t0003 -> t0005 -> t0004 -> t0007 when this was
written. These tables name no other feature's table, so only the chain's order matters to them.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "t0006"
down_revision: Union[str, Sequence[str], None] = "t0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MONEY = sa.Numeric(19, 6)


def upgrade() -> None:
    op.create_table(
        "cob_runs",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False, server_default="running"),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('running', 'completed', 'completed_with_errors', 'failed')",
                           name=op.f("ck_cob_runs_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cob_runs")),
    )
    op.create_index("uq_cob_runs_running_date", "cob_runs", ["business_date"], unique=True,
                    postgresql_where=sa.text("status = 'running'"))
    op.create_table(
        "cob_chunks",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer()),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("entities", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("errors", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("seconds", sa.Numeric(12, 3)),
        sa.CheckConstraint("kind IN ('loan', 'savings')", name=op.f("ck_cob_chunks_kind")),
        sa.CheckConstraint("status IN ('pending', 'done')", name=op.f("ck_cob_chunks_status")),
        sa.ForeignKeyConstraint(["run_id"], ["cob_runs.id"], ondelete="CASCADE",
                                name=op.f("fk_cob_chunks_run_id_cob_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cob_chunks")),
    )
    op.create_index("ix_cob_chunks_run_status", "cob_chunks", ["run_id", "status"])
    op.create_table(
        "cob_marks",
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("closed_for", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "entity_id", name=op.f("pk_cob_marks")),
    )
    op.create_table(
        "cob_loan_state",
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("days_in_arrears", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("overdue_since", sa.Date()),
        sa.Column("overdue_amount", MONEY, nullable=False, server_default="0"),
        sa.Column("bucket", sa.String(50)),
        sa.Column("accrued_interest", MONEY, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("loan_id", name=op.f("pk_cob_loan_state")),
    )
    op.create_table(
        "cob_delinquency_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(50), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date()),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cob_delinquency_history")),
    )
    op.create_index("ix_cob_delinquency_history_loan", "cob_delinquency_history", ["loan_id", "from_date"])


def downgrade() -> None:
    for table in ("cob_delinquency_history", "cob_loan_state", "cob_marks", "cob_chunks", "cob_runs"):
        op.drop_table(table)
