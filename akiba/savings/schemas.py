"""The savings API's words. Money comes in as decimal strings (or JSON numbers) and goes out as strings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Calculation = Literal["daily_balance", "average_daily_balance"]
Compounding = Literal["daily", "monthly", "quarterly", "semiannual", "annual"]
Posting = Literal["monthly", "quarterly", "semiannual", "annual"]
Money = Decimal
Positive = Field(gt=0, max_digits=19, decimal_places=6)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RateTierIn(_In):
    min_balance: Decimal = Field(ge=0)
    annual_rate: Decimal = Field(ge=0, le=1000)


class WithdrawalFeeIn(_In):
    type: Literal["flat", "percent"]
    amount: Decimal = Field(gt=0, max_digits=19, decimal_places=6)


class FeesIn(_In):
    withdrawal_fee: WithdrawalFeeIn | None = None
    monthly_fee: Decimal | None = Field(default=None, gt=0, max_digits=19, decimal_places=6)
    annual_fee: Decimal | None = Field(default=None, gt=0, max_digits=19, decimal_places=6)


class OverdraftIn(_In):
    allowed: bool = False
    limit: Decimal | None = Field(default=None, ge=0, max_digits=19, decimal_places=6)
    annual_interest_rate: Decimal | None = Field(default=None, ge=0, le=1000)


class DormancyIn(_In):
    inactive_after_days: int | None = Field(default=None, ge=1)
    dormant_after_days: int | None = Field(default=None, ge=1)
    fees_stop_when_dormant: bool = True


class LockInIn(_In):
    period: int = Field(ge=1, le=10_000)
    unit: Literal["days", "weeks", "months", "years"]


class ProductCreate(_In):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    kind: Literal["voluntary", "compulsory"] = "voluntary"
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    digits: int | None = Field(default=None, ge=0, le=6)
    annual_interest_rate: Decimal = Field(ge=0, le=1000, max_digits=19, decimal_places=6)
    interest_calculation: Calculation
    compounding: Compounding
    posting: Posting
    days_in_year: Literal[360, 365]
    rounding: Literal["HALF_EVEN", "HALF_UP", "HALF_DOWN", "UP", "DOWN", "CEILING", "FLOOR"] = "HALF_EVEN"
    min_balance_for_interest: Decimal | None = Field(default=None, ge=0, max_digits=19, decimal_places=6)
    rate_tiers: list[RateTierIn] = Field(default_factory=list, max_length=20)
    min_opening_balance: Decimal | None = Field(default=None, ge=0, max_digits=19, decimal_places=6)
    min_required_balance: Decimal | None = Field(default=None, ge=0, max_digits=19, decimal_places=6)
    fees: FeesIn | None = None
    overdraft: OverdraftIn | None = None
    dormancy: DormancyIn | None = None
    lock_in: LockInIn | None = None
    accounting_rule: Literal["none", "cash"] = "cash"
    # movement -> GL account id; movements left out take the standard chart's account.
    gl_mappings: dict[str, int] | None = None


class ProductUpdate(_In):
    """Changes apply to accounts opened later; running accounts keep the interest terms they opened with."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    annual_interest_rate: Decimal | None = Field(default=None, ge=0, le=1000, max_digits=19, decimal_places=6)
    min_balance_for_interest: Decimal | None = Field(default=None, ge=0, max_digits=19, decimal_places=6)
    min_opening_balance: Decimal | None = Field(default=None, ge=0, max_digits=19, decimal_places=6)
    min_required_balance: Decimal | None = Field(default=None, ge=0, max_digits=19, decimal_places=6)
    fees: FeesIn | None = None
    overdraft: OverdraftIn | None = None
    dormancy: DormancyIn | None = None
    lock_in: LockInIn | None = None
    gl_mappings: dict[str, int] | None = None


class AccountCreate(_In):
    client_id: int | None = Field(default=None, ge=1)
    group_id: int | None = Field(default=None, ge=1)
    product_id: int = Field(ge=1)
    submitted_on: date
    external_id: str | None = Field(default=None, min_length=1, max_length=100)
    annual_interest_rate: Decimal | None = Field(default=None, ge=0, le=1000, max_digits=19, decimal_places=6)


class ApproveIn(_In):
    approved_on: date


class RejectIn(_In):
    rejected_on: date
    reason: str = Field(default="", max_length=500)


class ActivateIn(_In):
    activated_on: date
    opening_deposit: Decimal | None = Field(default=None, gt=0, max_digits=19, decimal_places=6)


class TransactionIn(_In):
    transaction_date: date
    amount: Decimal = Field(gt=0, max_digits=19, decimal_places=6)
    description: str = Field(default="", max_length=500)


class PostInterestIn(_In):
    as_of: date


class CloseIn(_In):
    closed_on: date
    # Pay out what is left (after interest to the close date) as a cash withdrawal; otherwise it must be zero.
    withdraw_balance: bool = False


class BlockIn(_In):
    kind: Literal["credit", "debit", "both"] = "both"


class HoldIn(_In):
    amount: Decimal = Field(gt=0, max_digits=19, decimal_places=6)
    reason: str = Field(min_length=1, max_length=500)
    placed_on: date | None = None


class ReleaseHoldIn(_In):
    released_on: date | None = None


class ReleaseHoldCommand(ReleaseHoldIn):
    hold_id: int


class ReverseIn(_In):
    reason: str = Field(default="", max_length=500)


class ReverseCommand(ReverseIn):
    transaction_id: int


class TransferIn(_In):
    from_account_id: int = Field(ge=1)
    to_account_id: int = Field(ge=1)
    transaction_date: date
    amount: Decimal = Field(gt=0, max_digits=19, decimal_places=6)
    description: str = Field(default="", max_length=500)
