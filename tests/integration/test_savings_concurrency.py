"""Concurrent commands on savings accounts: row locks keep balances exact and lock order prevents deadlocks."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from conftest import Api
from pydantic import BaseModel
from sqlalchemy import text

from akiba.core.errors import DomainError
from akiba.platform.commands import execute
from akiba.platform.context import Principal
from akiba.platform.runtime import Runtime
from akiba.savings.schemas import TransactionIn, TransferIn

PRODUCT = {"name": "Concurrent Save", "currency": "USD", "annual_interest_rate": "0",
           "interest_calculation": "daily_balance", "compounding": "monthly", "posting": "monthly", "days_in_year": 365}


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _accounts(api: Api, office_id: int, count: int, opening: str) -> list[int]:
    client = _ok(api.post("/api/v1/clients", {"office_id": office_id, "first_name": "Wanjiru", "last_name": "Kamau",
                                              "activation_date": "2023-01-01"}), 201)
    product = _ok(api.post("/api/v1/savings-products", PRODUCT), 201)
    ids = []
    for _ in range(count):
        aid = _ok(api.post("/api/v1/savings-accounts", {"client_id": client["id"], "product_id": product["id"],
                                                        "submitted_on": "2024-01-01"}), 201)["id"]
        _ok(api.post(f"/api/v1/savings-accounts/{aid}/approve", {"approved_on": "2024-01-01"}))
        _ok(api.post(f"/api/v1/savings-accounts/{aid}/activate", {"activated_on": "2024-01-01"}))
        _ok(api.post(f"/api/v1/savings-accounts/{aid}/deposits", {"transaction_date": "2024-01-01",
                                                                  "amount": opening}), 201)
        ids.append(aid)
    return ids


def _run_together(calls: list[Callable[[], None]]) -> Counter[str]:
    """Start every call at the same moment on its own thread; count outcomes by error type ("ok" for success)."""
    barrier = threading.Barrier(len(calls))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def run(call: Callable[[], None]) -> None:
        barrier.wait()
        try:
            call()
            outcome = "ok"
        except DomainError as error:
            outcome = error.type
        except Exception as error:  # a deadlock or any database error would land here and fail the test
            outcome = f"{type(error).__name__}: {error}"
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def _command(runtime: Runtime, who: Principal, name: str, body: BaseModel, resource_id: int | None = None
             ) -> Callable[[], None]:
    return lambda: execute(runtime, who, name, body, resource_id=resource_id) and None


def _balances(runtime: Runtime, api: Api, ids: list[int]) -> tuple[list[Decimal], Decimal]:
    """Account balances (from the row and from the transactions) and the savings control GL balance."""
    with runtime.session(api.tenant) as s:
        rows = s.execute(text("SELECT a.id, a.balance, COALESCE(sum(CASE WHEN t.is_credit THEN t.amount "
                              "ELSE -t.amount END) FILTER (WHERE NOT t.reversed), 0) FROM savings_accounts a "
                              "LEFT JOIN savings_transactions t ON t.account_id = a.id "
                              "WHERE a.id = ANY(:ids) GROUP BY a.id ORDER BY a.id"), {"ids": ids}).all()
        control = s.execute(text("SELECT COALESCE(sum(CASE WHEN l.side = 'credit' THEN l.amount ELSE -l.amount END), 0)"
                                 " FROM journal_lines l JOIN gl_accounts g ON g.id = l.gl_account_id "
                                 "WHERE g.gl_code = '2100'")).scalar()
    for _, row_balance, ledger_balance in rows:
        assert Decimal(row_balance) == Decimal(ledger_balance)
    return [Decimal(r[1]) for r in rows], Decimal(control)


def _admin(api: Api) -> Principal:
    return Principal(user_id=None, username="concurrency-test", tenant=api.tenant, permissions=frozenset({"*"}))


def test_ten_concurrent_withdrawals_of_100_from_700_exactly_seven_succeed(api: Api, head_office: dict[str, Any],
                                                                          runtime: Runtime) -> None:
    [account] = _accounts(api, head_office["id"], 1, "700.00")
    body = TransactionIn.model_validate({"transaction_date": "2024-01-02", "amount": "100"})
    outcomes = _run_together([_command(runtime, _admin(api), "savings:withdraw", body, account) for _ in range(10)])
    assert outcomes == Counter({"ok": 7, "insufficient-funds": 3})
    balances, control = _balances(runtime, api, [account])
    assert balances == [Decimal("0")] and control == Decimal("0")


def test_transfers_both_ways_at_once_never_deadlock_and_conserve_money(api: Api, head_office: dict[str, Any],
                                                                       runtime: Runtime) -> None:
    a, b = _accounts(api, head_office["id"], 2, "1000.00")
    who = _admin(api)

    def move(source: int, target: int) -> Callable[[], None]:
        body = TransferIn.model_validate({"from_account_id": source, "to_account_id": target,
                                          "transaction_date": "2024-01-02", "amount": "10"})
        return _command(runtime, who, "savings:transfer", body)

    calls = [move(a, b) if i % 2 == 0 else move(b, a) for i in range(16)]
    outcomes = _run_together(calls)
    assert outcomes == Counter({"ok": 16})
    balances, control = _balances(runtime, api, [a, b])
    assert balances == [Decimal("1000"), Decimal("1000")]
    assert sum(balances) == control == Decimal("2000")


def test_one_sided_transfers_stop_exactly_at_the_balance(api: Api, head_office: dict[str, Any],
                                                         runtime: Runtime) -> None:
    a, b = _accounts(api, head_office["id"], 2, "50.00")
    body = TransferIn.model_validate({"from_account_id": a, "to_account_id": b, "transaction_date": "2024-01-02",
                                      "amount": "10"})
    calls = [_command(runtime, _admin(api), "savings:transfer", body) for _ in range(8)]
    outcomes = _run_together(calls)
    assert outcomes == Counter({"ok": 5, "insufficient-funds": 3})
    balances, control = _balances(runtime, api, [a, b])
    assert balances == [Decimal("0"), Decimal("100")] and control == Decimal("100")
