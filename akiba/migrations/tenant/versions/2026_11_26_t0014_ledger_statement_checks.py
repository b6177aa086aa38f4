"""accounting: the ledger's checks once per statement and once per entry, not once per line

Revision ID: t0014
Revises: t0013, the last of the linear chain when this was written.

Why: a 4-line posting paid, per line, three foreign-key checks (each a query that locks its parent row) and a
deferred balance check of the whole entry (so an entry of 4 lines was summed 4 times at commit), plus two
statement triggers each entering PL/pgSQL. Together that was about twice the database work of a pgbench TPC-B
transaction. The same rules now cost one statement trigger and one balance check per entry:

- The three foreign keys of journal_lines (entry, GL account, office) become one set-based check in the statement
  trigger. It locks the parent offices and GL accounts FOR KEY SHARE, as the foreign keys did, so neither can be
  deleted (or its key changed) before the posting commits; entries need no lock: they are append-only (a
  trigger refuses UPDATE, DELETE and TRUNCATE).
- The same trigger keeps refusing closed periods and header accounts, and upserts gl_daily_balances.
- journal_entries loses two index insertions per entry: the key (id, transaction_date) existed only for the
  lines' composite foreign key, and the unique index on reversal_of now holds reversals only (it indexed a NULL
  for every other entry).
- The deferred balance check still fires for every inserted line (a constraint trigger is row-level), but a line
  returns at once when a later line of its entry was inserted by the same (sub)transaction: that line's own check
  runs after it and sums the whole entry. Lines of a rolled-back savepoint are gone with their queued checks, so
  the last surviving line always checks.
"""
from collections.abc import Sequence

from alembic import op

revision: str = "t0014"
down_revision: str | Sequence[str] | None = "t0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = r"""
ALTER TABLE journal_lines DROP CONSTRAINT fk_journal_lines_entry,
  DROP CONSTRAINT fk_journal_lines_gl_account_id_gl_accounts,
  DROP CONSTRAINT fk_journal_lines_office_id_offices;
ALTER TABLE journal_entries DROP CONSTRAINT uq_journal_entries_id_date,
  DROP CONSTRAINT uq_journal_entries_reversal_of;
CREATE UNIQUE INDEX uq_journal_entries_reversal_of ON journal_entries (reversal_of) WHERE reversal_of IS NOT NULL;
DROP TRIGGER journal_lines_10_check ON journal_lines;
DROP TRIGGER journal_lines_20_daily_balances ON journal_lines;
DROP FUNCTION journal_lines_check();
DROP FUNCTION journal_lines_to_daily_balances();

CREATE FUNCTION journal_lines_posted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  hit record;
BEGIN
  -- The foreign keys' locks, once per parent and in key order (no deadlock between postings). A closure being
  -- made locks its office FOR UPDATE: waiting here for it means the next query (a new snapshot, this function
  -- being volatile) sees the closure just committed, so no line slips past it.
  PERFORM 1 FROM offices WHERE id IN (SELECT DISTINCT office_id FROM new_lines) ORDER BY id FOR KEY SHARE;
  PERFORM 1 FROM gl_accounts WHERE id IN (SELECT DISTINCT gl_account_id FROM new_lines) ORDER BY id FOR KEY SHARE;
  SELECT n.entry_id, n.office_id, n.gl_account_id, n.transaction_date,
         e.id IS NULL AS no_entry, o.id IS NULL AS no_office, a.id IS NULL AS no_account,
         a.usage = 'header' AS header, a.gl_code, c.closing_date
    INTO hit
    FROM new_lines n
    LEFT JOIN journal_entries e ON e.id = n.entry_id AND e.transaction_date = n.transaction_date
    LEFT JOIN offices o ON o.id = n.office_id
    LEFT JOIN gl_accounts a ON a.id = n.gl_account_id
    LEFT JOIN LATERAL (SELECT max(closing_date) AS closing_date FROM accounting_closures
                        WHERE office_id = n.office_id) c ON true
   WHERE e.id IS NULL OR o.id IS NULL OR a.id IS NULL OR a.usage = 'header'
      OR n.transaction_date <= c.closing_date
   LIMIT 1;
  IF FOUND THEN
    IF hit.no_entry THEN
      RAISE EXCEPTION 'journal entry % dated % does not exist', hit.entry_id, hit.transaction_date
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'fk_journal_lines_entry';
    ELSIF hit.no_office THEN
      RAISE EXCEPTION 'office % does not exist', hit.office_id
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'fk_journal_lines_office_id_offices';
    ELSIF hit.no_account THEN
      RAISE EXCEPTION 'GL account % does not exist', hit.gl_account_id
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'fk_journal_lines_gl_account_id_gl_accounts';
    ELSIF hit.header THEN
      RAISE EXCEPTION 'GL account % is a header account: it takes no postings', hit.gl_code
        USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_lines_detail_accounts';
    ELSE
      RAISE EXCEPTION 'office % is closed up to %: a line dated % is refused',
        hit.office_id, hit.closing_date, hit.transaction_date
        USING ERRCODE = 'check_violation', CONSTRAINT = 'accounting_closure';
    END IF;
  END IF;
  -- Rows upserted in key order, so concurrent postings lock balance rows in one order and never deadlock.
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

