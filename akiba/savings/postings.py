"""Which GL accounts a savings transaction moves (cash accounting): pure, no database.

A savings balance is a liability of the institution, held on the product's ``savings_control`` account:

===========================  ==============================  ==================================
transaction                  debit                           credit
===========================  ==============================  ==================================
deposit                      fund_source (cash)              savings_control
withdrawal                   savings_control                 fund_source (cash)
interest_posting             interest_on_savings (expense)   savings_control
interest_reversal            savings_control                 interest_on_savings
withdrawal_fee/fee           savings_control                 fee_income
overdraft_interest           savings_control                 interest_income (overdraft income)
overdraft_interest_reversal  interest_income                 savings_control
transfer_out                 savings_control                 transfers_suspense
transfer_in                  transfers_suspense              savings_control
===========================  ==============================  ==================================

A transfer posts each side as its own entry through ``transfers_suspense`` (as Fineract does), so the two
accounts may belong to different offices and products and the suspense account still nets to zero.
Overdrawn balances stay on ``savings_control`` (a debit balance there), so the control account always equals
the sum of the account balances. Overdraft interest is income on the ``interest_income`` movement, which the
standard chart maps to 4600 "Interest income on savings overdrafts" (Fineract's savings "income from
interest"); interest paid on savings is the expense ``interest_on_savings``, so the two are never netted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Side = Literal["debit", "credit"]

# (debit movement, credit movement) of each transaction type.
_RULES: dict[str, tuple[str, str]] = {
    "deposit": ("fund_source", "savings_control"),
    "withdrawal": ("savings_control", "fund_source"),
    "interest_posting": ("interest_on_savings", "savings_control"),
    "interest_reversal": ("savings_control", "interest_on_savings"),
    "overdraft_interest": ("savings_control", "interest_income"),
    "overdraft_interest_reversal": ("interest_income", "savings_control"),
    "withdrawal_fee": ("savings_control", "fee_income"),
    "fee": ("savings_control", "fee_income"),
    "transfer_out": ("savings_control", "transfers_suspense"),
    "transfer_in": ("transfers_suspense", "savings_control"),
}
MOVEMENTS_USED = frozenset(m for pair in _RULES.values() for m in pair)


@dataclass(frozen=True)
class PlannedLeg:
    gl_account_id: int
    side: Side
    amount: Decimal


def legs_for(transaction_type: str, amount: Decimal, mapping: Mapping[str, int]) -> list[PlannedLeg]:
    """The balanced legs of one transaction; ``mapping`` is the product's movement -> GL account id."""
    if amount <= 0:
        raise ValueError("a savings transaction moves a positive amount")
    debit, credit = _RULES[transaction_type]
    return [PlannedLeg(mapping[debit], "debit", amount), PlannedLeg(mapping[credit], "credit", amount)]


def movements_missing(mapping: Mapping[str, int]) -> list[str]:
    """The movements savings transactions post to that the mapping does not name."""
    return sorted(MOVEMENTS_USED - set(mapping))
