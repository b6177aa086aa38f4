"""Loan portfolio reports: PAR, active portfolio, disbursements, repayments, collections, ageing, loans due.

Portfolio-at-a-date reports read LOAN_STATE: the close-of-business snapshot of that date when there is one
(historical PAR is a lookup), the live loans otherwise (exact for the current business date).
PAR k is the principal outstanding of loans k or more days in arrears, over the principal outstanding.
"""

from __future__ import annotations

from akiba.reports.builtin import OFFICE_SCOPE
from akiba.reports.registry import Column, Param, Report, as_of_param, office_param, period_params, register
from akiba.reports.snapshot import LOAN_STATE, UNPAID

LOANS = ("loans", "loan_installments", "loan_transactions", "loan_products", "portfolio_snapshots")
GROUP_BY = Param("group_by", "choice", "Group by", choices=("office", "officer", "product"), default="office")

# The grouping key chosen by :group_by, as bound-parameter CASEs (no column name is ever formatted in).
GROUP_KEY = """
CASE CAST(:group_by AS text) WHEN 'office' THEN s.office_id WHEN 'officer' THEN s.loan_officer_id
     ELSE s.product_id END AS group_id,
CASE CAST(:group_by AS text) WHEN 'office' THEN o.name WHEN 'officer' THEN COALESCE(st.display_name, '(none)')
     ELSE p.name END AS group_name"""
STATE_JOINS = """
JOIN offices o ON o.id = s.office_id
JOIN loan_products p ON p.id = s.product_id
LEFT JOIN staff st ON st.id = s.loan_officer_id"""


def _ratio(part: str, whole: str) -> str:
    return f"ROUND(100 * {part} / NULLIF({whole}, 0), 2)"


def _par(days: int) -> str:
    amount = f"COALESCE(SUM(s.principal_outstanding) FILTER (WHERE s.days_in_arrears >= {days}), 0)"
    return f"{amount} AS par{days}, {_ratio(amount, 'SUM(s.principal_outstanding)')} AS par{days}_percent"


def _par_columns(days: int) -> tuple[Column, Column]:
    return Column(f"par{days}", "money", total=True), Column(f"par{days}_percent", "percent")


register(Report(
    name="portfolio-at-risk",
    title="Portfolio at risk (PAR 1/30/60/90)",
    description="Principal outstanding of loans 1, 30, 60 and 90 or more days in arrears, by office, loan "
                "officer or product; from the daily snapshot for past dates.",
    params=(as_of_param(), office_param(), GROUP_BY),
    columns=(Column("group_id", "int"), Column("group_name"), Column("currency"), Column("loans", "int", total=True),
             Column("principal_outstanding", "money", total=True), *_par_columns(1), *_par_columns(30),
             *_par_columns(60), *_par_columns(90)),
    needs=LOANS,
    sql=f"""
SELECT {GROUP_KEY}, s.currency, count(*) AS loans, SUM(s.principal_outstanding) AS principal_outstanding,
       {_par(1)}, {_par(30)}, {_par(60)}, {_par(90)}
FROM ({LOAN_STATE}) s {STATE_JOINS}
WHERE {OFFICE_SCOPE}
GROUP BY 1, 2, s.currency
ORDER BY 2, 1, s.currency""",  # noqa: S608  -- constant fragments only; values are bound
))

register(Report(
    name="active-portfolio",
    title="Active portfolio and outstanding by product and officer",
    params=(as_of_param(), office_param()),
    columns=(Column("product_id", "int"), Column("product"), Column("officer_id", "int"), Column("officer"),
             Column("currency"), Column("loans", "int", total=True),
             Column("principal_disbursed", "money", total=True), Column("principal_outstanding", "money", total=True),
             Column("interest_outstanding", "money", total=True),
             Column("fees_penalties_outstanding", "money", total=True),
             Column("total_outstanding", "money", total=True)),
    needs=LOANS,
    sql=f"""
SELECT p.id, p.name, s.loan_officer_id, COALESCE(st.display_name, '(none)'), s.currency, count(*),
       SUM(s.principal_disbursed), SUM(s.principal_outstanding), SUM(s.interest_outstanding),
       SUM(s.fees_outstanding + s.penalties_outstanding),
       SUM(s.principal_outstanding + s.interest_outstanding + s.fees_outstanding + s.penalties_outstanding)
FROM ({LOAN_STATE}) s {STATE_JOINS}
WHERE {OFFICE_SCOPE}
GROUP BY p.id, p.name, s.loan_officer_id, st.display_name, s.currency
ORDER BY p.name, 4, s.currency""",  # noqa: S608
))

