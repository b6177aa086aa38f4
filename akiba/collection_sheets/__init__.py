"""Collection sheets: a meeting's repayments, deposits and withdrawals posted in one call and one transaction."""
