"""The loans API's words: products, applications, and the bodies of lifecycle commands."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _exact(value: Any) -> Any:
    # Money and rates travel as decimal strings; a JSON float is not exact, so it is refused.
    if isinstance(value, float | bool):
        raise ValueError("must be a decimal string such as \"1000.00\"")
    return value


Money = Annotated[Decimal, BeforeValidator(_exact), Field(ge=0, max_digits=19, decimal_places=6)]
PositiveMoney = Annotated[Decimal, BeforeValidator(_exact), Field(gt=0, max_digits=19, decimal_places=6)]
Rate = Annotated[Decimal, BeforeValidator(_exact), Field(ge=0, le=1000, max_digits=19, decimal_places=6)]

InterestType = Literal["declining_balance", "flat"]
Amortization = Literal["equal_installments", "equal_principal"]
ChargeTime = Literal["disbursement", "installment", "overdue_installment", "specified_due_date"]
Calculation = Literal["flat", "percent_of_amount", "percent_of_installment", "percent_of_overdue"]
AccountingRule = Literal["none", "cash", "accrual_periodic"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DownPaymentIn(Strict):
    percent: Rate
    auto_repayment: bool = False


class InterestRecalculationIn(Strict):
    compounding: Literal["none", "interest", "fee", "interest_and_fee"] = "none"
    rest_frequency: Literal["daily", "same_as_repayment"] = "daily"
    reschedule_strategy: Literal["reduce_emi_amount", "reduce_number_of_installments",
                                 "reschedule_next_repayments"] = "reduce_emi_amount"
    pre_close: Literal["till_pre_close_date", "till_rest_frequency_date"] = "till_pre_close_date"


class ScheduleSettings(Strict):
    """CONTRACT.md's schedule settings that a product fixes for its loans."""

    interest_type: InterestType = "declining_balance"
    amortization: Amortization = "equal_installments"
    interest_calculation_period: Literal["daily", "same_as_repayment"] = "same_as_repayment"
    days_in_year: Literal["360", "364", "365", "actual"] = "actual"
    days_in_month: Literal["30", "actual"] = "actual"
    repayment_every: int = Field(default=1, ge=1, le=366)
    repayment_frequency: Literal["days", "weeks", "months"] = "months"
    schedule_type: Literal["cumulative", "progressive"] = "cumulative"
    grace_on_principal: int = Field(default=0, ge=0)
    grace_on_interest: int = Field(default=0, ge=0)
    installment_in_multiples_of: int | None = Field(default=None, ge=1)
    principal_threshold_for_last_installment_percent: Rate = Decimal(50)
    allow_partial_period_interest_calculation: bool = True
    rounding_mode: str = Field(default="HALF_EVEN", max_length=20)
    down_payment: DownPaymentIn | None = None
    interest_recalculation: InterestRecalculationIn | None = None
    transaction_processing_strategy: str = Field(default="PENALTIES_FEES_INTEREST_PRINCIPAL_ORDER", max_length=100)


class DelinquencyBucket(Strict):
    name: str = Field(min_length=1, max_length=50)
    min_days: int = Field(ge=1)
    max_days: int | None = Field(default=None, ge=1)


DEFAULT_BUCKETS = [
    DelinquencyBucket(name="1-30", min_days=1, max_days=30),
    DelinquencyBucket(name="31-60", min_days=31, max_days=60),
    DelinquencyBucket(name="61-90", min_days=61, max_days=90),
    DelinquencyBucket(name="90+", min_days=91, max_days=None),
]


class ProductChargeIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    charge_time: ChargeTime
    calculation: Calculation = "flat"
    amount: Money
    penalty: bool = False
    grace_days: int = Field(default=0, ge=0, le=365)


class ProductCreate(ScheduleSettings):
    name: str = Field(min_length=1, max_length=100)
    short_name: str = Field(min_length=1, max_length=10)
    description: str = Field(default="", max_length=500)
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    digits: int | None = Field(default=None, ge=0, le=6)
    in_multiples_of: int = Field(default=0, ge=0)
    principal: PositiveMoney
    min_principal: PositiveMoney | None = None
    max_principal: PositiveMoney | None = None
    number_of_repayments: int = Field(ge=1, le=1000)
    min_number_of_repayments: int | None = Field(default=None, ge=1)
    max_number_of_repayments: int | None = Field(default=None, ge=1)
    annual_interest_rate: Rate
    min_annual_interest_rate: Rate | None = None
    max_annual_interest_rate: Rate | None = None
    arrears_tolerance: Money = Decimal(0)
    grace_on_arrears_ageing: int = Field(default=0, ge=0)
    delinquency_buckets: list[DelinquencyBucket] = Field(default_factory=lambda: list(DEFAULT_BUCKETS))
    # From this many days in arrears close of business flags a loan non-accrual and stops accruing its interest
    # until it is current again; None: never.
    non_accrual_after_days: int | None = Field(default=None, ge=1, le=3650)
    charges: list[ProductChargeIn] = Field(default_factory=list, max_length=20)
    accounting_rule: AccountingRule = "none"
    # movement (fund_source, loan_portfolio, interest_income...) -> GL account id or gl_code; unnamed movements
    # take the standard chart's account.
    gl_mappings: dict[str, int | str] = Field(default_factory=dict)


class ProductUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    principal: PositiveMoney | None = None
    min_principal: PositiveMoney | None = None
    max_principal: PositiveMoney | None = None
    number_of_repayments: int | None = Field(default=None, ge=1, le=1000)
    min_number_of_repayments: int | None = Field(default=None, ge=1)
    max_number_of_repayments: int | None = Field(default=None, ge=1)
    annual_interest_rate: Rate | None = None
    min_annual_interest_rate: Rate | None = None
    max_annual_interest_rate: Rate | None = None
    arrears_tolerance: Money | None = None
    non_accrual_after_days: int | None = Field(default=None, ge=1, le=3650)  # null: the rule no longer applies
    active: bool | None = None
    gl_mappings: dict[str, int | str] | None = None


class LoanCreate(Strict):
    client_id: int | None = Field(default=None, ge=1)
    group_id: int | None = Field(default=None, ge=1)
    product_id: int = Field(ge=1)
    principal: PositiveMoney
    submitted_on: date
    expected_disbursement_date: date
    number_of_repayments: int | None = Field(default=None, ge=1, le=1000)
    annual_interest_rate: Rate | None = None
    repayment_every: int | None = Field(default=None, ge=1, le=366)
    first_repayment_date: date | None = None
    grace_on_principal: int | None = Field(default=None, ge=0)
    grace_on_interest: int | None = Field(default=None, ge=0)
    loan_officer_id: int | None = Field(default=None, ge=1)
    external_id: str | None = Field(default=None, min_length=1, max_length=100)


class LoanModify(Strict):
    principal: PositiveMoney | None = None
    submitted_on: date | None = None
    expected_disbursement_date: date | None = None
    number_of_repayments: int | None = Field(default=None, ge=1, le=1000)
    annual_interest_rate: Rate | None = None
    repayment_every: int | None = Field(default=None, ge=1, le=366)
    first_repayment_date: date | None = None
    grace_on_principal: int | None = Field(default=None, ge=0)
    grace_on_interest: int | None = Field(default=None, ge=0)
    loan_officer_id: int | None = Field(default=None, ge=1)
    external_id: str | None = Field(default=None, min_length=1, max_length=100)


class Approve(Strict):
    approved_on: date
    approved_principal: PositiveMoney | None = None
    expected_disbursement_date: date | None = None
    note: str | None = Field(default=None, max_length=500)


class Reject(Strict):
    rejected_on: date
    note: str | None = Field(default=None, max_length=500)


class Withdraw(Strict):
    withdrawn_on: date
    note: str | None = Field(default=None, max_length=500)


class Disburse(Strict):
    disbursed_on: date
    amount: PositiveMoney | None = None
    payment_type: str | None = Field(default=None, max_length=50)
    reference: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=500)


class Note(Strict):
    note: str | None = Field(default=None, max_length=500)


class Repayment(Strict):
    transaction_date: date
    amount: PositiveMoney
    payment_type: str | None = Field(default=None, max_length=50)
    reference: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=500)


class Prepayment(Strict):
    transaction_date: date
    amount: PositiveMoney | None = None  # when given, must equal the payoff amount of that day
    payment_type: str | None = Field(default=None, max_length=50)
    reference: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=500)


class WaiveInterest(Strict):
    transaction_date: date
    amount: PositiveMoney
    note: str | None = Field(default=None, max_length=500)


class Refund(Strict):
    transaction_date: date
    amount: PositiveMoney
    payment_type: str | None = Field(default=None, max_length=50)
    reference: str | None = Field(default=None, max_length=100)


class WriteOff(Strict):
    transaction_date: date
    note: str | None = Field(default=None, max_length=500)


class ChargeAdd(Strict):
    name: str = Field(min_length=1, max_length=100)
    amount: PositiveMoney
    due_date: date
    penalty: bool = False


class WaiveCharge(Strict):
    charge_id: int = Field(ge=1)
    transaction_date: date


class ReverseTransaction(Strict):
    transaction_id: int = Field(ge=1)
    note: str | None = Field(default=None, max_length=500)


class AdjustTransaction(Strict):
    transaction_id: int = Field(ge=1)
    transaction_date: date
    amount: PositiveMoney
    note: str | None = Field(default=None, max_length=500)


class AssignOfficer(Strict):
    staff_id: int = Field(ge=1)
    assigned_on: date


class ChargeOff(Strict):
    """`reason_code` "fraud" charges the principal off to the product's fraud charge-off expense."""

    transaction_date: date
    reason: str | None = Field(default=None, max_length=500)
    reason_code: str | None = Field(default=None, min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$")


class Reschedule(Strict):
    """Installments due on or after `from_date` are computed anew from the principal they carry; at least one
    change. `new_number_of_repayments` is the loan's whole count after the change (paid installments included);
    `extra_terms` adds to the count instead."""

    from_date: date
    new_interest_rate: Rate | None = None
    extra_terms: int | None = Field(default=None, ge=1, le=600)
    new_number_of_repayments: int | None = Field(default=None, ge=1, le=1200)
    new_first_due_date: date | None = None
    grace_on_principal: int | None = Field(default=None, ge=0, le=600)
    note: str | None = Field(default=None, max_length=500)
