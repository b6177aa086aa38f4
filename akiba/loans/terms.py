"""Plain values of the schedule engine: the request, the installments, and the currency's rounding."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from datetime import date
from decimal import Context, Decimal
from functools import cached_property
from typing import Literal

from akiba.core.money import ZERO, quantize, round_to_multiple, rounding_mode

InterestType = Literal["declining_balance", "flat"]
Amortization = Literal["equal_installments", "equal_principal"]
InterestCalculationPeriod = Literal["daily", "same_as_repayment"]
DaysInYear = Literal["360", "364", "365", "actual"]
DaysInMonth = Literal["30", "actual"]
Frequency = Literal["days", "weeks", "months"]
ScheduleType = Literal["cumulative", "progressive"]
Compounding = Literal["none", "interest", "fee", "interest_and_fee"]
RestFrequency = Literal["daily", "same_as_repayment"]
RescheduleStrategy = Literal["reduce_emi_amount", "reduce_number_of_installments", "reschedule_next_repayments"]
PreClose = Literal["till_pre_close_date", "till_rest_frequency_date"]

DEFAULT_STRATEGY = "PENALTIES_FEES_INTEREST_PRINCIPAL_ORDER"

# Fineract computes rates and factors with a MathContext of 12 significant digits; matching it keeps the
# rounding of per-period interest identical to the reference schedules.
RATE_PRECISION = 12


@dataclass(frozen=True)
class DownPayment:
    percent: Decimal
    auto_repayment: bool


@dataclass(frozen=True)
class InterestRecalculation:
    compounding: Compounding
    rest_frequency: RestFrequency
    reschedule_strategy: RescheduleStrategy
    pre_close: PreClose


@dataclass(frozen=True)
class Transaction:
    type: Literal["repayment"]
    date: date
    amount: Decimal


@dataclass(frozen=True)
class ScheduleRequest:
    principal: Decimal
    currency: str
    digits: int
    in_multiples_of: int
    annual_interest_rate: Decimal
    interest_type: InterestType
    amortization: Amortization
    interest_calculation_period: InterestCalculationPeriod
    days_in_year: DaysInYear
    days_in_month: DaysInMonth
    repayment_every: int
    repayment_frequency: Frequency
    number_of_repayments: int
    schedule_type: ScheduleType
    expected_disbursement_date: date
    first_repayment_date: date | None = None
    grace_on_principal: int = 0
    grace_on_interest: int = 0
    installment_in_multiples_of: int | None = None
    principal_threshold_for_last_installment_percent: Decimal = Decimal(50)
    allow_partial_period_interest_calculation: bool = True
    rounding_mode: str = "HALF_EVEN"
    down_payment: DownPayment | None = None
    interest_recalculation: InterestRecalculation | None = None
    transaction_processing_strategy: str = DEFAULT_STRATEGY
    transactions: tuple[Transaction, ...] = ()
    as_of: date | None = None
    fixed_principal_percentage_per_installment: Decimal | None = None

    # Built once per request (the request is immutable): the engine asks for them in every period.
    @cached_property
    def rounding(self) -> CurrencyRounding:
        return CurrencyRounding(self.digits, self.in_multiples_of, rounding_mode(self.rounding_mode))

    @cached_property
    def rate_context(self) -> Context:
        """Shared by every computation of this request; nothing sets traps or precision on it after creation."""
        return Context(prec=RATE_PRECISION, rounding=rounding_mode(self.rounding_mode))


@dataclass(frozen=True)
class CurrencyRounding:
    """How the currency rounds every money amount: to its digits, and for coinless currencies to a multiple."""

    digits: int
    in_multiples_of: int
    mode: str

    @cached_property
    def _exponent(self) -> Decimal:
        return Decimal(1).scaleb(-self.digits)

    def money(self, amount: Decimal) -> Decimal:
        rounded = amount.quantize(self._exponent, rounding=self.mode)  # money.quantize, without rebuilding 10^-digits
        # Fineract applies the currency multiple only to currencies without decimals (e.g. 100 for UGX-like money).
        if self.digits == 0 and self.in_multiples_of > 0 and rounded > 0:
            rounded = round_to_multiple(rounded, self.in_multiples_of, self.mode)
        return rounded

    def multiple(self, amount: Decimal, step: int | None) -> Decimal:
        """Round to the product's installment multiple when one is set (amount ÷ step, rounded, × step)."""
        if step is None or step <= 0:
            return amount
        return self.money(round_to_multiple(amount, step, self.mode))

    @property
    def zero(self) -> Decimal:
        return quantize(ZERO, self.digits)


@dataclass(frozen=True)
class Installment:
    """One row of the schedule; `paid*` and `outstanding` describe what the what-if transactions covered."""

    n: int
    from_date: date
    due_date: date
    principal: Decimal
    interest: Decimal
    outstanding_after: Decimal
    fees: Decimal = ZERO
    penalties: Decimal = ZERO
    is_down_payment: bool = False
    paid_principal: Decimal = ZERO
    paid_interest: Decimal = ZERO
    paid_fees: Decimal = ZERO
    paid_penalties: Decimal = ZERO
    in_advance: Decimal = ZERO
    late: Decimal = ZERO
    paid_date: date | None = None

    @classmethod
    def scheduled(
        cls, n: int, from_date: date, due_date: date, principal: Decimal, interest: Decimal, outstanding_after: Decimal
    ) -> Installment:
        """A row as the schedule generates it, nothing charged or paid beyond principal and interest.

        Equal to `Installment(n, from_date, due_date, principal, interest, outstanding_after)`, built in a fifth of
        the time: a frozen dataclass's __init__ sets each of its 16 fields through object.__setattr__, which was
        half the cost of a long schedule.
        """
        row = object.__new__(cls)
        row.__dict__.update(_UNPAID_ROW)
        row.__dict__.update(
            n=n,
            from_date=from_date,
            due_date=due_date,
            principal=principal,
            interest=interest,
            outstanding_after=outstanding_after,
        )
        return row

    @property
    def total_due(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.penalties

    @property
    def paid(self) -> Decimal:
        return self.paid_principal + self.paid_interest + self.paid_fees + self.paid_penalties

    @property
    def outstanding(self) -> Decimal:
        return self.total_due - self.paid

    @property
    def days(self) -> int:
        return (self.due_date - self.from_date).days


# The defaults of every field after outstanding_after: what a freshly scheduled row carries.
_UNPAID_ROW: dict[str, object] = {
    spec.name: spec.default for spec in fields(Installment) if spec.default is not MISSING
}


@dataclass(frozen=True)
class Schedule:
    currency: str
    digits: int
    installments: tuple[Installment, ...] = field(default_factory=tuple)

    @property
    def total_principal(self) -> Decimal:
        return sum((i.principal for i in self.installments), ZERO)

    @property
    def total_interest(self) -> Decimal:
        return sum((i.interest for i in self.installments), ZERO)

    @property
    def total_due(self) -> Decimal:
        return sum((i.total_due for i in self.installments), ZERO)
