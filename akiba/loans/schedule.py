"""Pure loan schedule engine: ScheduleRequest -> Schedule, with Fineract's rounding rules, and what-if repayments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from akiba.core.errors import invalid
from akiba.core.money import ZERO, money_str, rounding_mode
from akiba.loans.allocation import STRATEGIES, allocate_repayment, strategy_for
from akiba.loans.cumulative import generate_cumulative
from akiba.loans.dates import DueDateAdjuster, repayment_periods
from akiba.loans.progressive import generate_progressive
from akiba.loans.rates import HUNDRED
from akiba.loans.terms import (
    DEFAULT_STRATEGY,
    DownPayment,
    Installment,
    InterestRecalculation,
    Schedule,
    ScheduleRequest,
    Transaction,
)

__all__ = [
    "DownPayment",
    "Installment",
    "InterestRecalculation",
    "Schedule",
    "ScheduleRequest",
    "Transaction",
    "generate_schedule",
    "parse_schedule_request",
    "preview",
    "schedule_to_dict",
]

_E = TypeVar("_E", bound=str)

# A bound on the term keeps one request from asking for an unbounded amount of work.
MAX_TERM = 1200

# ---------------------------------------------------------------------------------------------------------------
# Parsing: the CONTRACT.md request dict -> ScheduleRequest, naming the field of any bad input.
# ---------------------------------------------------------------------------------------------------------------


def _decimal(body: Mapping[str, Any], name: str, default: str | None = None) -> Decimal:
    raw = body.get(name, default)
    if raw is None:
        raise invalid(name, "is required")
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise invalid(name, "must be a decimal string")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise invalid(name, "must be a decimal string") from None
    if not value.is_finite():
        raise invalid(name, "must be a finite number")
    return value


def _optional_decimal(body: Mapping[str, Any], name: str) -> Decimal | None:
    return None if body.get(name) is None else _decimal(body, name)


def _integer(
    body: Mapping[str, Any], name: str, default: int | None = None, minimum: int = 0, maximum: int | None = None
) -> int:
    raw = body.get(name, default)
    if raw is None:
        raise invalid(name, "is required")
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise invalid(name, "must be an integer")
    try:
        value = int(raw)
    except ValueError:
        raise invalid(name, "must be an integer") from None
    if value < minimum:
        raise invalid(name, f"must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise invalid(name, f"must be at most {maximum}")
    return value


def _boolean(body: Mapping[str, Any], name: str, default: bool) -> bool:
    raw = body.get(name, default)
    if raw is None:
        return default
    if not isinstance(raw, bool):
        raise invalid(name, "must be true or false")
    return raw


def _date(body: Mapping[str, Any], name: str, required: bool = True) -> date | None:
    raw = body.get(name)
    if raw is None:
        if required:
            raise invalid(name, "is required")
        return None
    if not isinstance(raw, str):
        raise invalid(name, "must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise invalid(name, "must be a date YYYY-MM-DD") from None


def _required_date(body: Mapping[str, Any], name: str) -> date:
    value = _date(body, name)
    assert value is not None
    return value


def _choice(body: Mapping[str, Any], name: str, allowed: tuple[_E, ...], default: _E | None = None) -> _E:
    raw = body.get(name, default)
    if raw is None:
        raise invalid(name, "is required")
    text = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else None
    for option in allowed:
        if text == option:
            return option
    raise invalid(name, f"must be one of {', '.join(allowed)}")


def _down_payment(body: Mapping[str, Any]) -> DownPayment | None:
    raw = body.get("down_payment")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise invalid("down_payment", "must be an object with percent and auto_repayment")
    percent = _decimal(raw, "percent")
    if not ZERO <= percent <= HUNDRED:
        raise invalid("down_payment.percent", "must be between 0 and 100")
    return DownPayment(percent, _boolean(raw, "auto_repayment", False))


def _interest_recalculation(body: Mapping[str, Any]) -> InterestRecalculation | None:
    raw = body.get("interest_recalculation")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise invalid("interest_recalculation", "must be an object")
    return InterestRecalculation(
        compounding=_choice(raw, "compounding", ("none", "interest", "fee", "interest_and_fee"), "none"),
        rest_frequency=_choice(raw, "rest_frequency", ("daily", "same_as_repayment"), "daily"),
        reschedule_strategy=_choice(
            raw,
            "reschedule_strategy",
            ("reduce_emi_amount", "reduce_number_of_installments", "reschedule_next_repayments"),
            "reduce_emi_amount",
        ),
        pre_close=_choice(raw, "pre_close", ("till_pre_close_date", "till_rest_frequency_date"), "till_pre_close_date"),
    )


def _transactions(body: Mapping[str, Any]) -> tuple[Transaction, ...]:
    raw = body.get("transactions") or []
    if not isinstance(raw, list):
        raise invalid("transactions", "must be a list")
    parsed: list[Transaction] = []
    for index, item in enumerate(raw):
        field = f"transactions[{index}]"
        if not isinstance(item, Mapping):
            raise invalid(field, "must be an object with type, date and amount")
        if item.get("type", "repayment") != "repayment":
            raise invalid(f"{field}.type", "must be repayment")
        amount = _decimal(item, "amount")
        if amount <= 0:
            raise invalid(f"{field}.amount", "must be positive")
        parsed.append(Transaction("repayment", _required_date(item, "date"), amount))
    return tuple(parsed)


def _strategy(body: Mapping[str, Any]) -> str:
    raw = body.get("transaction_processing_strategy") or DEFAULT_STRATEGY
    if raw not in STRATEGIES:
        raise invalid("transaction_processing_strategy", f"must be one of {', '.join(STRATEGIES)}")
    return str(raw)


def _rounding_mode(body: Mapping[str, Any]) -> str:
    raw = body.get("rounding_mode") or "HALF_EVEN"
    try:
        rounding_mode(str(raw))
    except ValueError:
        raise invalid("rounding_mode", "must be a decimal rounding name such as HALF_EVEN") from None
    return str(raw).upper().removeprefix("ROUND_")


def _installment_multiple(body: Mapping[str, Any]) -> int | None:
    if body.get("installment_in_multiples_of") is None:
        return None
    return _integer(body, "installment_in_multiples_of", minimum=1)


def _check_consistency(req: ScheduleRequest) -> None:
    if req.principal <= 0:
        raise invalid("principal", "must be positive")
    if req.annual_interest_rate < 0:
        raise invalid("annual_interest_rate", "must not be negative")
    if req.grace_on_principal >= req.number_of_repayments:
        raise invalid("grace_on_principal", "must be less than number_of_repayments")
    if req.grace_on_interest >= req.number_of_repayments:
        raise invalid("grace_on_interest", "must be less than number_of_repayments")
    if req.first_repayment_date is not None and req.first_repayment_date <= req.expected_disbursement_date:
        raise invalid("first_repayment_date", "must be after expected_disbursement_date")
    for index, transaction in enumerate(req.transactions):
        if transaction.date < req.expected_disbursement_date:
            raise invalid(f"transactions[{index}].date", "must not be before expected_disbursement_date")
    if not ZERO <= req.principal_threshold_for_last_installment_percent <= HUNDRED:
        raise invalid("principal_threshold_for_last_installment_percent", "must be between 0 and 100")
    percent = req.fixed_principal_percentage_per_installment
    if percent is not None and not ZERO < percent <= HUNDRED:
        raise invalid("fixed_principal_percentage_per_installment", "must be above 0 and at most 100")
    if req.principal != req.rounding.money(req.principal):
        raise invalid("principal", f"must have at most {req.digits} decimal places")


def parse_schedule_request(body: Mapping[str, Any]) -> ScheduleRequest:
    """Validate the CONTRACT.md schedule request; bad input raises a DomainError naming the field."""
    if not isinstance(body, Mapping):
        raise invalid("body", "must be an object")
    currency = body.get("currency")
    if not isinstance(currency, str) or not currency.strip():
        raise invalid("currency", "is required")
    req = ScheduleRequest(
        principal=_decimal(body, "principal"),
        currency=currency,
        digits=_integer(body, "digits", 2, maximum=6),
        in_multiples_of=_integer(body, "in_multiples_of", 0),
        annual_interest_rate=_decimal(body, "annual_interest_rate"),
        interest_type=_choice(body, "interest_type", ("declining_balance", "flat"), "declining_balance"),
        amortization=_choice(body, "amortization", ("equal_installments", "equal_principal"), "equal_installments"),
        interest_calculation_period=_choice(
            body, "interest_calculation_period", ("daily", "same_as_repayment"), "daily"
        ),
        days_in_year=_choice(body, "days_in_year", ("360", "364", "365", "actual"), "actual"),
        days_in_month=_choice(body, "days_in_month", ("30", "actual"), "actual"),
        repayment_every=_integer(body, "repayment_every", 1, minimum=1, maximum=MAX_TERM),
        repayment_frequency=_choice(body, "repayment_frequency", ("days", "weeks", "months")),
        number_of_repayments=_integer(body, "number_of_repayments", minimum=1, maximum=MAX_TERM),
        schedule_type=_choice(body, "schedule_type", ("cumulative", "progressive"), "cumulative"),
        expected_disbursement_date=_required_date(body, "expected_disbursement_date"),
        first_repayment_date=_date(body, "first_repayment_date", required=False),
        grace_on_principal=_integer(body, "grace_on_principal", 0),
        grace_on_interest=_integer(body, "grace_on_interest", 0),
        installment_in_multiples_of=_installment_multiple(body),
        principal_threshold_for_last_installment_percent=_decimal(
            body, "principal_threshold_for_last_installment_percent", "50"
        ),
        allow_partial_period_interest_calculation=_boolean(body, "allow_partial_period_interest_calculation", True),
        rounding_mode=_rounding_mode(body),
        down_payment=_down_payment(body),
        interest_recalculation=_interest_recalculation(body),
        transaction_processing_strategy=_strategy(body),
        transactions=_transactions(body),
        as_of=_date(body, "as_of", required=False),
        fixed_principal_percentage_per_installment=_optional_decimal(
            body, "fixed_principal_percentage_per_installment"
        ),
    )
    _check_consistency(req)
    return req


# ---------------------------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------------------------


def down_payment_amount(req: ScheduleRequest) -> Decimal:
    """The down payment: a percentage of the principal, rounded to the currency, then to the installment multiple."""
    if req.down_payment is None:
        return ZERO
    exact = req.rounding.money(req.principal * req.down_payment.percent / HUNDRED)
    return req.rounding.multiple(exact, req.installment_in_multiples_of)


def _down_payment_installment(req: ScheduleRequest, amount: Decimal) -> Installment:
    disbursed_on = req.expected_disbursement_date
    return Installment(1, disbursed_on, disbursed_on, amount, ZERO, req.principal - amount, is_down_payment=True)


def down_payment_rows(req: ScheduleRequest) -> tuple[list[Installment], Decimal]:
    """The down payment installment (if the product has one) and the principal left for the repayments."""
    if req.down_payment is None:
        return [], req.principal
    amount = down_payment_amount(req)
    return [_down_payment_installment(req, amount)], req.principal - amount


def generate_schedule(req: ScheduleRequest, adjust_due_date: DueDateAdjuster | None = None) -> Schedule:
    """The schedule as expected at disbursement: pure, no clock; `adjust_due_date` may move due dates (holidays)."""
    periods = repayment_periods(req, adjust_due_date)
    rows, balance = down_payment_rows(req)
    if req.schedule_type == "progressive":
        repayments = generate_progressive(req, balance, periods, offset=len(rows))
    else:
        repayments = generate_cumulative(req, balance, periods, offset=len(rows))
    rows.extend(repayments)
    return Schedule(req.currency, req.digits, tuple(rows))


# ---------------------------------------------------------------------------------------------------------------
# What-if transactions
# ---------------------------------------------------------------------------------------------------------------


def effective_transactions(req: ScheduleRequest) -> list[Transaction]:
    """The request's repayments, preceded by the automatic down payment repayment when the product makes one."""
    transactions = list(req.transactions)
    if req.down_payment is not None and req.down_payment.auto_repayment:
        amount = down_payment_amount(req)
        if amount > 0:
            transactions.insert(0, Transaction("repayment", req.expected_disbursement_date, amount))
    return sorted(transactions, key=lambda t: t.date)