register(Report(
    name="arrears-ageing",
    title="Arrears ageing",
    description="Loans in arrears by office and age bucket (1-30, 31-60, 61-90, 91-180, 181+ days).",
    params=(as_of_param(), office_param()),
    columns=(Column("office_id", "int"), Column("office"), Column("currency"), Column("bucket"),
             Column("loans", "int", total=True), Column("principal_outstanding", "money", total=True),
             Column("overdue_principal", "money", total=True), Column("overdue_total", "money", total=True)),
    needs=LOANS,
    sql=f"""
SELECT s.office_id, o.name, s.currency,
       CASE WHEN s.days_in_arrears <= 30 THEN '1-30' WHEN s.days_in_arrears <= 60 THEN '31-60'
            WHEN s.days_in_arrears <= 90 THEN '61-90' WHEN s.days_in_arrears <= 180 THEN '91-180'
            ELSE '181+' END AS bucket,
       count(*), SUM(s.principal_outstanding), SUM(s.overdue_principal), SUM(s.overdue_total)
FROM ({LOAN_STATE}) s {STATE_JOINS}
WHERE s.days_in_arrears > 0 AND {OFFICE_SCOPE}
GROUP BY s.office_id, o.name, s.currency, 4
ORDER BY o.name, s.currency, min(s.days_in_arrears)""",  # noqa: S608
))

_TXN_COLUMNS = (Column("transaction_date", "date"), Column("transaction_id", "int"), Column("loan_id", "int"),
                Column("borrower"), Column("office"), Column("officer"), Column("product"), Column("currency"))
_TXN_JOINS = """
FROM loan_transactions t
JOIN loans l ON l.id = t.loan_id
JOIN offices o ON o.id = l.office_id
JOIN loan_products p ON p.id = l.product_id
LEFT JOIN staff st ON st.id = l.loan_officer_id
LEFT JOIN clients c ON c.id = l.client_id
LEFT JOIN groups g ON g.id = l.group_id"""
_TXN_SELECT = ("t.transaction_date, t.id, l.id, COALESCE(c.display_name, g.name), o.name, st.display_name, p.name, "
               "l.currency")

register(Report(
    name="disbursements",
    title="Disbursements in a period",
    params=(*period_params(), office_param()),
    columns=(*_TXN_COLUMNS, Column("amount", "money", total=True)),
    needs=LOANS,
    sql=f"""
SELECT {_TXN_SELECT}, t.amount {_TXN_JOINS}
WHERE t.type = 'disbursement' AND NOT t.reversed AND t.transaction_date BETWEEN :from AND :to AND {OFFICE_SCOPE}
ORDER BY t.transaction_date, t.id""",
))

register(Report(
    name="repayments",
    title="Repayments in a period",
    params=(*period_params(), office_param()),
    columns=(*_TXN_COLUMNS, Column("type"), Column("amount", "money", total=True),
             Column("principal", "money", total=True), Column("interest", "money", total=True),
             Column("fees", "money", total=True), Column("penalties", "money", total=True),
             Column("overpayment", "money", total=True)),
    needs=LOANS,
    sql=f"""
SELECT {_TXN_SELECT}, t.type, t.amount, t.principal, t.interest, t.fees, t.penalties, t.overpayment {_TXN_JOINS}
WHERE t.type IN ('repayment', 'prepayment') AND NOT t.reversed AND t.transaction_date BETWEEN :from AND :to
  AND {OFFICE_SCOPE}
ORDER BY t.transaction_date, t.id""",
))

register(Report(
    name="expected-vs-actual",
    title="Expected and actual collections",
    description="What fell due in the period (installments due between from and to), how much of it has been "
                "paid or waived, and what was received in the period, by office, officer or product.",
    params=(*period_params(), office_param(), GROUP_BY),
    columns=(Column("group_id", "int"), Column("group_name"), Column("currency"),
             Column("expected", "money", total=True), Column("paid_of_expected", "money", total=True),
             Column("still_due", "money", total=True), Column("collection_rate_percent", "percent"),
             Column("received_in_period", "money", total=True)),
    needs=LOANS,
    sql=f"""
WITH due AS (
    SELECT l.office_id, l.loan_officer_id, l.product_id, l.currency,
           SUM(i.principal + i.interest + i.fees + i.penalties) AS expected,
           SUM(i.paid_principal + i.paid_interest + i.paid_fees + i.paid_penalties) AS paid,
           SUM({UNPAID}) AS still_due
    FROM loan_installments i JOIN loans l ON l.id = i.loan_id
    WHERE i.due_date BETWEEN :from AND :to AND l.status IN ('active', 'overpaid', 'closed')
    GROUP BY 1, 2, 3, 4
), received AS (
    SELECT l.office_id, l.loan_officer_id, l.product_id, l.currency, SUM(t.amount) AS received
    FROM loan_transactions t JOIN loans l ON l.id = t.loan_id
    WHERE t.type IN ('repayment', 'prepayment') AND NOT t.reversed AND t.transaction_date BETWEEN :from AND :to
    GROUP BY 1, 2, 3, 4
), s AS (
    SELECT COALESCE(d.office_id, r.office_id) AS office_id, COALESCE(d.loan_officer_id, r.loan_officer_id)
           AS loan_officer_id, COALESCE(d.product_id, r.product_id) AS product_id,
           COALESCE(d.currency, r.currency) AS currency, COALESCE(d.expected, 0) AS expected,
           COALESCE(d.paid, 0) AS paid, COALESCE(d.still_due, 0) AS still_due, COALESCE(r.received, 0) AS received
    FROM due d FULL JOIN received r ON (r.office_id, r.product_id, r.currency) = (d.office_id, d.product_id, d.currency)
         AND r.loan_officer_id IS NOT DISTINCT FROM d.loan_officer_id
)
SELECT {GROUP_KEY}, s.currency, SUM(s.expected), SUM(s.paid), SUM(s.still_due),
       {_ratio('SUM(s.paid)', 'SUM(s.expected)')}, SUM(s.received)
FROM s {STATE_JOINS}
WHERE {OFFICE_SCOPE}
GROUP BY 1, 2, s.currency
ORDER BY 2, 1, s.currency""",  # noqa: S608
))

