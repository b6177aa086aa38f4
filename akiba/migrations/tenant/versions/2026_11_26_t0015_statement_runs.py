"""reports: bulk statement runs and their chunks

Revision ID: t0015
Revises: t0014
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "t0015"
down_revision: Union[str, Sequence[str], None] = "t0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "statement_runs",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_statement_runs"),
        sa.CheckConstraint("kind IN ('loan', 'savings', 'all')", name="ck_statement_runs_kind"),
        sa.CheckConstraint("status IN ('running', 'completed', 'completed_with_errors')",
                           name="ck_statement_runs_status"),
    )
    # At most one running run per month and kind: a second request joins it.
    op.create_index("ux_statement_runs_running", "statement_runs", ["month", "kind"], unique=True,
                    postgresql_where=sa.text("status = 'running'"))
    op.create_table(
        "statement_chunks",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("written", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("errors", postgresql.JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_statement_chunks"),
        sa.ForeignKeyConstraint(["run_id"], ["statement_runs.id"], name="fk_statement_chunks_run_id_statement_runs",
                                ondelete="CASCADE"),
        sa.CheckConstraint("status IN ('pending', 'done')", name="ck_statement_chunks_status"),
    )
    op.create_index("ix_statement_chunks_run_id", "statement_chunks", ["run_id"])


def downgrade() -> None:
    op.drop_table("statement_chunks")
    op.drop_table("statement_runs")
