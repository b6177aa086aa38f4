"""Savings reports: balances at a date and movements in a period, from the transactions (reversed ones excluded)."""

from __future__ import annotations

from akiba.reports.builtin import OFFICE_SCOPE
from akiba.reports.registry import Column, Report, as_of_param, office_param, period_params, register

SAVINGS = ("savings_accounts", "savings_transactions", "savings_products")
SIGNED = "CASE WHEN t.is_credit THEN t.amount ELSE -t.amount END"
_HOLDER_JOINS = """
JOIN offices o ON o.id = a.office_id
JOIN savings_products p ON p.id = a.product_id
LEFT JOIN clients c ON c.id = a.client_id
LEFT JOIN groups g ON g.id = a.group_id"""
_HOLDER_COLUMNS = (Column("account_id", "int"), Column("account_no"), Column("holder"), Column("office"),
                   Column("product"), Column("currency"))

register(Report(
    name="savings-balances",
    title="Savings balances",
    params=(as_of_param(), office_param()),
    columns=(*_HOLDER_COLUMNS, Column("status"), Column("balance", "money", total=True)),
    needs=SAVINGS,
    sql=f"""
SELECT a.id, a.account_no, COALESCE(c.display_name, g.name), o.name, p.name, a.currency, a.status,
       COALESCE(b.balance, 0)
FROM savings_accounts a {_HOLDER_JOINS}
LEFT JOIN (
    SELECT t.account_id, SUM({SIGNED}) AS balance FROM savings_transactions t
    WHERE NOT t.reversed AND t.transaction_date <= :as_of GROUP BY t.account_id
) b ON b.account_id = a.id
WHERE a.activated_on <= :as_of AND {OFFICE_SCOPE}
ORDER BY a.id""",  # noqa: S608  -- constant fragments only
))

register(Report(
    name="savings-movements",
    title="Savings movements in a period",
    description="Per account: opening balance, deposits, withdrawals, interest, fees and closing balance.",
    params=(*period_params(), office_param()),
    columns=(*_HOLDER_COLUMNS, Column("opening_balance", "money", total=True), Column("deposits", "money", total=True),
             Column("withdrawals", "money", total=True), Column("interest", "money", total=True),
             Column("fees", "money", total=True), Column("closing_balance", "money", total=True)),
    needs=SAVINGS,
    sql=f"""
SELECT a.id, a.account_no, COALESCE(c.display_name, g.name), o.name, p.name, a.currency,
       COALESCE(m.opening, 0), COALESCE(m.deposits, 0), COALESCE(m.withdrawals, 0), COALESCE(m.interest, 0),
       COALESCE(m.fees, 0), COALESCE(m.opening, 0) + COALESCE(m.moved, 0)
FROM savings_accounts a {_HOLDER_JOINS}
LEFT JOIN (
    SELECT t.account_id,
           SUM({SIGNED}) FILTER (WHERE t.transaction_date < :from) AS opening,
           SUM({SIGNED}) FILTER (WHERE t.transaction_date >= :from) AS moved,
           SUM(t.amount) FILTER (WHERE t.transaction_date >= :from AND t.type IN ('deposit', 'transfer_in'))
               AS deposits,
           SUM(t.amount) FILTER (WHERE t.transaction_date >= :from AND t.type IN ('withdrawal', 'transfer_out'))
               AS withdrawals,
           SUM({SIGNED}) FILTER (WHERE t.transaction_date >= :from
                                  AND t.type IN ('interest_posting', 'interest_reversal')) AS interest,
           SUM(t.amount) FILTER (WHERE t.transaction_date >= :from AND t.type IN ('withdrawal_fee', 'fee')) AS fees
    FROM savings_transactions t
    WHERE NOT t.reversed AND t.transaction_date <= :to
    GROUP BY t.account_id
) m ON m.account_id = a.id
WHERE a.activated_on <= :to AND {OFFICE_SCOPE}
ORDER BY a.id""",  # noqa: S608
))
