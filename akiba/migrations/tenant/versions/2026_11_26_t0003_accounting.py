"""accounting: chart of accounts, journal, daily balances, closures, GL mappings and the ledger's triggers

Revision ID: t0003
Revises: t0001
Create Date: 2026-11-26

The database itself keeps the ledger honest, whoever writes to it (the posting service, a batch, raw SQL):
- the lines of one entry balance per currency (a deferred constraint trigger, checked at commit);
- posted entries and lines are never updated, deleted or truncated (corrections are reversals);
- amounts are positive NUMERIC(19,6);
- no line is dated on or before its office's latest accounting closure, and no line goes to a header account;
- gl_daily_balances follows every inserted line in the same statement (set-based, one upsert per statement).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "t0003"
down_revision: Union[str, Sequence[str], None] = "t0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MONEY = sa.Numeric(19, 6)

TRIGGERS = r"""
CREATE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT currency, sum(CASE WHEN side = 'debit' THEN amount ELSE -amount END) AS difference INTO bad
    FROM journal_lines WHERE entry_id = NEW.entry_id
   GROUP BY currency
  HAVING sum(CASE WHEN side = 'debit' THEN amount ELSE -amount END) <> 0
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % does not balance in %: debits - credits = %',
      NEW.entry_id, bad.currency, bad.difference
      USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER journal_entry_balanced AFTER INSERT ON journal_lines
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced();

CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'posted % are never updated or deleted; post a reversal instead', TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation', CONSTRAINT = 'ledger_append_only';
END $$;

CREATE TRIGGER journal_lines_append_only BEFORE UPDATE OR DELETE ON journal_lines
  FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER journal_lines_no_truncate BEFORE TRUNCATE ON journal_lines
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();

-- One check per statement over its new lines (set-based, so a bulk load pays once, not per line).
CREATE FUNCTION journal_lines_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  hit record;
BEGIN
  -- A closure being made locks its office FOR UPDATE: waiting here for it means the next query (a new
  -- snapshot, this function being volatile) sees the closure just committed, so no line slips past it.
  PERFORM 1 FROM offices WHERE id IN (SELECT DISTINCT office_id FROM new_lines) ORDER BY id FOR KEY SHARE;
  SELECT n.office_id, n.transaction_date, c.closing_date INTO hit
    FROM new_lines n JOIN accounting_closures c
      ON c.office_id = n.office_id AND n.transaction_date <= c.closing_date
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'office % is closed up to %: a line dated % is refused',
      hit.office_id, hit.closing_date, hit.transaction_date
      USING ERRCODE = 'check_violation', CONSTRAINT = 'accounting_closure';
  END IF;
  SELECT a.gl_code INTO hit
    FROM (SELECT DISTINCT gl_account_id FROM new_lines) n JOIN gl_accounts a ON a.id = n.gl_account_id
   WHERE a.usage = 'header'
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'GL account % is a header account: it takes no postings', hit.gl_code
      USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_lines_detail_accounts';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER journal_lines_10_check AFTER INSERT ON journal_lines
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION journal_lines_check();

-- Rows upserted in key order, so concurrent postings lock balance rows in one order and never deadlock.
CREATE FUNCTION journal_lines_to_daily_balances() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO gl_daily_balances AS b (gl_account_id, office_id, currency, balance_date, debit, credit)
  SELECT gl_account_id, office_id, currency, transaction_date,
         coalesce(sum(amount) FILTER (WHERE side = 'debit'), 0),
         coalesce(sum(amount) FILTER (WHERE side = 'credit'), 0)
    FROM new_lines
   GROUP BY gl_account_id, office_id, currency, transaction_date
   ORDER BY gl_account_id, office_id, currency, transaction_date
  ON CONFLICT (gl_account_id, office_id, currency, balance_date)
  DO UPDATE SET debit = b.debit + EXCLUDED.debit, credit = b.credit + EXCLUDED.credit;
  RETURN NULL;
END $$;

