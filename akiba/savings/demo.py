"""Demo savings: a voluntary savings product with monthly posting, a compulsory savings product for group
members, and accounts with months of history (deposits, withdrawals, a transfer, a hold, interest posted).

Everything runs through the savings command functions (so it obeys every rule and posts its journal entries),
in one transaction, from a fixed seed. Call after the clients and groups exist: `populate_demo(rt, tenant)`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from akiba.clients.models import Client, Group
from akiba.platform.context import Principal
from akiba.platform.db import commit
from akiba.platform.provisioning import business_date
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo
from akiba.savings.models import SavingsProduct
from akiba.savings.schemas import (
    AccountCreate,
    ActivateIn,
    ApproveIn,
    HoldIn,
    PostInterestIn,
    ProductCreate,
    TransactionIn,
    TransferIn,
)
from akiba.savings.service import accounts, products, transactions

SEED = 20261126
HISTORY_DAYS = 200
VOLUNTARY = ProductCreate(
    name="Akiba Voluntary Savings", description="Save any amount, any day; interest posted every month end",
    currency="KES", annual_interest_rate=Decimal("6"), interest_calculation="daily_balance", compounding="monthly",
    posting="monthly", days_in_year=365, min_balance_for_interest=Decimal("500"),
    min_required_balance=Decimal("100"), fees={"withdrawal_fee": {"type": "flat", "amount": Decimal("30")}},
    dormancy={"inactive_after_days": 90, "dormant_after_days": 180},
)
COMPULSORY = ProductCreate(
    name="Group Loan Compulsory Savings", kind="compulsory",
    description="Weekly savings required of group-loan members; locked in for 12 months",
    currency="KES", annual_interest_rate=Decimal("4"), interest_calculation="average_daily_balance",
    compounding="monthly", posting="quarterly", days_in_year=365, lock_in={"period": 12, "unit": "months"},
)


def populate_demo(rt: Runtime, tenant: TenantInfo) -> None:
    """Add the savings demo to a tenant whose clients exist; does nothing if the products exist already."""
    with rt.session(tenant) as s:
        if s.scalar(select(SavingsProduct.id).where(SavingsProduct.name == VOLUNTARY.name)) is not None:
            return
        _SavingsDemo(s, Principal(user_id=None, username="demo", tenant=tenant, permissions=frozenset({"*"}))).build()
        commit(s)


class _SavingsDemo:
    def __init__(self, s: Session, who: Principal) -> None:
        self.s, self.who = s, who
        self.today = business_date(s)
        self.rng = random.Random(SEED)

    def build(self) -> None:
        voluntary = products.create_product(self.s, self.who, VOLUNTARY, None)["id"]
        compulsory = products.create_product(self.s, self.who, COMPULSORY, None)["id"]
        start = self.today - timedelta(days=HISTORY_DAYS)
        clients = self.s.execute(select(Client.id, Client.activation_date).where(Client.status == "active")
                                 .order_by(Client.id).limit(12)).all()
        groups = self.s.execute(select(Group.id, Group.activation_date).where(
            Group.status == "active", Group.level == "group").order_by(Group.id).limit(3)).all()
        opened = [self.account(voluntary, {"client_id": c.id}, max(start, c.activation_date or start), weekly=False)
                  for c in clients]
        opened += [self.account(compulsory, {"client_id": c.id}, max(start, c.activation_date or start), weekly=True)
                   for c in clients[:4]]
        opened += [self.account(compulsory, {"group_id": g.id}, max(start, g.activation_date or start), weekly=True)
                   for g in groups]
        self.extras([a for a in opened if a is not None])

    def account(self, product_id: int, holder: dict[str, int], opened_on: date, weekly: bool) -> int | None:
        if opened_on > self.today:
            return None
        data = AccountCreate(product_id=product_id, submitted_on=opened_on, **holder)
        account_id: int = accounts.create_account(self.s, self.who, data, None)["id"]
        accounts.approve_account(self.s, self.who, ApproveIn(approved_on=opened_on), account_id)
        accounts.activate_account(self.s, self.who, ActivateIn(activated_on=opened_on), account_id)
        self.history(account_id, opened_on, weekly)
        last_month_end = self.today.replace(day=1) - timedelta(days=1)
        if last_month_end >= opened_on:
            transactions.post_interest(self.s, self.who, PostInterestIn(as_of=last_month_end), account_id)
        return account_id

    def history(self, account_id: int, opened_on: date, weekly: bool) -> None:
        """Deposits every week or two; on voluntary accounts an occasional withdrawal the balance allows."""
        day, balance = opened_on, Decimal(0)
        while day <= self.today:
            amount = Decimal(self.rng.choice([200, 300, 500, 1000, 1500, 2500] if not weekly else [100, 200, 250]))
            transactions.deposit(self.s, self.who, TransactionIn(transaction_date=day, amount=amount), account_id)
            balance += amount
            if not weekly and self.rng.random() < 0.3 and balance > 1000:
                taken = (balance / 3).quantize(Decimal(1))
                transactions.withdraw(self.s, self.who, TransactionIn(transaction_date=day, amount=taken),
                                      account_id)
                balance -= taken + 30  # the flat withdrawal fee
            day += timedelta(days=7 if weekly else self.rng.choice([7, 10, 14]))

    def extras(self, opened: list[int]) -> None:
        """A transfer between two customers and a hold, so every kind of movement shows up in the demo."""
        if len(opened) >= 2:
            body: dict[str, Any] = {"from_account_id": opened[0], "to_account_id": opened[1],
                                    "transaction_date": self.today, "amount": Decimal(150)}
            transactions.transfer(self.s, self.who, TransferIn(**body), None)
        if opened:
            accounts.place_hold(self.s, self.who, HoldIn(amount=Decimal(100), reason="pending cheque clearance",
                                                         placed_on=self.today), opened[-1])
