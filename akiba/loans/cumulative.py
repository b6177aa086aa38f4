"""The cumulative (classic) schedule: declining balance with equal installments or equal principal, and flat."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from akiba.core.money import ZERO
from akiba.loans.dates import PeriodDates
from akiba.loans.rates import (
    HUNDRED,
    annuity_payment,
    annuity_rate,
    frequency_units_between,
    period_rates,
    periodic_rate,
)
from akiba.loans.rates import periods_per_year as rate_periods_per_year
from akiba.loans.terms import Installment, ScheduleRequest


@dataclass(frozen=True)
class PrincipalPlan:
    """What the principal part of each installment is built from, decided once before the loop."""

    emi: Decimal | None  # declining balance, equal installments
    fixed_principal: Decimal | None  # equal principal (or a fixed percentage of the principal)
    flat_principal: Decimal | None  # flat, before installment rounding
    flat_interest: Decimal | None  # flat, interest of each non-grace installment
    flat_total_interest: Decimal


def in_principal_grace(req: ScheduleRequest, number: int) -> bool:
    return number <= req.grace_on_principal


def in_interest_grace(req: ScheduleRequest, number: int) -> bool:
    return number <= req.grace_on_interest


def flat_total_interest(req: ScheduleRequest, periods: list[PeriodDates]) -> Decimal:
    """Flat interest over the whole term, on the full disbursed principal (the down payment is not deducted)."""
    ctx = req.rate_context
    start, end = req.expected_disbursement_date, periods[-1].due_date
    if req.interest_calculation_period == "daily":
        term = Decimal((end - start).days)
    elif req.allow_partial_period_interest_calculation:
        term = frequency_units_between(req, start, end)
    else:
        term = Decimal(req.number_of_repayments * req.repayment_every)
    rate = ctx.divide(ctx.divide(req.annual_interest_rate, Decimal(rate_periods_per_year(req))), HUNDRED) * term
    return req.rounding.money(ctx.multiply(req.principal, rate))


def plan_principal(req: ScheduleRequest, balance: Decimal, periods: list[PeriodDates]) -> PrincipalPlan:
    rounding = req.rounding
    paying_periods = len(periods) - req.grace_on_principal
    emi = fixed = flat_principal = flat_interest = None
    total_flat = ZERO
    if req.interest_type == "flat":
        total_flat = flat_total_interest(req, periods)
        flat_principal = rounding.money(balance / paying_periods)
        flat_interest = rounding.money(total_flat / (len(periods) - req.grace_on_interest))
    elif req.amortization == "equal_principal":
        if req.fixed_principal_percentage_per_installment is not None:
            fixed = rounding.money(balance * req.fixed_principal_percentage_per_installment / HUNDRED)
        else:
            fixed = rounding.money(balance / paying_periods)
    else:
        exact = annuity_payment(balance, annuity_rate(req), paying_periods)
        emi = rounding.money(rounding.multiple(exact, req.installment_in_multiples_of))
    return PrincipalPlan(emi, fixed, flat_principal, flat_interest, total_flat)


def declining_interest(req: ScheduleRequest, balance: Decimal, period: PeriodDates) -> Decimal:
    return interest_at_rate(req, balance, periodic_rate(req, period.from_date, period.due_date))


def interest_at_rate(req: ScheduleRequest, balance: Decimal, rate: Decimal) -> Decimal:
    return req.rounding.money(req.rate_context.multiply(balance, rate))


def flat_principal_for(req: ScheduleRequest, plan: PrincipalPlan, interest: Decimal) -> Decimal:
    """Flat principal; with an installment multiple the installment total becomes a whole multiple."""
    assert plan.flat_principal is not None
    step = req.installment_in_multiples_of
    if step is None:
        return plan.flat_principal
    rounding = req.rounding
    # The principal absorbs the interest's rounding so that principal + interest is a whole multiple.
    whole = rounding.multiple(plan.flat_principal, step) + rounding.multiple(interest, step) - interest
    return max(whole, ZERO)  # a multiple coarser than the installment rounds it away to nothing


def scheduled_principal(req: ScheduleRequest, plan: PrincipalPlan, number: int, own_interest: Decimal) -> Decimal:
    if in_principal_grace(req, number):
        return ZERO
    if plan.emi is not None:
        # Interest above the EMI (a tiny EMI after rounding to a coarse multiple) repays no principal.
        return max(plan.emi - own_interest, ZERO)
    if plan.fixed_principal is not None:
        return plan.fixed_principal
    return flat_principal_for(req, plan, own_interest)


def _merge_threshold(req: ScheduleRequest, principal: Decimal) -> Decimal:
    """A remainder below this share of the installment's principal joins it rather than making a tiny last one."""
    return principal * req.principal_threshold_for_last_installment_percent / HUNDRED


def settle_last_principal(
    req: ScheduleRequest, principal: Decimal, remaining_after: Decimal, number: int, count: int
) -> Decimal:
    """Make the principal never overshoot, merge a small remainder, and let the last period take the rest."""
    if remaining_after < 0:
        return principal + remaining_after
    if req.installment_in_multiples_of is not None and remaining_after < _merge_threshold(req, principal):
        return principal + remaining_after
    if number == count:
        return principal + remaining_after
    return principal


def generate_cumulative(
    req: ScheduleRequest, balance: Decimal, periods: list[PeriodDates], offset: int = 0
) -> list[Installment]:
    """Installments of the repayment periods for `balance`, the principal to schedule, numbered after `offset`
    earlier rows (a down payment); grace counts repayment periods from 1 all the same."""
    plan = plan_principal(req, balance, periods)
    rates = None if plan.flat_interest is not None else period_rates(req, periods)
    rows: list[Installment] = []
    deferred_interest = ZERO
    charged_flat_interest = ZERO
    for number, period in enumerate(periods, start=1):
        if balance <= 0:
            break
        if plan.flat_interest is not None:
            own_interest = ZERO if in_interest_grace(req, number) else plan.flat_interest
            left_to_charge = plan.flat_total_interest - charged_flat_interest
            # Rounding up each share must not charge more than the total; the last period takes what is left.
            own_interest = left_to_charge if number == len(periods) else min(own_interest, left_to_charge)
            charged_flat_interest += own_interest
            interest = own_interest
        else:
            assert rates is not None
            own_interest = interest_at_rate(req, balance, rates[number - 1])
            if in_interest_grace(req, number):
                # Grace on interest payment defers the interest to the first period after the grace.
                deferred_interest += own_interest
                interest = ZERO
            else:
                interest = own_interest + deferred_interest
                deferred_interest = ZERO
        principal = scheduled_principal(req, plan, number, own_interest)
        principal = settle_last_principal(req, principal, balance - principal, number, len(periods))
        balance -= principal
        rows.append(
            Installment.scheduled(number + offset, period.from_date, period.due_date, principal, interest, balance)
        )
    if deferred_interest and rows:
        last = rows[-1]
        rows[-1] = Installment(
            last.n,
            last.from_date,
            last.due_date,
            last.principal,
            last.interest + deferred_interest,
            last.outstanding_after,
        )
    return rows
