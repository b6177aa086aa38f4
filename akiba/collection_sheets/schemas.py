"""The collection sheet a field officer brings back from a group meeting (Fineract's saveCollectionSheet)."""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator

from akiba.loans.schemas import PositiveMoney, Strict

MAX_ITEMS = 1000  # a centre meeting has tens of members; a bound keeps one call one short transaction


class SheetRepayment(Strict):
    loan_id: int = Field(gt=0)
    amount: PositiveMoney
    reference: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=500)


class SheetSavingsMovement(Strict):
    savings_account_id: int = Field(gt=0)
    amount: PositiveMoney
    description: str = Field(default="", max_length=500)


class CollectionSheet(Strict):
    transaction_date: date
    payment_type: str | None = Field(default=None, max_length=50)
    repayments: list[SheetRepayment] = Field(default=[], max_length=MAX_ITEMS)
    deposits: list[SheetSavingsMovement] = Field(default=[], max_length=MAX_ITEMS)
    withdrawals: list[SheetSavingsMovement] = Field(default=[], max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _not_empty(self) -> CollectionSheet:
        if not (self.repayments or self.deposits or self.withdrawals):
            raise ValueError("a collection sheet needs at least one repayment, deposit or withdrawal")
        return self