def replay(schedule: Schedule, transactions: list[Transaction], strategy_name: str) -> Schedule:
    """Apply repayments in date order to the installments, as a real loan's transaction processor does."""
    strategy = strategy_for(strategy_name)
    rows = list(schedule.installments)
    for transaction in transactions:
        rows, _overpaid = allocate_repayment(rows, transaction.amount, transaction.date, strategy)
    return replace(schedule, installments=tuple(rows))


def preview(req: ScheduleRequest, adjust_due_date: DueDateAdjuster | None = None) -> Schedule:
    """Generate, then replay the what-if transactions (if any) through the loan's allocation rules."""
    transactions = effective_transactions(req)
    # Fineract recalculates interest only for interest-bearing declining-balance loans; flat interest is fixed.
    recalculates = req.interest_recalculation is not None and req.interest_type == "declining_balance"
    if recalculates and req.annual_interest_rate > 0 and transactions:
        from akiba.loans.recalculation import recalculated_preview

        return recalculated_preview(req, transactions, adjust_due_date)
    schedule = generate_schedule(req, adjust_due_date)
    if not transactions:
        return schedule
    return replay(schedule, transactions, req.transaction_processing_strategy)


# ---------------------------------------------------------------------------------------------------------------
# The answer shape
# ---------------------------------------------------------------------------------------------------------------


