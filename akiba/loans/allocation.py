"""How a repayment splits over installments: the order of components and of installments per strategy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Literal

from akiba.core.money import ZERO
from akiba.loans.terms import Installment

Component = Literal["penalties", "fees", "interest", "principal"]

_PAID_FIELD: dict[Component, str] = {
    "penalties": "paid_penalties",
    "fees": "paid_fees",
    "interest": "paid_interest",
    "principal": "paid_principal",
}


@dataclass(frozen=True)
class Strategy:
    """Component order for installments due on or before the payment date, and for those still to come."""

    due_order: tuple[Component, ...]
    advance_order: tuple[Component, ...]


_PEN_FEE_INT_PRI: tuple[Component, ...] = ("penalties", "fees", "interest", "principal")
_PEN_FEE_PRI_INT: tuple[Component, ...] = ("penalties", "fees", "principal", "interest")
_PEN_INT_PRI_FEE: tuple[Component, ...] = ("penalties", "interest", "principal", "fees")
_PRI_PEN_FEE_INT: tuple[Component, ...] = ("principal", "penalties", "fees", "interest")
_PRI_INT_PEN_FEE: tuple[Component, ...] = ("principal", "interest", "penalties", "fees")
_INT_PRI_PEN_FEE: tuple[Component, ...] = ("interest", "principal", "penalties", "fees")

STRATEGIES: dict[str, Strategy] = {
    "PENALTIES_FEES_INTEREST_PRINCIPAL_ORDER": Strategy(_PEN_FEE_INT_PRI, _PEN_FEE_INT_PRI),
    "mifos-standard-strategy": Strategy(_PEN_FEE_INT_PRI, _PEN_FEE_INT_PRI),
    "DUE_PENALTY_FEE_INTEREST_PRINCIPAL_IN_ADVANCE_PRINCIPAL_PENALTY_FEE_INTEREST": Strategy(
        _PEN_FEE_INT_PRI, _PRI_PEN_FEE_INT
    ),
    "DUE_PENALTY_INTEREST_PRINCIPAL_FEE_IN_ADVANCE_PENALTY_INTEREST_PRINCIPAL_FEE": Strategy(
        _PEN_INT_PRI_FEE, _PEN_INT_PRI_FEE
    ),
    "PRINCIPAL_INTEREST_PENALTIES_FEES_ORDER": Strategy(_PRI_INT_PEN_FEE, _PRI_INT_PEN_FEE),
    "PRINCIPAL_INTEREST_PENALTIES_FEES_ORDER_STRATEGY": Strategy(_PRI_INT_PEN_FEE, _PRI_INT_PEN_FEE),
    "principal-interest-penalties-fees-order-strategy": Strategy(_PRI_INT_PEN_FEE, _PRI_INT_PEN_FEE),
    "INTEREST_PRINCIPAL_PENALTIES_FEES_ORDER": Strategy(_INT_PRI_PEN_FEE, _INT_PRI_PEN_FEE),
    "INTEREST_PRINCIPAL_PENALTIES_FEES_ORDER_STRATEGY": Strategy(_INT_PRI_PEN_FEE, _INT_PRI_PEN_FEE),
    "interest-principal-penalties-fees-order-strategy": Strategy(_INT_PRI_PEN_FEE, _INT_PRI_PEN_FEE),
    # Fineract's older named strategies differ from the standard order only in how they treat fees and
    # penalties of future installments; with the amounts a schedule carries they split payments the same way.
    "MIFOS_STANDARD_STRATEGY": Strategy(_PEN_FEE_INT_PRI, _PEN_FEE_INT_PRI),
    "HEAVENS_FAMILY_STRATEGY": Strategy(_PEN_FEE_INT_PRI, _PEN_FEE_INT_PRI),
    "heavensfamily-strategy": Strategy(_PEN_FEE_INT_PRI, _PEN_FEE_INT_PRI),
    "CREOCORE_STRATEGY": Strategy(_PEN_FEE_INT_PRI, _PEN_FEE_INT_PRI),
    "creocore-strategy": Strategy(_PEN_FEE_INT_PRI, _PEN_FEE_INT_PRI),
    "RBI_INDIA_STRATEGY": Strategy(_PEN_FEE_INT_PRI, _PEN_FEE_INT_PRI),
    "rbi-india-strategy": Strategy(_PEN_FEE_INT_PRI, _PEN_FEE_INT_PRI),
    "EARLY_REPAYMENT_STRATEGY": Strategy(_PEN_FEE_INT_PRI, _PEN_FEE_INT_PRI),
    "early-repayment-strategy": Strategy(_PEN_FEE_INT_PRI, _PEN_FEE_INT_PRI),
    # Advanced payment allocation's default rules (Fineract's PaymentAllocationType order, horizontal processing,
    # future installments NEXT_INSTALLMENT) pay past-due and due installments oldest first, then the next
    # installment, each penalties, fees, principal, interest.
    "ADVANCED_PAYMENT_ALLOCATION": Strategy(_PEN_FEE_PRI_INT, _PEN_FEE_PRI_INT),
}


def strategy_for(name: str) -> Strategy:
    return STRATEGIES[name]


def component_due(installment: Installment, component: Component) -> Decimal:
    due: Decimal = getattr(installment, component)
    paid: Decimal = getattr(installment, _PAID_FIELD[component])
    return due - paid


def _pay_component(installment: Installment, component: Component, amount: Decimal) -> Installment:
    paid: Decimal = getattr(installment, _PAID_FIELD[component])
    changes: dict[str, Decimal] = {_PAID_FIELD[component]: paid + amount}
    return replace(installment, **changes)  # type: ignore[arg-type]


def _record_timing(installment: Installment, amount: Decimal, on: date) -> Installment:
    """Split what was paid into in advance (before the due date) and late (after it); on the day is neither."""
    if on < installment.due_date:
        installment = replace(installment, in_advance=installment.in_advance + amount)
    elif on > installment.due_date:
        installment = replace(installment, late=installment.late + amount)
    if installment.outstanding == ZERO and installment.paid_date is None:
        installment = replace(installment, paid_date=on)
    return installment


def pay_installment(
    installment: Installment, amount: Decimal, on: date, order: Iterable[Component]
) -> tuple[Installment, Decimal]:
    """Pay what is left of one installment in the component order; answer it and the unspent amount."""
    spent = ZERO
    for component in order:
        portion = min(component_due(installment, component), amount - spent)
        if portion > 0:
            installment = _pay_component(installment, component, portion)
            spent += portion
    if spent > 0:
        installment = _record_timing(installment, spent, on)
    return installment, amount - spent


def allocate_repayment(
    installments: list[Installment], amount: Decimal, on: date, strategy: Strategy
) -> tuple[list[Installment], Decimal]:
    """Spread one repayment over the installments, oldest first; answer them and any overpayment."""
    result = list(installments)
    remaining = amount
    for index, installment in enumerate(result):
        if remaining <= 0:
            break
        order = strategy.due_order if installment.due_date <= on else strategy.advance_order
        result[index], remaining = pay_installment(installment, remaining, on, order)
    return result, remaining
