"""Pure: a loan event and the product's GL mapping -> the balanced legs of its journal entry.

Cash accounting books income when money arrives: disbursement moves cash into the portfolio (disbursement fees
kept back are fee income), a repayment moves cash back out of the portfolio and into income per its split, an
overpayment becomes a liability to the borrower, a write-off moves the principal left to losses. Waivers post
nothing under the cash rule: the interest or fee they forgive was never booked.

Accrual accounting (rule accrual_periodic) books interest as close of business earns it (receivable against
income) and penalties when they are charged. A settlement then clears the receivable for what was booked and
credits income only for interest not accrued yet, so nothing is income twice: `Accrued` says how much of the
interest a transaction settles was accrued. Fees stay income when paid (close of business accrues none).
Waivers and write-offs of booked amounts take them back out of income or into losses.

A charge-off moves the principal from the portfolio to the charge-off expense (the fraud charge-off expense when
the loan is charged off for fraud) and leaves the loan collectable. Under accrual accounting it also empties the
receivables, as Fineract does: the accrued interest and the penalties booked are debited to the income from
charge-off interest and penalties (fees are never booked before they are paid). Everything a charged-off loan
pays afterwards is income: its principal is recovery income, its interest, fees and penalties income from
charge-off interest, fees and penalties (each falls back to the ordinary income account when the product maps
none). Standard library only.
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


def charge_off_expense(mapping: dict[str, int], fraud: bool = False) -> int:
    """The charge-off expense account: its own mapping, else the losses account (products mapped before it); for
    a fraud, the fraud charge-off expense, else the charge-off expense."""
    expense = mapping.get("charge_off_expense", mapping["losses_written_off"])
    return mapping.get("charge_off_fraud_expense", expense) if fraud else expense


# The income accounts of a charged-off loan and the ordinary account each falls back to when the product maps none.
_CHARGE_OFF_INCOME = {"income_from_charge_off_interest": "interest_income",
                      "income_from_charge_off_fees": "fee_income",
                      "income_from_charge_off_penalty": "penalty_income"}


def _charged_off(mapping: dict[str, int], fraud: bool = False) -> dict[str, int]:
    """The mapping with every charge-off account resolved (its own, or the account it falls back to)."""
    return {**mapping, **{m: mapping.get(m, mapping[fallback]) for m, fallback in _CHARGE_OFF_INCOME.items()},
            "charge_off_expense": charge_off_expense(mapping, fraud)}


def charge_off(mapping: dict[str, int], charged: Amounts, fraud: bool = False) -> list[Line]:
    """The principal leaves the portfolio for the charge-off expense; under cash accounting interest and charges
    were never booked, so there is nothing else to move. The loan stays collectable."""
    return _lines(_charged_off(mapping, fraud), ("charge_off_expense", "debit", charged.principal),
                  ("loan_portfolio", "credit", charged.principal))


def accrual_charge_off(mapping: dict[str, int], charged: Amounts, accrued: Accrued, fraud: bool = False
                       ) -> list[Line]:
    """The principal leaves the portfolio for the charge-off expense, and what the receivables hold (the interest
    accrued and not paid, every penalty charged and not paid) leaves them for the charge-off income accounts."""
    return _lines(_charged_off(mapping, fraud),
                  ("charge_off_expense", "debit", charged.principal),
                  ("loan_portfolio", "credit", charged.principal),
                  ("income_from_charge_off_interest", "debit", accrued.interest),
                  ("interest_receivable", "credit", accrued.interest),
                  ("income_from_charge_off_penalty", "debit", charged.penalties),
                  ("penalty_receivable", "credit", charged.penalties))


def recovery_repayment(mapping: dict[str, int], paid: Amounts) -> list[Line]:
    """A repayment after a charge-off: the principal is no longer in the portfolio, so it is recovered (income);
    interest and charges are income from the charge-off (no receivable holds them any more, whatever the rule)."""
    return _lines(_charged_off(mapping),
                  ("fund_source", "debit", paid.total),
                  ("income_from_recovery", "credit", paid.principal),
                  ("income_from_charge_off_interest", "credit", paid.interest),
                  ("income_from_charge_off_fees", "credit", paid.fees),
                  ("income_from_charge_off_penalty", "credit", paid.penalties),
                  ("overpayment", "credit", paid.overpayment))


def write_off(mapping: dict[str, int], written: Amounts) -> list[Line]:
    """Only principal is on the books under cash accounting; interest and charges were never income."""
    return _lines(mapping, ("losses_written_off", "debit", written.principal),
                  ("loan_portfolio", "credit", written.principal))


def refund(mapping: dict[str, int], amount: Decimal) -> list[Line]:
    """An overpayment paid back to the borrower."""
    return _lines(mapping, ("overpayment", "debit", amount), ("fund_source", "credit", amount))


@dataclass(frozen=True)
class Accrued:
    """Of a transaction's interest, what was receivable: paid (`interest`) and forgiven by a payoff (`forgiven`)."""

    interest: Decimal = ZERO
    forgiven: Decimal = ZERO


