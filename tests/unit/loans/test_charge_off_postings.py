"""Pure: the legs of a charge-off and of a repayment after it balance and keep the portfolio out of it."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from akiba.loans import postings

MAPPING = {"fund_source": 1, "loan_portfolio": 2, "interest_income": 3, "fee_income": 4, "penalty_income": 5,
           "losses_written_off": 6, "overpayment": 7, "income_from_recovery": 8}
cents = st.decimals(min_value=0, max_value=10**9, places=2)


def _net(lines: list[postings.Line]) -> dict[int, Decimal]:
    net: dict[int, Decimal] = {}
    for ln in lines:
        net[ln.gl_account_id] = net.get(ln.gl_account_id, Decimal(0)) + (ln.amount if ln.side == "debit"
                                                                          else -ln.amount)
    return net


@given(cents, cents, cents, cents)
def test_charge_off_moves_only_the_principal_under_cash_accounting(principal: Decimal, interest: Decimal,
                                                                   fees: Decimal, penalties: Decimal) -> None:
    lines = postings.legs_for("charge_off", MAPPING, postings.Amounts(principal, interest, fees, penalties))
    assert sum(_net(lines).values(), Decimal(0)) == 0
    assert _net(lines).get(6, Decimal(0)) == principal and _net(lines).get(2, Decimal(0)) == -principal
    mapped = postings.legs_for("charge_off", {**MAPPING, "charge_off_expense": 9}, postings.Amounts(principal))
    assert _net(mapped).get(9, Decimal(0)) == principal and 6 not in _net(mapped)


@given(cents, cents, cents, cents, cents)
def test_a_repayment_after_charge_off_is_a_recovery(principal: Decimal, interest: Decimal, fees: Decimal,
                                                    penalties: Decimal, overpaid: Decimal) -> None:
    paid = postings.Amounts(principal, interest, fees, penalties, overpaid)
    net = _net(postings.legs_for("repayment", MAPPING, paid, recovery=True))
    assert sum(net.values(), Decimal(0)) == 0
    assert net.get(2, Decimal(0)) == 0  # the portfolio no longer holds the principal
    assert (net.get(1, Decimal(0)), net.get(8, Decimal(0)), net.get(3, Decimal(0))) == (paid.total, -principal,
                                                                                         -interest)
    assert _net(postings.legs_for("repayment", MAPPING, paid)).get(2, Decimal(0)) == -principal
