"""Worked savings accounting: any sequence of valid operations leaves the savings control GL account equal to
the sum of the account balances, each balance equal to its transactions, and the journal balanced."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from conftest import Api
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from akiba.core.errors import DomainError
from akiba.platform.commands import execute
from akiba.platform.context import Principal
from akiba.platform.runtime import Runtime
from akiba.savings.schemas import PostInterestIn, ReverseCommand, TransactionIn, TransferIn

START = date(2024, 1, 1)
PRODUCTS = [
    {"name": "Daily", "currency": "USD", "annual_interest_rate": "7.5", "interest_calculation": "daily_balance",
     "compounding": "daily", "posting": "monthly", "days_in_year": 365,
     "fees": {"withdrawal_fee": {"type": "percent", "amount": "0.5"}}},
    {"name": "Average", "currency": "USD", "annual_interest_rate": "4", "interest_calculation": "average_daily_balance",
     "compounding": "monthly", "posting": "quarterly", "days_in_year": 360, "min_balance_for_interest": "50"},
    {"name": "Overdraft", "currency": "USD", "annual_interest_rate": "3", "interest_calculation": "daily_balance",
     "compounding": "monthly", "posting": "monthly", "days_in_year": 365,
     "overdraft": {"allowed": True, "limit": "500", "annual_interest_rate": "20"}},
]

days = st.integers(min_value=0, max_value=150).map(lambda n: START + timedelta(days=n))
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900"), places=2)
accounts = st.integers(min_value=0, max_value=2)
operations = st.lists(st.one_of(
    st.tuples(st.just("deposit"), accounts, days, amounts),
    st.tuples(st.just("withdraw"), accounts, days, amounts),
    st.tuples(st.just("transfer"), accounts, accounts, days, amounts),
    st.tuples(st.just("reverse"), accounts, st.integers(min_value=0, max_value=30)),
    st.tuples(st.just("interest"), accounts, days),
), min_size=1, max_size=25)


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


class World:
    """A tenant with an office, a client and the three products; each example opens an account of each."""

    def __init__(self, api: Api, runtime: Runtime) -> None:
        self.api, self.runtime = api, runtime
        office = _ok(api.post("/api/v1/offices", {"name": "Head Office", "opening_date": "2020-01-01"}), 201)
        self.client = _ok(api.post("/api/v1/clients", {"office_id": office["id"], "first_name": "Baraka",
                                                       "last_name": "Otieno", "activation_date": "2023-01-01"}), 201)
        self.products = [_ok(api.post("/api/v1/savings-products", p), 201)["id"] for p in PRODUCTS]
        self.who = Principal(user_id=None, username="worked", tenant=api.tenant, permissions=frozenset({"*"}))

    def open_accounts(self) -> list[int]:
        ids = []
        for i in range(3):
            body = {"client_id": self.client["id"], "product_id": self.products[i], "submitted_on": str(START)}
            aid = _ok(self.api.post("/api/v1/savings-accounts", body), 201)["id"]
            _ok(self.api.post(f"/api/v1/savings-accounts/{aid}/approve", {"approved_on": str(START)}))
            _ok(self.api.post(f"/api/v1/savings-accounts/{aid}/activate", {"activated_on": str(START)}))
            ids.append(aid)
        return ids

    def run(self, name: str, body: Any, resource_id: int | None = None) -> None:
        try:
            execute(self.runtime, self.who, name, body, resource_id=resource_id)
        except DomainError as error:
            # Refusals are part of the game (insufficient funds, a reversal that would overdraw...); they must
            # be clean refusals, never a server error.
            assert error.status < 500, error

    def transaction_ids(self, account_id: int) -> list[int]:
        with self.runtime.session(self.api.tenant) as s:
            return list(s.scalars(text("SELECT id FROM savings_transactions WHERE account_id = :a AND NOT reversed "
                                       "AND type IN ('deposit','withdrawal','transfer_in','transfer_out') ORDER BY id"),
                                  {"a": account_id}))

    def check_invariants(self) -> None:
        with self.runtime.session(self.api.tenant) as s:
            total = s.execute(text("SELECT COALESCE(sum(balance), 0) FROM savings_accounts")).scalar()
            control = s.execute(text(
                "SELECT COALESCE(sum(CASE WHEN l.side = 'credit' THEN l.amount ELSE -l.amount END), 0) "
                "FROM journal_lines l JOIN gl_accounts g ON g.id = l.gl_account_id WHERE g.gl_code = '2100'")).scalar()
            mismatched = s.execute(text(
                "SELECT a.id FROM savings_accounts a LEFT JOIN savings_transactions t "
                "ON t.account_id = a.id AND NOT t.reversed GROUP BY a.id, a.balance "
                "HAVING a.balance <> COALESCE(sum(CASE WHEN t.is_credit THEN t.amount ELSE -t.amount END), 0)")).all()
            debit, credit = s.execute(text(
                "SELECT COALESCE(sum(amount) FILTER (WHERE side = 'debit'), 0), "
                "COALESCE(sum(amount) FILTER (WHERE side = 'credit'), 0) FROM journal_lines")).one()
            suspense = s.execute(text(
                "SELECT COALESCE(sum(CASE WHEN l.side = 'debit' THEN l.amount ELSE -l.amount END), 0) "
                "FROM journal_lines l JOIN gl_accounts g ON g.id = l.gl_account_id WHERE g.gl_code = '1900'")).scalar()
        assert Decimal(total) == Decimal(control)
        assert mismatched == []
        assert debit == credit
        assert Decimal(suspense) == 0  # both sides of every transfer (and of its reversal) went through


def _apply(world: World, ids: list[int], op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind in ("deposit", "withdraw"):
        _, index, day, amount = op
        body = TransactionIn(transaction_date=day, amount=amount)
        world.run("savings:deposit" if kind == "deposit" else "savings:withdraw", body, ids[index])
    elif kind == "transfer":
        _, source, target, day, amount = op
        if source != target:
            world.run("savings:transfer", TransferIn(from_account_id=ids[source], to_account_id=ids[target],
                                                     transaction_date=day, amount=amount))
    elif kind == "reverse":
        _, index, pick = op
        candidates = world.transaction_ids(ids[index])
        if candidates:
            tx_id = candidates[pick % len(candidates)]
            world.run("savings:reverse", ReverseCommand(transaction_id=tx_id, reason="test"), ids[index])
    else:
        _, index, day = op
        world.run("savings:post_interest", PostInterestIn(as_of=day), ids[index])


def test_random_operations_keep_the_control_account_equal_to_the_balances(api: Api, runtime: Runtime) -> None:
    world = World(api, runtime)

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(ops=operations)
    def replay(ops: list[tuple[Any, ...]]) -> None:
        ids = world.open_accounts()
        for op in ops:
            _apply(world, ids, op)
        world.check_invariants()

    replay()


def test_worked_example_of_a_month(api: Api, runtime: Runtime) -> None:
    """Deposit 1000 on Jan 1 and withdraw 400 on Jan 21 at 7.3 % (0.02 % a day), daily balance, 365 days,
    monthly compounding and posting:
      Jan 1-20: 1000 x 0.0002 x 20 = 4.00;  Jan 21-31: 600 x 0.0002 x 11 = 1.32;  January posts 5.32.
    Journal: cash 1000 Dr / control Cr; control Dr / cash Cr 400; interest expense Dr / control Cr 5.32."""
    world = World(api, runtime)
    product = _ok(api.post("/api/v1/savings-products", {
        "name": "Worked", "currency": "USD", "annual_interest_rate": "7.3", "interest_calculation": "daily_balance",
        "compounding": "monthly", "posting": "monthly", "days_in_year": 365}), 201)
    aid = _ok(api.post("/api/v1/savings-accounts", {"client_id": world.client["id"], "product_id": product["id"],
                                                    "submitted_on": "2024-01-01"}), 201)["id"]
    _ok(api.post(f"/api/v1/savings-accounts/{aid}/approve", {"approved_on": "2024-01-01"}))
    _ok(api.post(f"/api/v1/savings-accounts/{aid}/activate", {"activated_on": "2024-01-01",
                                                              "opening_deposit": "1000"}))
    _ok(api.post(f"/api/v1/savings-accounts/{aid}/withdrawals", {"transaction_date": "2024-01-21",
                                                                 "amount": "400"}), 201)
    posted = _ok(api.post(f"/api/v1/savings-accounts/{aid}/post-interest", {"as_of": "2024-01-31"}), 201)
    assert [(p["period_end"], p["amount"]) for p in posted["posted"]] == [("2024-01-31", "5.32")]
    with runtime.session(api.tenant) as s:
        rows = s.execute(text(
            "SELECT g.gl_code, l.side, l.amount FROM journal_lines l JOIN gl_accounts g ON g.id = l.gl_account_id "
            "ORDER BY l.id")).all()
    assert [(code, side, Decimal(amount)) for code, side, amount in rows] == [
        ("1110", "debit", Decimal("1000")), ("2100", "credit", Decimal("1000")),
        ("2100", "debit", Decimal("400")), ("1110", "credit", Decimal("400")),
        ("5100", "debit", Decimal("5.32")), ("2100", "credit", Decimal("5.32")),
    ]
    world.check_invariants()