def accrual_repayment(mapping: dict[str, int], paid: Amounts, accrued: Accrued) -> list[Line]:
    """Cash in; accrued interest and every penalty (booked when charged) clear their receivables."""
    return _lines(mapping,
                  ("fund_source", "debit", paid.total),
                  ("loan_portfolio", "credit", paid.principal),
                  ("interest_receivable", "credit", accrued.interest + accrued.forgiven),
                  ("interest_income", "credit", paid.interest - accrued.interest),
                  ("interest_income", "debit", accrued.forgiven),
                  ("fee_income", "credit", paid.fees),
                  ("penalty_receivable", "credit", paid.penalties),
                  ("overpayment", "credit", paid.overpayment))


def accrual_waiver(mapping: dict[str, int], waived: Amounts, accrued: Accrued) -> list[Line]:
    """Forgiving booked interest or penalties takes them back out of income; unbooked amounts post nothing."""
    return _lines(mapping,
                  ("interest_income", "debit", accrued.interest),
                  ("interest_receivable", "credit", accrued.interest),
                  ("penalty_income", "debit", waived.penalties),
                  ("penalty_receivable", "credit", waived.penalties))


def accrual_write_off(mapping: dict[str, int], written: Amounts, accrued: Accrued) -> list[Line]:
    """Principal, accrued interest and penalties are lost; interest not accrued yet was never on the books."""
    return _lines(mapping,
                  ("losses_written_off", "debit", written.principal + accrued.interest + written.penalties),
                  ("loan_portfolio", "credit", written.principal),
                  ("interest_receivable", "credit", accrued.interest),
                  ("penalty_receivable", "credit", written.penalties))


def penalty_accrual(mapping: dict[str, int], amount: Decimal) -> list[Line]:
    """Accrual accounting books a penalty as income when it is charged."""
    return _lines(mapping, ("penalty_receivable", "debit", amount), ("penalty_income", "credit", amount))


def interest_accrual(mapping: dict[str, int], amount: Decimal) -> list[Line]:
    """Interest accrued (positive) or an accrual taken back (negative)."""
    if amount < 0:
        return _lines(mapping, ("interest_income", "debit", -amount), ("interest_receivable", "credit", -amount))
    return _lines(mapping, ("interest_receivable", "debit", amount), ("interest_income", "credit", amount))


def legs_for(kind: str, mapping: dict[str, int], amounts: Amounts, accrued: Accrued | None = None,
             recovery: bool = False, fraud: bool = False) -> list[Line]:
    """The legs of a loan transaction by type under cash accounting, or under accrual accounting when `accrued`
    is given; `recovery`: a transaction after the loan's charge-off (a repayment recovers, a waiver forgives what
    the books no longer hold); `fraud`: a charge-off for fraud; types that book nothing answer []."""
    if recovery and kind in ("waive_interest", "waive_charge"):
        return []
    if accrued is not None:
        if kind == "charge_off":
            return accrual_charge_off(mapping, amounts, accrued, fraud)
        if kind in ("repayment", "prepayment") and not recovery:
            return accrual_repayment(mapping, amounts, accrued)
        if kind in ("waive_interest", "waive_charge"):
            return accrual_waiver(mapping, amounts, accrued)
        if kind == "write_off":
            return accrual_write_off(mapping, amounts, accrued)
    if kind in ("repayment", "prepayment"):
        return recovery_repayment(mapping, amounts) if recovery else repayment(mapping, amounts)
    if kind == "charge_off":
        return charge_off(mapping, amounts, fraud)
    if kind == "write_off":
        return write_off(mapping, amounts)
    if kind == "refund":
        return refund(mapping, amounts.total)
    return []
