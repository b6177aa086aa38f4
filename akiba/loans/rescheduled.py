"""The schedule of a rescheduled loan that recalculates its interest: pure, from its terms and its payments.

A reschedule keeps the installments before its first rescheduled one (`first_n`) and computes the rest anew from
the principal they leave, with the reschedule's rate, number of installments, first due date and grace on
principal, periods running from `start` (the last kept due date, or the disbursement). Such a loan rebuilds its
installments from its payments after every event, so each rebuild applies every reschedule again, in order: the
kept installments are computed by the terms before the reschedule (as recalculated from the payments), the rest
by the reschedule's terms for the balance the kept ones leave, with the kept ones' unpaid amounts counted as
overdue as any earlier installment is. Fineract does the same through the loan's term variations, which every
regeneration of a recalculating loan's schedule applies from their date on.

A progressive schedule is one interest model for the whole loan (`akiba.loans.progressive_recalculation`), so a
reschedule is an event in it, as Fineract's ProgressiveEMICalculator takes a rate change or added periods: the
repayments up to the reschedule's `start` are applied first; then the periods from the first rescheduled one are
replaced by the reschedule's (its dates, rate from `start` on, grace on principal), whose EMIs are those of a plain
progressive loan of the principal the kept periods leave (their due principal taken off the principal); the later
repayments follow. The kept periods keep their EMIs; every later payment, early or late, moves balances and
interest across the whole model as in a loan without reschedule, and the last unpaid period absorbs the
difference. Principal paid ahead on a replaced period before `start` counts as paid on the new periods in order
(the loan ends sooner, as with any payment ahead on a progressive loan). Without any payment the model stands as
scheduled (no overdue interest), as the preview answers a loan without payment. Reschedules apply in the order
they were made, none before the date of an earlier one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from akiba.core.money import ZERO
from akiba.loans.dates import DueDateAdjuster, repayment_periods
from akiba.loans.progressive_recalculation import TermChange, recalculate_progressive_rows
from akiba.loans.recalculation import recalculate_rows
from akiba.loans.schedule import down_payment_rows, generate_schedule, replay
from akiba.loans.terms import Installment, Schedule, ScheduleRequest, Transaction


@dataclass(frozen=True)
class Segment:
    """The terms of a loan from installment `first_n` on, its first period starting on `start`."""

    first_n: int
    start: date
    annual_interest_rate: Decimal
    number_of_repayments: int
    first_repayment_date: date
    grace_on_principal: int


def segment_request(base: ScheduleRequest, segment: Segment, principal: Decimal) -> ScheduleRequest:
    """The engine's request for the installments of `segment`: the loan's own settings, for the principal left.

    The down payment and grace on interest belonged to the start of the loan, not to its rest."""
    return replace(base, principal=principal, expected_disbursement_date=segment.start,
                   annual_interest_rate=segment.annual_interest_rate,
                   number_of_repayments=segment.number_of_repayments,
                   first_repayment_date=segment.first_repayment_date, grace_on_principal=segment.grace_on_principal,
                   grace_on_interest=0, down_payment=None)


def _rows(req: ScheduleRequest, balance: Decimal, prior: list[Installment], transactions: list[Transaction],
          adjust: DueDateAdjuster | None) -> list[Installment]:
    """The installments after `prior` for `balance`: recalculated from the payments, or as scheduled without any
    (as the preview answers a loan with no payment)."""
    if transactions:
        return recalculate_rows(req, balance, repayment_periods(req, adjust), transactions, prior)
    repayments = [row for row in generate_schedule(req, adjust).installments if not row.is_down_payment]
    return [replace(row, n=len(prior) + k) for k, row in enumerate(repayments, start=1)]


def rescheduled_preview(req: ScheduleRequest, segments: Sequence[Segment], transactions: list[Transaction],
                        adjust: DueDateAdjuster | None = None) -> Schedule:
    """The loan's schedule with what its payments paid: `req` is its request as disbursed (the terms before its
    first reschedule), `segments` its reschedules in the order they were made."""
    prior, balance = down_payment_rows(req)
    if req.schedule_type == "progressive":
        rows = prior + _progressive_rows(req, balance, prior, segments, transactions, adjust)
        return replay(Schedule(req.currency, req.digits, tuple(rows)), transactions,
                      req.transaction_processing_strategy)
    rows = prior + _rows(req, balance, prior, transactions, adjust)
    for segment in segments:
        kept = [row for row in rows if row.n < segment.first_n]
        left = kept[-1].outstanding_after if kept else balance
        if left <= ZERO:  # paid off before the reschedule takes effect: nothing left to schedule
            rows = kept
            break
        rows = kept + _rows(segment_request(req, segment, left), left, kept, transactions, adjust)
    return replay(Schedule(req.currency, req.digits, tuple(rows)), transactions, req.transaction_processing_strategy)


def _progressive_rows(req: ScheduleRequest, balance: Decimal, prior: list[Installment], segments: Sequence[Segment],
                      transactions: list[Transaction], adjust: DueDateAdjuster | None) -> list[Installment]:
    """The repayment rows of a progressive loan with its reschedules as events of its interest model."""
    changes = [_term_change(req, segment, len(prior), adjust) for segment in segments]
    down_payment = prior[0].principal if prior else ZERO
    # Without payments, the schedule as made: principal is overdue only once a payment or the business date says so.
    modelled = req if transactions else replace(req, as_of=None)
    return recalculate_progressive_rows(modelled, balance, down_payment, transactions, adjust, changes)


def _term_change(req: ScheduleRequest, segment: Segment, prior: int, adjust: DueDateAdjuster | None) -> TermChange:
    """The segment as an event of the model: its principal is what the model finds left when it gets there."""
    terms = segment_request(req, segment, req.principal)
    return TermChange(segment.start, segment.first_n - 1 - prior, terms, repayment_periods(terms, adjust))