CREATE TRIGGER journal_lines_20_daily_balances AFTER INSERT ON journal_lines
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION journal_lines_to_daily_balances();
"""

DROP_TRIGGERS = """
DROP FUNCTION IF EXISTS journal_lines_to_daily_balances() CASCADE;
DROP FUNCTION IF EXISTS journal_lines_check() CASCADE;
DROP FUNCTION IF EXISTS ledger_is_append_only() CASCADE;
DROP FUNCTION IF EXISTS journal_entry_balanced() CASCADE;
"""


def upgrade() -> None:
    op.create_table(
        "gl_accounts",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("gl_code", sa.String(50), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(10), nullable=False),
        sa.Column("usage", sa.String(10), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("tags", postgresql.ARRAY(sa.String(50)), server_default="{}", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("manual_entries_allowed", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("type IN ('asset','liability','equity','income','expense')", name=op.f("ck_gl_accounts_type")),
        sa.CheckConstraint("usage IN ('detail','header')", name=op.f("ck_gl_accounts_usage")),
        sa.ForeignKeyConstraint(["parent_id"], ["gl_accounts.id"], name=op.f("fk_gl_accounts_parent_id_gl_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gl_accounts")),
        sa.UniqueConstraint("gl_code", name=op.f("uq_gl_accounts_gl_code")),
    )
    op.create_index(op.f("ix_gl_accounts_parent_id"), "gl_accounts", ["parent_id"])

    op.create_table(
        "journal_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("transaction_date", sa.Date(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=True),
        sa.Column("reference", sa.String(100), nullable=True),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("reversal_of", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name=op.f("fk_journal_entries_office_id_offices")),
        sa.ForeignKeyConstraint(["reversal_of"], ["journal_entries.id"],
                                name=op.f("fk_journal_entries_reversal_of_journal_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint("reversal_of", name=op.f("uq_journal_entries_reversal_of")),
        sa.UniqueConstraint("id", "transaction_date", name="uq_journal_entries_id_date"),
    )
    op.create_index("ix_journal_entries_source", "journal_entries", ["source", "source_id"])
    op.create_index("ix_journal_entries_office_date", "journal_entries", ["office_id", "transaction_date"])

    op.create_table(
        "journal_lines",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("gl_account_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("transaction_date", sa.Date(), nullable=False),
        sa.Column("side", sa.String(6), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_journal_lines_amount_positive")),
        sa.CheckConstraint("side IN ('debit','credit')", name=op.f("ck_journal_lines_side")),
        sa.ForeignKeyConstraint(["entry_id", "transaction_date"], ["journal_entries.id", "journal_entries.transaction_date"],
                                name="fk_journal_lines_entry"),
        sa.ForeignKeyConstraint(["gl_account_id"], ["gl_accounts.id"], name=op.f("fk_journal_lines_gl_account_id_gl_accounts")),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name=op.f("fk_journal_lines_office_id_offices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_lines")),
    )
    op.create_index(op.f("ix_journal_lines_entry_id"), "journal_lines", ["entry_id"])
    op.create_index("ix_journal_lines_account_date", "journal_lines", ["gl_account_id", "transaction_date"])

    op.create_table(
        "gl_daily_balances",
        sa.Column("gl_account_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("balance_date", sa.Date(), nullable=False),
        sa.Column("debit", MONEY, nullable=False),
        sa.Column("credit", MONEY, nullable=False),
        sa.PrimaryKeyConstraint("gl_account_id", "office_id", "currency", "balance_date",
                                name=op.f("pk_gl_daily_balances")),
    )
    op.create_index("ix_gl_daily_balances_date", "gl_daily_balances", ["balance_date"])

    op.create_table(
        "accounting_closures",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("closing_date", sa.Date(), nullable=False),
        sa.Column("comments", sa.Text(), server_default="", nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name=op.f("fk_accounting_closures_office_id_offices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounting_closures")),
        sa.UniqueConstraint("office_id", "closing_date", name=op.f("uq_accounting_closures_office_id_closing_date")),
    )

    op.create_table(
        "product_gl_mappings",
        sa.Column("product_type", sa.String(10), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("movement", sa.String(50), nullable=False),
        sa.Column("gl_account_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("product_type IN ('loan','savings')", name=op.f("ck_product_gl_mappings_product_type")),
        sa.ForeignKeyConstraint(["gl_account_id"], ["gl_accounts.id"],
                                name=op.f("fk_product_gl_mappings_gl_account_id_gl_accounts")),
        sa.PrimaryKeyConstraint("product_type", "product_id", "movement", name=op.f("pk_product_gl_mappings")),
    )

    op.create_table(
        "financial_activity_mappings",
        sa.Column("activity", sa.String(50), nullable=False),
        sa.Column("gl_account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["gl_account_id"], ["gl_accounts.id"],
                                name=op.f("fk_financial_activity_mappings_gl_account_id_gl_accounts")),
        sa.PrimaryKeyConstraint("activity", name=op.f("pk_financial_activity_mappings")),
    )
    op.execute(TRIGGERS)


def downgrade() -> None:
    op.execute(DROP_TRIGGERS)
    op.drop_table("financial_activity_mappings")
    op.drop_table("product_gl_mappings")
    op.drop_table("accounting_closures")
    op.drop_table("gl_daily_balances")
    op.drop_table("journal_lines")
    op.drop_table("journal_entries")
    op.drop_table("gl_accounts")