register(Report(
    name="loans-due",
    title="Loans due (collection sheet)",
    description="Per officer, center and group: each active loan with what falls due on the day and what is "
                "already overdue.",
    params=(Param("due_date", "date", "Due on", default="business_date"), office_param(),
            Param("staff_id", "int", "Loan officer"), Param("center_id", "int", "Center")),
    columns=(Column("officer"), Column("center"), Column("group"), Column("loan_id", "int"), Column("borrower"),
             Column("product"), Column("currency"), Column("due_today", "money", total=True),
             Column("overdue", "money", total=True), Column("total_to_collect", "money", total=True)),
    needs=LOANS,
    sql=f"""
WITH amounts AS (
    SELECT i.loan_id,
           COALESCE(SUM({UNPAID}) FILTER (WHERE i.due_date = :due_date), 0) AS due_today,
           COALESCE(SUM({UNPAID}) FILTER (WHERE i.due_date < :due_date), 0) AS overdue
    FROM loan_installments i JOIN loans al ON al.id = i.loan_id AND al.status = 'active'
    WHERE i.due_date <= :due_date
    GROUP BY i.loan_id
), membership AS (
    SELECT DISTINCT ON (m.client_id) m.client_id, m.group_id
    FROM group_members m WHERE m.left_on IS NULL ORDER BY m.client_id, m.joined_on DESC
)
SELECT st.display_name, ctr.name, grp.name, l.id, COALESCE(c.display_name, g.name), p.name, l.currency,
       a.due_today, a.overdue, a.due_today + a.overdue
FROM amounts a
JOIN loans l ON l.id = a.loan_id
JOIN offices o ON o.id = l.office_id
JOIN loan_products p ON p.id = l.product_id
LEFT JOIN staff st ON st.id = l.loan_officer_id
LEFT JOIN clients c ON c.id = l.client_id
LEFT JOIN groups g ON g.id = l.group_id
LEFT JOIN membership m ON m.client_id = l.client_id
LEFT JOIN groups grp ON grp.id = COALESCE(l.group_id, m.group_id)
LEFT JOIN groups ctr ON ctr.id = grp.center_id
WHERE a.due_today + a.overdue > 0 AND {OFFICE_SCOPE}
  AND (CAST(:staff_id AS integer) IS NULL OR l.loan_officer_id = CAST(:staff_id AS integer))
  AND (CAST(:center_id AS integer) IS NULL OR grp.center_id = CAST(:center_id AS integer))
ORDER BY st.display_name NULLS LAST, ctr.name NULLS LAST, grp.name NULLS LAST, 5, l.id""",  # noqa: S608
))

register(Report(
    name="portfolio-history",
    title="Portfolio history from the daily snapshots",
    description="Per business date and office: loans, principal outstanding and PAR30, from close of business.",
    params=(*period_params(), office_param()),
    columns=(Column("business_date", "date"), Column("office_id", "int"), Column("office"), Column("currency"),
             Column("loans", "int"), Column("principal_outstanding", "money"), Column("par30", "money"),
             Column("par30_percent", "percent")),
    needs=("portfolio_snapshots",),
    sql=f"""
SELECT s.business_date, s.office_id, o.name, s.currency, count(*), SUM(s.principal_outstanding),
       {_par(30)}
FROM portfolio_snapshots s JOIN offices o ON o.id = s.office_id
WHERE s.business_date BETWEEN :from AND :to AND {OFFICE_SCOPE}
GROUP BY s.business_date, s.office_id, o.name, s.currency
ORDER BY s.business_date, o.name, s.currency""",  # noqa: S608
))
