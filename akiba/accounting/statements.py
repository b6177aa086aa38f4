"""Financial statements from account totals (pure: Decimal in, Decimal out; no database, no clock).

An account's balance is shown on its normal side: assets and expenses are debit-normal (debits - credits),
liabilities, equity and income credit-normal (credits - debits).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)
DEBIT_NORMAL = frozenset({"asset", "expense"})


@dataclass(frozen=True)
class AccountTotal:
    gl_code: str
    name: str
    type: str
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        """The balance on the account's normal side."""
        return normal_balance(self.type, self.debit, self.credit)


def normal_balance(account_type: str, debit: Decimal, credit: Decimal) -> Decimal:
    return debit - credit if account_type in DEBIT_NORMAL else credit - debit


@dataclass(frozen=True)
class TrialBalanceRow:
    gl_code: str
    name: str
    type: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class TrialBalance:
    rows: tuple[TrialBalanceRow, ...]
    total_debit: Decimal
    total_credit: Decimal


def trial_balance(totals: Iterable[AccountTotal]) -> TrialBalance:
    """Each account's net balance in the debit or the credit column; accounts netting to zero are left out."""
    rows = []
    for t in sorted(totals, key=lambda t: t.gl_code):
        net = t.debit - t.credit
        if net != 0:
            rows.append(TrialBalanceRow(t.gl_code, t.name, t.type, max(net, ZERO), max(-net, ZERO)))
    return TrialBalance(tuple(rows), sum((r.debit for r in rows), ZERO), sum((r.credit for r in rows), ZERO))


@dataclass(frozen=True)
class StatementRow:
    gl_code: str
    name: str
    amount: Decimal


@dataclass(frozen=True)
class Section:
    name: str
    rows: tuple[StatementRow, ...]
    total: Decimal


def _section(name: str, account_type: str, totals: Iterable[AccountTotal]) -> Section:
    rows = tuple(StatementRow(t.gl_code, t.name, t.balance) for t in sorted(totals, key=lambda t: t.gl_code)
                 if t.type == account_type and t.balance != 0)
    return Section(name, rows, sum((r.amount for r in rows), ZERO))


def result(totals: Iterable[AccountTotal]) -> Decimal:
    """Income minus expenses."""
    return sum((t.balance if t.type == "income" else -t.balance for t in totals if t.type in ("income", "expense")),
               ZERO)


@dataclass(frozen=True)
class BalanceSheet:
    assets: Section
    liabilities: Section
    equity: Section
    prior_years_result: Decimal
    current_year_result: Decimal
    total_liabilities_and_equity: Decimal

    @property
    def balanced(self) -> bool:
        return self.assets.total == self.total_liabilities_and_equity


def balance_sheet(to_date: Sequence[AccountTotal], to_year_start: Sequence[AccountTotal]) -> BalanceSheet:
    """Assets = liabilities + equity + results not yet closed into equity (prior years' and this year's).

    `to_date` are the totals up to the as-of date, `to_year_start` those before the first day of its year.
    """
    assets = _section("assets", "asset", to_date)
    liabilities = _section("liabilities", "liability", to_date)
    equity = _section("equity", "equity", to_date)
    prior = result(to_year_start)
    current = result(to_date) - prior
    return BalanceSheet(assets, liabilities, equity, prior, current,
                        liabilities.total + equity.total + prior + current)


@dataclass(frozen=True)
class IncomeStatement:
    income: Section
    expenses: Section
    net_result: Decimal


def income_statement(period: Sequence[AccountTotal]) -> IncomeStatement:
    income = _section("income", "income", period)
    expenses = _section("expenses", "expense", period)
    return IncomeStatement(income, expenses, income.total - expenses.total)


@dataclass(frozen=True)
class LedgerLine:
    transaction_date: date
    entry_id: int
    reference: str | None
    description: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class LedgerRow:
    line: LedgerLine
    balance: Decimal


def running_balance(account_type: str, opening: Decimal, lines: Iterable[LedgerLine]) -> Iterator[LedgerRow]:
    """Each line with the account's balance after it (on the account's normal side), lazily for streaming."""
    balance = opening
    for line in lines:
        balance += normal_balance(account_type, line.debit, line.credit)
        yield LedgerRow(line, balance)
