"""Loans and savings in given states for the close-of-business tests, built through the API in a line each."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from conftest import Api
from hypothesis import strategies as st
from sqlalchemy import text

from akiba.cob import queue, service
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

LOAN_PRODUCT: dict[str, Any] = {
    "name": "Monthly accrual", "short_name": "MAC", "currency": "USD",
    "principal": "1000.00", "min_principal": "100.00", "max_principal": "50000.00",
    "number_of_repayments": 12, "min_number_of_repayments": 1, "max_number_of_repayments": 60,
    "annual_interest_rate": "12", "min_annual_interest_rate": "0", "max_annual_interest_rate": "60",
    "interest_type": "declining_balance", "amortization": "equal_installments",
    "interest_calculation_period": "same_as_repayment", "days_in_year": "360", "days_in_month": "30",
    "repayment_every": 1, "repayment_frequency": "months", "accounting_rule": "accrual_periodic",
    "charges": [{"name": "Late fee", "charge_time": "overdue_installment", "calculation": "flat",
                 "amount": "10.00", "penalty": True, "grace_days": 0}],
}


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def office(api: Api) -> int:
    return int(ok(api.post("/api/v1/offices", {"name": "Head Office", "opening_date": "2020-01-01"}), 201)["id"])


def client(api: Api, office_id: int) -> int:
    body = {"office_id": office_id, "first_name": "Amina", "last_name": "Odhiambo", "activation_date": "2023-01-01"}
    return int(ok(api.post("/api/v1/clients", body), 201)["id"])


def loan_product(api: Api, **overrides: Any) -> int:
    return int(ok(api.post("/api/v1/loan-products", {**LOAN_PRODUCT, **overrides}), 201)["id"])


def active_loan(api: Api, client_id: int, product_id: int, principal: str = "1000.00",
                on: str = "2024-01-01") -> int:
    body = {"client_id": client_id, "product_id": product_id, "principal": principal, "submitted_on": on,
            "expected_disbursement_date": on}
    loan_id = int(ok(api.post("/api/v1/loans", body), 201)["id"])
    ok(api.post(f"/api/v1/loans/{loan_id}/approve", {"approved_on": on}))
    ok(api.post(f"/api/v1/loans/{loan_id}/disburse", {"disbursed_on": on}))
    return loan_id


def repay(api: Api, loan_id: int, amount: str, on: str) -> None:
    ok(api.post(f"/api/v1/loans/{loan_id}/repayments", {"transaction_date": on, "amount": amount}), 201)


# A portfolio: per loan its principal and how many of its monthly installments were paid on time.
portfolios = st.lists(st.tuples(st.integers(min_value=1, max_value=50).map(lambda h: f"{h * 100}.00"),
                                st.integers(min_value=0, max_value=3)), min_size=1, max_size=4)
close_days = st.dates(min_value=date(2024, 2, 1), max_value=date(2024, 5, 31))


def build(api: Api, runtime: Runtime, portfolio: list[tuple[str, int]], until: date, **product_settings: Any
          ) -> list[int]:
    cid = client(api, office(api))
    product = loan_product(api, **product_settings)
    loans = []
    for principal, paid in portfolio:
        loan = active_loan(api, cid, product, principal)
        for n in range(1, paid + 1):
            with runtime.session(api.tenant) as s:
                due, amount = s.execute(text("SELECT due_date, principal + interest FROM loan_installments "
                                             "WHERE loan_id = :l AND n = :n"), {"l": loan, "n": n}).one()
            if due <= until:
                repay(api, loan, f"{amount:.2f}", due.isoformat())
        loans.append(loan)
    return loans


def set_business_date(runtime: Runtime, tenant: TenantInfo, day: date) -> None:
    with runtime.session(tenant) as s:
        s.execute(text("UPDATE tenant_settings SET business_date = :d WHERE id = 1"), {"d": day})
        s.commit()


def close_day(runtime: Runtime, tenant: TenantInfo, day: date, chunk_size: int = 2000) -> dict[str, Any]:
    """Start the run for `day`, drain the queue with one in-process worker, answer the run's view."""
    set_business_date(runtime, tenant, day)
    run_id = service.run_for_tenant(runtime, tenant, day, chunk_size)
    queue.run_worker(runtime, wait=False, signals=False)
    with runtime.session(tenant) as s:
        return service.run_view(s, run_id)


def snapshot(runtime: Runtime, tenant: TenantInfo) -> dict[str, Any]:
    """Everything a close writes: journal by account and date, loan balances, installments, arrears, events."""
    queries = {
        "journal": "SELECT l.transaction_date, g.gl_code, l.side, sum(l.amount) FROM journal_lines l "
                   "JOIN gl_accounts g ON g.id = l.gl_account_id GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        "loans": "SELECT id, status, principal_outstanding, interest_outstanding, fees_outstanding, "
                 "penalties_outstanding FROM loans ORDER BY id",
        "installments": "SELECT loan_id, n, penalties, fees, paid_principal, paid_interest FROM loan_installments "
                        "ORDER BY loan_id, n",
        "charges": "SELECT loan_id, installment_n, amount, charged_on FROM loan_charges ORDER BY 1, 2, 4",
        "state": "SELECT loan_id, as_of, days_in_arrears, overdue_since, bucket, accrued_interest, non_accrual "
                 "FROM cob_loan_state ORDER BY loan_id",
        "history": "SELECT loan_id, bucket, from_date, to_date FROM cob_delinquency_history ORDER BY 1, 3",
        "events": "SELECT event_type, aggregate_id, payload FROM outbox WHERE event_type LIKE 'loan.installment_%' "
                  "ORDER BY aggregate_id, event_type, payload->>'installment'",
        "non_accrual_events": "SELECT event_type, aggregate_id, payload FROM outbox "
                              "WHERE event_type LIKE 'loan.non_accrual_%' ORDER BY id",
        "savings_transactions": "SELECT account_id, type, transaction_date, amount FROM savings_transactions "
                                "WHERE NOT reversed ORDER BY account_id, transaction_date, type, amount",
        "savings": "SELECT id, balance, sub_status FROM savings_accounts ORDER BY id",
        "date": "SELECT business_date FROM tenant_settings",
    }
    with runtime.session(tenant) as s:
        return {name: [tuple(r) for r in s.execute(text(sql))] for name, sql in queries.items()}


def gl(runtime: Runtime, tenant: TenantInfo, code: str) -> Decimal:
    with runtime.session(tenant) as s:
        value = s.scalar(text("SELECT COALESCE(sum(CASE WHEN l.side = 'debit' THEN l.amount ELSE -l.amount END), 0) "
                              "FROM journal_lines l JOIN gl_accounts g ON g.id = l.gl_account_id "
                              "WHERE g.gl_code = :c"), {"c": code})
    return Decimal(value)
