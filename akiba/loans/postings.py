"""Pure: a loan event and the product's GL mapping -> the balanced legs of its journal entry.

Cash accounting books income when money arrives: disbursement moves cash into the portfolio (disbursement fees
kept back are fee income), a repayment moves cash back out of the portfolio and into income per its split, an
overpayment becomes a liability to the borrower, a write-off moves the principal left to losses. Waivers post
nothing under the cash rule: the interest or fee they forgive was never booked. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from akiba.core.money import ZERO

Side = Literal["debit", "credit"]


@dataclass(frozen=True)
class Line:
    gl_account_id: int
    side: Side
    amount: Decimal


@dataclass(frozen=True)
class Amounts:
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fees: Decimal = ZERO
    penalties: Decimal = ZERO
    overpayment: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.penalties + self.overpayment


def _lines(mapping: dict[str, int], *legs: tuple[str, Side, Decimal]) -> list[Line]:
    return [Line(mapping[movement], side, amount) for movement, side, amount in legs if amount != ZERO]


def disbursement(mapping: dict[str, int], principal: Decimal, fees_withheld: Decimal) -> list[Line]:
    """The borrower receives the principal less the disbursement fees the lender keeps back."""
    return _lines(mapping,
                  ("loan_portfolio", "debit", principal),
                  ("fund_source", "credit", principal - fees_withheld),
                  ("fee_income", "credit", fees_withheld))


def repayment(mapping: dict[str, int], paid: Amounts, written_off: bool = False) -> list[Line]:
    """Cash in, split over portfolio and income; after a write-off the whole payment is a recovery."""
    if written_off:
        return _lines(mapping, ("fund_source", "debit", paid.total), ("income_from_recovery", "credit", paid.total))
    return _lines(mapping,
                  ("fund_source", "debit", paid.total),
                  ("loan_portfolio", "credit", paid.principal),
                  ("interest_income", "credit", paid.interest),
                  ("fee_income", "credit", paid.fees),
                  ("penalty_income", "credit", paid.penalties),
                  ("overpayment", "credit", paid.overpayment))


def write_off(mapping: dict[str, int], written: Amounts) -> list[Line]:
    """Only principal is on the books under cash accounting; interest and charges were never income."""
    return _lines(mapping, ("losses_written_off", "debit", written.principal),
                  ("loan_portfolio", "credit", written.principal))


def refund(mapping: dict[str, int], amount: Decimal) -> list[Line]:
    """An overpayment paid back to the borrower."""
    return _lines(mapping, ("overpayment", "debit", amount), ("fund_source", "credit", amount))


def legs_for(kind: str, mapping: dict[str, int], amounts: Amounts) -> list[Line]:
    """The legs of a loan transaction by type; types that book nothing under cash accounting answer []."""
    if kind in ("repayment", "prepayment"):
        return repayment(mapping, amounts)
    if kind == "write_off":
        return write_off(mapping, amounts)
    if kind == "refund":
        return refund(mapping, amounts.total)
    return []
