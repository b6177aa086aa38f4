"""Interest recalculation: the cumulative schedule re-derived from the repayments actually made.

Fineract regenerates the schedule at every transaction (and at the business date) from the period containing
that date on; periods already due keep what they were given then. In one forward pass this means:

- period k is computed knowing every transaction up to its due date, and the latest event (transaction date or
  business date) T on or before that due date;
- its interest is summed over the stretches where the balance is constant, each stretch rounded to the currency:
  the scheduled opening balance, plus principal (and, with interest compounding, interest) of earlier
  installments still unpaid - counted only until T, as the engine assumes whatever is overdue is paid on the
  business date - minus prepayments made inside the period from their date on;
- a payment before the due date reduces the balance by its whole amount; the installment's principal is then at
  least that amount. A payment on the due date beyond the installment adds to its principal;
- principal paid beyond the schedule reduces the EMI (reduce_emi_amount), the next installments' principal
  (reschedule_next_repayments) or the number of installments (reduce_number_of_installments).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from akiba.core.money import ZERO
from akiba.loans.allocation import Strategy, allocate_repayment, strategy_for
from akiba.loans.cumulative import (
    PrincipalPlan,
    in_interest_grace,
    in_principal_grace,
    plan_principal,
    settle_last_principal,
)
from akiba.loans.dates import DueDateAdjuster, PeriodDates, repayment_periods
from akiba.loans.progressive_recalculation import recalculate_progressive_rows
from akiba.loans.rates import annuity_payment, annuity_rate, periodic_rate
from akiba.loans.terms import Installment, Schedule, ScheduleRequest, Transaction


@dataclass
class RecalculationState:
    """What flows from one period to the next while the schedule is rebuilt."""

    balance: Decimal  # scheduled principal still to amortise
    emi: Decimal | None
    fixed_principal: Decimal | None
    credit: Decimal = ZERO  # principal paid ahead that the next installments' principal absorbs
    deferred_interest: Decimal = ZERO


def _allocate_all(
    rows: list[Installment], transactions: list[Transaction], strategy: Strategy
) -> tuple[list[Installment], Decimal]:
    """Apply transactions to rows; answer the rows and what none of them could absorb."""
    leftover = ZERO
    for transaction in transactions:
        rows, unspent = allocate_repayment(rows, transaction.amount, transaction.date, strategy)
        leftover += unspent
    return rows, leftover


def _overdue(rows: list[Installment], compounds_interest: bool) -> Decimal:
    unpaid_principal = sum((row.principal - row.paid_principal for row in rows), ZERO)
    if not compounds_interest:
        return unpaid_principal
    return unpaid_principal + sum((row.interest - row.paid_interest for row in rows), ZERO)


@dataclass(frozen=True)
class PeriodActivity:
    interest: Decimal
    prepaid: Decimal  # paid inside the period before its due date, beyond what earlier installments owed
    paid_on_due_date: Decimal  # paid on the due date beyond what earlier installments owed


def _latest_event(events: list[date], due: date) -> date | None:
    earlier = [event for event in events if event <= due]
    return max(earlier) if earlier else None


def _period_activity(
    req: ScheduleRequest,
    prior: list[Installment],
    period: PeriodDates,
    opening: Decimal,
    transactions: list[Transaction],
    latest_event: date | None,
) -> PeriodActivity:
    """Interest over the constant-balance stretches of the period, and the payments made in it."""
    recalculation = req.interest_recalculation
    assert recalculation is not None
    strategy = strategy_for(req.transaction_processing_strategy)
    compounds_interest = recalculation.compounding in ("interest", "interest_and_fee")
    daily_rest = recalculation.rest_frequency == "daily"
    start, due = period.from_date, period.due_date
    rows, _ = _allocate_all(list(prior), [t for t in transactions if t.date <= start], strategy)
    inside = [t for t in transactions if start < t.date < due]
    breaks = sorted(
        {t.date for t in inside} | ({latest_event} if latest_event and start < latest_event < due else set())
    )
    if not daily_rest:
        breaks = []  # with a rest of the repayment period, a change only counts from the next due date
    interest = ZERO
    prepaid = ZERO
    cursor = start
    for stop in [*breaks, due]:
        overdue = _overdue(rows, compounds_interest) if latest_event is not None and cursor < latest_event else ZERO
        balance = max(opening - prepaid + overdue, ZERO)  # an overpayment earns the borrower no interest
        rate = periodic_rate(req, cursor, stop)
        interest += req.rounding.money(req.rate_context.multiply(balance, rate))
        if stop < due:
            rows, unspent = _allocate_all(rows, [t for t in inside if t.date == stop], strategy)
            prepaid += unspent
        cursor = stop
    if not daily_rest:
        rows, prepaid = _allocate_all(rows, inside, strategy)
    _, on_due = _allocate_all(rows, [t for t in transactions if t.date == due], strategy)
    return PeriodActivity(interest, prepaid, on_due)


def _scheduled_principal(
    req: ScheduleRequest, state: RecalculationState, number: int, own_interest: Decimal
) -> Decimal:
    if in_principal_grace(req, number):
        return ZERO
    if state.emi is not None:
        planned = max(state.emi - own_interest, ZERO)
    else:
        assert state.fixed_principal is not None
        planned = state.fixed_principal
    absorbed = min(state.credit, planned)
    state.credit -= absorbed
    return planned - absorbed


def _respread_after_prepayment(req: ScheduleRequest, state: RecalculationState, remaining_periods: int) -> None:
    recalculation = req.interest_recalculation
    assert recalculation is not None
    if remaining_periods <= 0 or state.balance <= 0:
        return
    if recalculation.reschedule_strategy != "reduce_emi_amount":
        return
    if state.emi is not None:
        exact = annuity_payment(state.balance, annuity_rate(req), remaining_periods)
        state.emi = req.rounding.money(req.rounding.multiple(exact, req.installment_in_multiples_of))
    else:
        state.fixed_principal = req.rounding.money(state.balance / remaining_periods)


def _installment_interest(req: ScheduleRequest, state: RecalculationState, number: int, own: Decimal) -> Decimal:
    if in_interest_grace(req, number):
        state.deferred_interest += own
        return ZERO
    interest = own + state.deferred_interest
    state.deferred_interest = ZERO
    return interest


def recalculate_rows(
    req: ScheduleRequest,
    balance: Decimal,
    periods: list[PeriodDates],
    transactions: list[Transaction],
    prior: list[Installment],
) -> list[Installment]:
    """The repayment installments (numbered after `prior`, e.g. a down payment) given the actual repayments."""
    plan: PrincipalPlan = plan_principal(req, balance, periods)
    state = RecalculationState(balance, plan.emi, plan.fixed_principal)
    events = sorted({t.date for t in transactions} | ({req.as_of} if req.as_of else set()))
    rows = list(prior)
    offset = len(prior)
    for number, period in enumerate(periods, start=1):
        if state.balance <= 0:
            break
        activity = _period_activity(
            req, rows, period, state.balance, transactions, _latest_event(events, period.due_date)
        )
        planned = _scheduled_principal(req, state, number, activity.interest)
        interest = _installment_interest(req, state, number, activity.interest)
        principal = max(planned, activity.prepaid)
        principal += max(activity.paid_on_due_date - max(principal + interest - activity.prepaid, ZERO), ZERO)
        principal = settle_last_principal(req, principal, state.balance - principal, number, len(periods))
        state.balance -= principal
        if principal > planned:
            if (
                req.interest_recalculation
                and req.interest_recalculation.reschedule_strategy == "reschedule_next_repayments"
            ):
                state.credit += principal - planned
            _respread_after_prepayment(req, state, len(periods) - number)
        rows.append(
            Installment.scheduled(
                number + offset, period.from_date, period.due_date, principal, interest, state.balance
            )
        )
    if state.deferred_interest and len(rows) > offset:
        rows[-1] = replace(rows[-1], interest=rows[-1].interest + state.deferred_interest)
    return rows[offset:]


def recalculated_preview(
    req: ScheduleRequest, transactions: list[Transaction], adjust_due_date: DueDateAdjuster | None = None
) -> Schedule:
    """The schedule a loan with interest recalculation shows at the business date, with what was paid of it."""
    from akiba.loans.schedule import down_payment_rows, replay

    prior, balance = down_payment_rows(req)
    if req.schedule_type == "progressive":
        down_payment = prior[0].principal if prior else ZERO
        rows = prior + recalculate_progressive_rows(req, balance, down_payment, transactions, adjust_due_date)
    else:
        periods = repayment_periods(req, adjust_due_date)
        rows = prior + recalculate_rows(req, balance, periods, transactions, prior)
    return replay(Schedule(req.currency, req.digits, tuple(rows)), transactions, req.transaction_processing_strategy)
