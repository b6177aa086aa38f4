"""Demo loans: three realistic products and loans in every state, made through the same commands the API runs.

`populate_demo(rt, tenant)` expects the demo clients and groups to exist (akiba/demo.py makes them first); it does
nothing if the tenant already has loan products. Dates count back from the business date, so the demo always
shows loans that are current, in arrears, closed and written off.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from akiba.loans.models import LoanProduct
from akiba.loans.schemas import Approve, Disburse, LoanCreate, ProductCreate, Reject, Repayment, WriteOff
from akiba.loans.service import applications, disbursement, payments, products
from akiba.loans.service.common import business_date
from akiba.platform.context import Principal
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

LATE_PENALTY = {"name": "Late payment penalty", "charge_time": "overdue_installment",
                "calculation": "percent_of_overdue", "amount": "2", "penalty": True, "grace_days": 3}


def _products(currency: str) -> list[dict[str, Any]]:
    return [
        {"name": "Biashara Monthly Loan", "short_name": "BML", "currency": currency,
         "description": "Small business loan, monthly repayments on a declining balance",
         "principal": "50000", "min_principal": "10000", "max_principal": "500000",
         "number_of_repayments": 12, "min_number_of_repayments": 3, "max_number_of_repayments": 24,
         "annual_interest_rate": "24", "min_annual_interest_rate": "12", "max_annual_interest_rate": "36",
         "interest_type": "declining_balance", "amortization": "equal_installments",
         "interest_calculation_period": "same_as_repayment", "days_in_year": "365", "days_in_month": "actual",
         "repayment_every": 1, "repayment_frequency": "months", "accounting_rule": "cash",
         "charges": [{"name": "Processing fee", "charge_time": "disbursement", "calculation": "percent_of_amount",
                      "amount": "2"}, LATE_PENALTY]},
        {"name": "Umoja Weekly Group Loan", "short_name": "UWG", "currency": currency,
         "description": "Group loan repaid at the weekly meeting, flat interest",
         "principal": "20000", "min_principal": "5000", "max_principal": "200000",
         "number_of_repayments": 16, "min_number_of_repayments": 8, "max_number_of_repayments": 52,
         "annual_interest_rate": "20", "min_annual_interest_rate": "10", "max_annual_interest_rate": "30",
         "interest_type": "flat", "amortization": "equal_installments", "interest_calculation_period": "daily",
         "days_in_year": "365", "days_in_month": "actual", "repayment_every": 1, "repayment_frequency": "weeks",
         "accounting_rule": "cash",
         "charges": [{"name": "Group meeting fee", "charge_time": "installment", "calculation": "flat",
                      "amount": "50"}]},
        {"name": "Progressive Daily Interest Loan", "short_name": "PDL", "currency": currency,
         "description": "Declining balance with interest per day, progressive schedule",
         "principal": "100000", "min_principal": "20000", "max_principal": "1000000",
         "number_of_repayments": 6, "min_number_of_repayments": 3, "max_number_of_repayments": 36,
         "annual_interest_rate": "18", "min_annual_interest_rate": "9", "max_annual_interest_rate": "30",
         "interest_type": "declining_balance", "amortization": "equal_installments",
         "interest_calculation_period": "daily", "days_in_year": "actual", "days_in_month": "actual",
         "repayment_every": 1, "repayment_frequency": "months", "schedule_type": "progressive",
         "transaction_processing_strategy": "ADVANCED_PAYMENT_ALLOCATION", "accounting_rule": "cash"},
    ]


class _LoanDemo:
    def __init__(self, s: Session, who: Principal) -> None:
        self.s, self.who, self.today = s, who, business_date(s)

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def loan(self, product: int, principal: str, days_ago: int, client: int | None = None,
             group: int | None = None) -> dict[str, Any]:
        on = self.ago(days_ago)
        body = LoanCreate(client_id=client, group_id=group, product_id=product, principal=Decimal(principal),
                          submitted_on=on, expected_disbursement_date=on)
        loan: dict[str, Any] = applications.submit_loan(self.s, self.who, body, None)
        return loan

    def active(self, product: int, principal: str, days_ago: int, **borrower: int) -> dict[str, Any]:
        loan = self.loan(product, principal, days_ago, **borrower)
        on = self.ago(days_ago)
        applications.approve_loan(self.s, self.who, Approve(approved_on=on), loan["id"])
        active: dict[str, Any] = disbursement.disburse_loan(
            self.s, self.who, Disburse(disbursed_on=on, payment_type="mpesa"), loan["id"])
        return active

    def pay_installments(self, loan: dict[str, Any], count: int, late_days: int = 0) -> None:
        """Pay the first `count` installments, each on its due date (plus `late_days`), never in the future."""
        for period in loan["schedule"]["periods"][:count]:
            on = min(date.fromisoformat(period["due_date"]) + timedelta(days=late_days), self.today)
            body = Repayment(transaction_date=on, amount=Decimal(period["total_due"]), payment_type="mpesa")
            payments.repay(self.s, self.who, body, loan["id"])

    def build(self, clients: list[int], groups: list[int]) -> None:
        currency = self.who.tenant.base_currency
        ids = [products.create_product(self.s, self.who, ProductCreate.model_validate(p), None)["id"]
               for p in _products(currency)]
        monthly, weekly, progressive = ids
        if len(clients) < 7:
            return
        self.loan(monthly, "30000", 3, client=clients[0])  # submitted, waiting for approval
        approved = self.loan(monthly, "80000", 5, client=clients[1])
        applications.approve_loan(self.s, self.who, Approve(approved_on=self.ago(2)), approved["id"])
        rejected = self.loan(monthly, "400000", 20, client=clients[2])
        applications.reject_loan(self.s, self.who, Reject(rejected_on=self.ago(18), note="over-indebted"),
                                 rejected["id"])
        current = self.active(monthly, "50000", 95, client=clients[3])
        self.pay_installments(current, 3)  # current: every due installment paid
        arrears = self.active(monthly, "60000", 130, client=clients[4])
        self.pay_installments(arrears, 1, late_days=6)  # in arrears since the second due date
        closed = self.active(progressive, "40000", 200, client=clients[5])
        self.pay_installments(closed, 6)
        written_off = self.active(monthly, "25000", 330, client=clients[6])
        self.pay_installments(written_off, 2, late_days=20)
        payments.write_off(self.s, self.who, WriteOff(transaction_date=self.ago(30), note="client relocated"),
                           written_off["id"])
        self.active(progressive, "150000", 40, client=clients[0])
        for group in groups[:2]:
            group_loan = self.active(weekly, "20000", 60, group=group)
            self.pay_installments(group_loan, 8)


def populate_demo(rt: Runtime, tenant: TenantInfo) -> None:
    """Add the demo loan products and loans to a demo tenant (once)."""
    from akiba.clients.models import Client, Group

    with rt.session(tenant) as s:
        if s.scalar(select(LoanProduct.id).limit(1)) is not None:
            return
        # The longest-standing clients, so that back-dated demo loans never predate a borrower.
        oldest_first = select(Client.id).where(Client.status == "active").order_by(Client.activation_date, Client.id)
        clients = list(s.scalars(oldest_first.limit(7)))
        groups = list(s.scalars(select(Group.id).where(Group.level == "group", Group.status == "active")
                                .order_by(Group.id).limit(2)))
        who = Principal(user_id=None, username="demo", tenant=tenant, permissions=frozenset({"*"}))
        _LoanDemo(s, who).build(clients, groups)
        commit(s)