CREATE TRIGGER journal_lines_posted AFTER INSERT ON journal_lines
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION journal_lines_posted();

-- A GL account or an office that has lines cannot go: the foreign keys refused that, this keeps refusing it.
CREATE FUNCTION journal_parent_in_use() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_TABLE_NAME = 'gl_accounts' AND EXISTS (SELECT 1 FROM journal_lines WHERE gl_account_id = OLD.id))
     OR (TG_TABLE_NAME = 'offices' AND EXISTS (SELECT 1 FROM journal_entries WHERE office_id = OLD.id)) THEN
    RAISE EXCEPTION '% % has journal lines', TG_TABLE_NAME, OLD.id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'journal_parent_in_use';
  END IF;
  RETURN OLD;
END $$;

CREATE TRIGGER gl_accounts_in_use BEFORE DELETE ON gl_accounts
  FOR EACH ROW EXECUTE FUNCTION journal_parent_in_use();
CREATE TRIGGER offices_in_use BEFORE DELETE ON offices
  FOR EACH ROW EXECUTE FUNCTION journal_parent_in_use();

CREATE OR REPLACE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  -- A later line of this entry from the same (sub)transaction has its own check queued after this one.
  IF EXISTS (SELECT 1 FROM journal_lines l WHERE l.entry_id = NEW.entry_id AND l.id > NEW.id
                AND l.xmin = (SELECT m.xmin FROM journal_lines m WHERE m.id = NEW.id)) THEN
    RETURN NULL;
  END IF;
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
"""

# The statement trigger and the balance check's shortcut do what t0003's did; only the foreign keys come back.
DOWNGRADE = r"""
DROP TRIGGER gl_accounts_in_use ON gl_accounts;
DROP TRIGGER offices_in_use ON offices;
DROP FUNCTION journal_parent_in_use();
DROP INDEX uq_journal_entries_reversal_of;
ALTER TABLE journal_entries ADD CONSTRAINT uq_journal_entries_reversal_of UNIQUE (reversal_of),
  ADD CONSTRAINT uq_journal_entries_id_date UNIQUE (id, transaction_date);
ALTER TABLE journal_lines
  ADD CONSTRAINT fk_journal_lines_entry FOREIGN KEY (entry_id, transaction_date)
      REFERENCES journal_entries (id, transaction_date),
  ADD CONSTRAINT fk_journal_lines_gl_account_id_gl_accounts FOREIGN KEY (gl_account_id) REFERENCES gl_accounts (id),
  ADD CONSTRAINT fk_journal_lines_office_id_offices FOREIGN KEY (office_id) REFERENCES offices (id);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
