"""Statement math (pure): any balanced set of postings gives a balanced trial balance and balance sheet."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from akiba.accounting.chart import DEFAULT_CODES, RULE_MOVEMENTS, STANDARD_CHART, required_movements
from akiba.accounting.statements import (
    AccountTotal,
    LedgerLine,
    balance_sheet,
    income_statement,
    result,
    running_balance,
    trial_balance,
)

D = Decimal
ACCOUNTS = {"1110": "asset", "1210": "asset", "2100": "liability", "3100": "equity", "4100": "income",
            "5100": "expense"}
amounts = st.decimals(min_value=D("0.01"), max_value=D("1000000"), places=2)
# One posting: a debit account, a credit account and an amount (two legs of one balanced entry).
postings = st.lists(st.tuples(st.sampled_from(sorted(ACCOUNTS)), st.sampled_from(sorted(ACCOUNTS)), amounts),
                    max_size=40)


def _totals(items: list[tuple[str, str, Decimal]]) -> list[AccountTotal]:
    debit: dict[str, Decimal] = defaultdict(Decimal)
    credit: dict[str, Decimal] = defaultdict(Decimal)
    for dr, cr, amount in items:
        debit[dr] += amount
        credit[cr] += amount
    return [AccountTotal(code, code, ACCOUNTS[code], debit[code], credit[code]) for code in sorted(ACCOUNTS)]


@given(postings)
def test_trial_balance_of_balanced_postings_balances(items: list[tuple[str, str, Decimal]]) -> None:
    tb = trial_balance(_totals(items))
    assert tb.total_debit == tb.total_credit
    assert all((r.debit == 0) != (r.credit == 0) for r in tb.rows)


@given(postings, postings)
def test_balance_sheet_equation_holds(before_year: list[tuple[str, str, Decimal]],
                                      this_year: list[tuple[str, str, Decimal]]) -> None:
    bs = balance_sheet(_totals(before_year + this_year), _totals(before_year))
    assert bs.balanced
    assert bs.assets.total == bs.liabilities.total + bs.equity.total + bs.prior_years_result + bs.current_year_result
    assert bs.prior_years_result == result(_totals(before_year))


@given(postings)
def test_income_statement_net_is_income_minus_expenses(items: list[tuple[str, str, Decimal]]) -> None:
    totals = _totals(items)
    statement = income_statement(totals)
    income = next(t for t in totals if t.gl_code == "4100")
    expense = next(t for t in totals if t.gl_code == "5100")
    assert statement.net_result == (income.credit - income.debit) - (expense.debit - expense.credit)


def test_worked_balance_sheet() -> None:
    totals = [AccountTotal("1110", "Cash", "asset", D("5480"), D("1030")),
              AccountTotal("1210", "Loans", "asset", D("1000"), D("0")),
              AccountTotal("3100", "Capital", "equity", D("0"), D("5000")),
              AccountTotal("4100", "Interest", "income", D("0"), D("480")),
              AccountTotal("5300", "Opex", "expense", D("30"), D("0"))]
    bs = balance_sheet(totals, [*totals[:3], AccountTotal("4100", "Interest", "income", D("0"), D("400"))])
    assert (bs.assets.total, bs.equity.total, bs.prior_years_result, bs.current_year_result) == (
        D("5450"), D("5000"), D("400"), D("50"))


@given(st.sampled_from(sorted(ACCOUNTS)), amounts,
       st.lists(st.tuples(st.booleans(), amounts), max_size=30))
def test_running_balance_ends_at_opening_plus_movements(code: str, opening: Decimal,
                                                        moves: list[tuple[bool, Decimal]]) -> None:
    lines = [LedgerLine(date(2024, 1, 1), i, None, "", a if is_debit else D(0), D(0) if is_debit else a)
             for i, (is_debit, a) in enumerate(moves)]
    rows = list(running_balance(ACCOUNTS[code], opening, lines))
    net = sum((ln.debit - ln.credit for ln in lines), D(0))
    expected = opening + (net if ACCOUNTS[code] in ("asset", "expense") else -net)
    assert (rows[-1].balance if rows else opening) == expected


def test_default_codes_cover_every_rule_and_exist_in_the_chart() -> None:
    chart = {a.gl_code: a for a in STANDARD_CHART}
    for product_type, rules in RULE_MOVEMENTS.items():
        for rule in rules:
            for movement in required_movements(product_type, rule):
                assert chart[DEFAULT_CODES[product_type][movement]].usage == "detail"
    for account in STANDARD_CHART:
        if account.parent_code:
            parent = chart[account.parent_code]
            assert parent.usage == "header" and parent.type == account.type
