"""The standard microfinance chart of accounts and which movements each product accounting rule needs (pure).

`seed.py` writes STANDARD_CHART into every new tenant; `posting.default_mapping` maps a product's movements to
these gl_codes when a product is created without explicit mappings.
"""

from __future__ import annotations

from dataclasses import dataclass

ACCOUNTING_RULES = ("none", "cash", "accrual_periodic")
PRODUCT_TYPES = ("loan", "savings")


@dataclass(frozen=True)
class ChartAccount:
    gl_code: str
    name: str
    type: str
    usage: str
    parent_code: str | None
    tags: tuple[str, ...] = ()


STANDARD_CHART: tuple[ChartAccount, ...] = (
    ChartAccount("1000", "Assets", "asset", "header", None),
    ChartAccount("1100", "Cash and bank", "asset", "header", "1000"),
    ChartAccount("1110", "Cash on hand (fund source)", "asset", "detail", "1100", ("cash",)),
    ChartAccount("1120", "Bank accounts", "asset", "detail", "1100", ("cash",)),
    ChartAccount("1200", "Loan portfolio", "asset", "header", "1000"),
    ChartAccount("1210", "Loans outstanding (principal)", "asset", "detail", "1200", ("portfolio",)),
    ChartAccount("1220", "Interest receivable on loans", "asset", "detail", "1200", ("receivable",)),
    ChartAccount("1230", "Fees receivable", "asset", "detail", "1200", ("receivable",)),
    ChartAccount("1240", "Penalties receivable", "asset", "detail", "1200", ("receivable",)),
    ChartAccount("1250", "Savings overdrafts", "asset", "detail", "1200", ("portfolio",)),
    ChartAccount("1900", "Suspense and transfers in transit", "asset", "detail", "1000", ("suspense",)),
    ChartAccount("2000", "Liabilities", "liability", "header", None),
    ChartAccount("2100", "Savings deposits (control)", "liability", "detail", "2000", ("deposits",)),
    ChartAccount("2200", "Interest payable on savings", "liability", "detail", "2000", ("payable",)),
    ChartAccount("2300", "Loan overpayments", "liability", "detail", "2000", ("payable",)),
    ChartAccount("2900", "Other liabilities", "liability", "detail", "2000"),
    ChartAccount("3000", "Equity", "equity", "header", None),
    ChartAccount("3100", "Share capital", "equity", "detail", "3000"),
    ChartAccount("3200", "Retained earnings", "equity", "detail", "3000"),
    ChartAccount("3300", "Opening balance equity", "equity", "detail", "3000"),
    ChartAccount("4000", "Income", "income", "header", None),
    ChartAccount("4100", "Interest income on loans", "income", "detail", "4000"),
    ChartAccount("4200", "Fee income on loans", "income", "detail", "4000"),
    ChartAccount("4300", "Penalty income", "income", "detail", "4000"),
    ChartAccount("4400", "Recoveries of loans written off", "income", "detail", "4000"),
    ChartAccount("4410", "Income from charge-off interest", "income", "detail", "4000"),
    ChartAccount("4420", "Income from charge-off fees", "income", "detail", "4000"),
    ChartAccount("4430", "Income from charge-off penalties", "income", "detail", "4000"),
    ChartAccount("4500", "Fee income on savings", "income", "detail", "4000"),
    ChartAccount("4600", "Interest income on savings overdrafts", "income", "detail", "4000"),
    ChartAccount("5000", "Expenses", "expense", "header", None),
    ChartAccount("5100", "Interest on savings", "expense", "detail", "5000"),
    ChartAccount("5200", "Losses written off", "expense", "detail", "5000"),
    ChartAccount("5210", "Charge-off fraud expense", "expense", "detail", "5000"),
    ChartAccount("5300", "Operating expenses", "expense", "detail", "5000"),
)

# Tenant-wide roles of accounts (Fineract's "financial activity mappings").
FINANCIAL_ACTIVITIES: dict[str, str] = {
    "opening_balance_contra": "3300",
    "retained_earnings": "3200",
    "asset_transfer": "1900",
    "liability_transfer": "2900",
}

_LOAN_CASH = ("fund_source", "loan_portfolio", "interest_income", "fee_income", "penalty_income",
              "losses_written_off", "overpayment", "transfers_suspense", "income_from_recovery")
_SAVINGS_CASH = ("fund_source", "savings_control", "interest_on_savings", "fee_income", "penalty_income",
                 "transfers_suspense", "overdraft_portfolio", "interest_income", "losses_written_off")

# Which movements a product's GL mapping must name, per product type and accounting rule.
RULE_MOVEMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "loan": {
        "none": (),
        "cash": _LOAN_CASH,
        "accrual_periodic": (*_LOAN_CASH, "interest_receivable", "fee_receivable", "penalty_receivable"),
    },
    "savings": {
        "none": (),
        "cash": _SAVINGS_CASH,
        "accrual_periodic": (*_SAVINGS_CASH, "interest_payable", "fee_receivable", "penalty_receivable"),
    },
}

# Movements a product may map but need not (products made before them have no mapping), as Fineract's charge-off
# accounts: a loan's charge-off expense is the losses account (losses_written_off) unless mapped apart, the fraud
# charge-off expense the charge-off expense; what a charged-off loan pays (or had booked) of interest, fees and
# penalties is income from charge-off interest, fees and penalties, else the ordinary income accounts. The
# standard chart has accounts for them (4410, 4420, 4430, 5210) to map.
OPTIONAL_MOVEMENTS: dict[str, tuple[str, ...]] = {
    "loan": ("charge_off_expense", "charge_off_fraud_expense", "income_from_charge_off_interest",
             "income_from_charge_off_fees", "income_from_charge_off_penalty"),
    "savings": (),
}

# Every movement a product may map (the accrual rule's list is the widest).
MOVEMENTS: dict[str, frozenset[str]] = {
    ptype: frozenset(m for rule in rules.values() for m in rule) | frozenset(OPTIONAL_MOVEMENTS[ptype])
    for ptype, rules in RULE_MOVEMENTS.items()
}

DEFAULT_CODES: dict[str, dict[str, str]] = {
    "loan": {
        "fund_source": "1110",
        "loan_portfolio": "1210",
        "interest_receivable": "1220",
        "fee_receivable": "1230",
        "penalty_receivable": "1240",
        "transfers_suspense": "1900",
        "overpayment": "2300",
        "interest_income": "4100",
        "fee_income": "4200",
        "penalty_income": "4300",
        "income_from_recovery": "4400",
        "losses_written_off": "5200",
    },
    "savings": {
        "fund_source": "1110",
        "fee_receivable": "1230",
        "penalty_receivable": "1240",
        "overdraft_portfolio": "1250",
        "transfers_suspense": "1900",
        "savings_control": "2100",
        "interest_payable": "2200",
        "penalty_income": "4300",
        "fee_income": "4500",
        "interest_income": "4600",
        "interest_on_savings": "5100",
        "losses_written_off": "5200",
    },
}


def required_movements(product_type: str, accounting_rule: str) -> tuple[str, ...]:
    """The movements a product with this rule must map (KeyError for an unknown type or rule)."""
    return RULE_MOVEMENTS[product_type][accounting_rule]