def _installment_to_dict(row: Installment, digits: int) -> dict[str, Any]:
    return {
        "n": row.n,
        "from_date": row.from_date.isoformat(),
        "due_date": row.due_date.isoformat(),
        "days": row.days,
        "principal": money_str(row.principal, digits),
        "interest": money_str(row.interest, digits),
        "fees": money_str(row.fees, digits),
        "penalties": money_str(row.penalties, digits),
        "total_due": money_str(row.total_due, digits),
        "outstanding_after": money_str(row.outstanding_after, digits),
        "paid": money_str(row.paid, digits),
        "in_advance": money_str(row.in_advance, digits),
        "late": money_str(row.late, digits),
        "outstanding": money_str(row.outstanding, digits),
        "paid_date": row.paid_date.isoformat() if row.paid_date else None,
        "down_payment": row.is_down_payment,
    }


def schedule_to_dict(s: Schedule) -> dict[str, Any]:
    """The CONTRACT.md schedule: money as strings with the currency's digits."""
    return {
        "currency": s.currency,
        "periods": [_installment_to_dict(row, s.digits) for row in s.installments],
        "total_principal": money_str(s.total_principal, s.digits),
        "total_interest": money_str(s.total_interest, s.digits),
        "total_due": money_str(s.total_due, s.digits),
    }
