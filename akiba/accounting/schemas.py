"""The accounting API's words. Money goes out as decimal strings with the currency's digits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

GLType = Literal["asset", "liability", "equity", "income", "expense"]
GLUsage = Literal["detail", "header"]
Currency = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
Amount = Field(default=None, gt=0, lt=Decimal("1e13"), description="a positive decimal string")
Tag = Field(min_length=1, max_length=50)


class GLAccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gl_code: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: str = Field(min_length=1, max_length=200)
    type: GLType
    usage: GLUsage = "detail"
    parent_id: int | None = Field(default=None, ge=1)
    tags: list[str] = Field(default_factory=list, max_length=20)
    description: str = Field(default="", max_length=2000)
    manual_entries_allowed: bool = True

    @model_validator(mode="after")
    def _tags_short(self) -> GLAccountCreate:
        if any(not 1 <= len(t) <= 50 for t in self.tags):
            raise ValueError("tags must be 1-50 characters each")
        return self


class GLAccountUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    parent_id: int | None = Field(default=None, ge=1)
    tags: list[str] | None = Field(default=None, max_length=20)
    description: str | None = Field(default=None, max_length=2000)
    manual_entries_allowed: bool | None = None
    usage: GLUsage | None = None


class GLAccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    gl_code: str
    name: str
    type: str
    usage: str
    parent_id: int | None
    tags: list[str]
    enabled: bool
    manual_entries_allowed: bool
    description: str


class LineIn(BaseModel):
    """One line: a GL code with either a debit or a credit."""

    model_config = ConfigDict(extra="forbid")

    gl_code: str = Field(min_length=1, max_length=50)
    debit: Decimal | None = Amount
    credit: Decimal | None = Amount

    @model_validator(mode="after")
    def _one_side(self) -> LineIn:
        if (self.debit is None) == (self.credit is None):
            raise ValueError("a line has either a debit or a credit")
        return self


class JournalEntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    office_id: int = Field(ge=1)
    transaction_date: date
    currency: str = Currency
    reference: str | None = Field(default=None, max_length=100)
    description: str = Field(default="", max_length=2000)
    lines: list[LineIn] = Field(min_length=2, max_length=1000)


class OpeningBalancesCreate(BaseModel):
    """Balances brought over from another system; the difference goes to the opening-balance contra account."""

    model_config = ConfigDict(extra="forbid")

    office_id: int = Field(ge=1)
    transaction_date: date
    currency: str = Currency
    reference: str | None = Field(default=None, max_length=100)
    lines: list[LineIn] = Field(min_length=1, max_length=10000)


class ReverseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=2000)
    transaction_date: date | None = None


class ClosureCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    office_id: int = Field(ge=1)
    closing_date: date
    comments: str = Field(default="", max_length=2000)


class ClosureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    office_id: int
    closing_date: date
    comments: str
    created_by: int | None


class ProductMappingIn(BaseModel):
    """movement -> gl_code, e.g. {"fund_source": "1110", "loan_portfolio": "1210"}."""

    model_config = ConfigDict(extra="forbid")

    mapping: dict[str, str] = Field(max_length=50)


class ProductMappingSet(ProductMappingIn):
    product_type: Literal["loan", "savings"]
    product_id: int = Field(ge=1)


class ActivityMappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gl_code: str = Field(min_length=1, max_length=50)


class ActivityMappingSet(ActivityMappingIn):
    activity: Literal["opening_balance_contra", "retained_earnings", "asset_transfer", "liability_transfer"]
