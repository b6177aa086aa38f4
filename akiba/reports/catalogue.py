"""Every built-in report, registered on import."""

from __future__ import annotations

from akiba.reports import accounting_reports, builtin, portfolio, savings_reports
from akiba.reports.registry import REPORTS

__all__ = ["REPORTS", "accounting_reports", "builtin", "portfolio", "savings_reports"]
