"""accounting: keep gl_daily_balances small under constant updates (fillfactor for HOT updates, eager autovacuum)

Revision ID: t0010
Revises: t0009, the last of the linear chain t0001 -> t0002 -> t0003 -> t0005 -> t0004 -> t0007 -> t0006 -> t0008
-> t0009 when this was written.

Why: every posting rewrites a few rows of gl_daily_balances (one per account, office, currency and day it
touches). At the default fillfactor (100) a page has no room for the new version of its rows, so an update moves
the row to another page and adds index entries; the table then grows with the number of postings, not with its
5,840 live rows (204 pages after 1M bench lines, 347 after 5M, for ~55 pages of live data), and statements, which
scan it, slow down with the journal. With room left on each page the new version stays on the page (a HOT
update, no index entry) and the next access prunes the old one, so the table keeps its size. Autovacuum is made
eager on this small, hot table so that what pruning misses is reclaimed long before it matters.
Existing pages keep their old packing until rewritten; new pages get the room.
"""
from collections.abc import Sequence

from alembic import op

revision: str = "t0010"
down_revision: str | Sequence[str] | None = "t0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE gl_daily_balances SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.0, "
               "autovacuum_vacuum_threshold = 2000, autovacuum_analyze_scale_factor = 0.05)")


def downgrade() -> None:
    op.execute("ALTER TABLE gl_daily_balances RESET (fillfactor, autovacuum_vacuum_scale_factor, "
               "autovacuum_vacuum_threshold, autovacuum_analyze_scale_factor)")
