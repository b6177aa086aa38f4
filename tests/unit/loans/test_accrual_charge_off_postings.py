"""Pure: the legs of a charge-off under accrual accounting and of what a charged-off loan pays, with and without
Fineract's charge-off accounts mapped: balanced, receivables emptied, each amount on the account named for it."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from akiba.loans import postings

ZERO = Decimal(0)
BASE = {"fund_source": 1, "loan_portfolio": 2, "interest_income": 3, "fee_income": 4, "penalty_income": 5,
        "losses_written_off": 6, "overpayment": 7, "income_from_recovery": 8, "interest_receivable": 10,
        "fee_receivable": 11, "penalty_receivable": 12}
CHARGE_OFF = {"charge_off_expense": 20, "charge_off_fraud_expense": 21, "income_from_charge_off_interest": 22,
              "income_from_charge_off_fees": 23, "income_from_charge_off_penalty": 24}
cents = st.decimals(min_value=0, max_value=10**9, places=2)


def _net(lines: list[postings.Line]) -> dict[int, Decimal]:
    net: dict[int, Decimal] = {}
    for ln in lines:
        net[ln.gl_account_id] = net.get(ln.gl_account_id, ZERO) + (ln.amount if ln.side == "debit" else -ln.amount)
    return {account: amount for account, amount in net.items() if amount != 0}


@given(cents, cents, cents, st.booleans())
def test_accrual_charge_off_empties_the_receivables_into_the_charge_off_accounts(
        principal: Decimal, receivable: Decimal, penalties: Decimal, fraud: bool) -> None:
    charged = postings.Amounts(principal, receivable + Decimal("5.00"), Decimal("3.00"), penalties)
    accrued = postings.Accrued(receivable)
    net = _net(postings.legs_for("charge_off", {**BASE, **CHARGE_OFF}, charged, accrued, fraud=fraud))
    expense = 21 if fraud else 20
    # Interest not accrued (5.00) and fees (never booked before paid) move nothing.
    expected = {expense: principal, 2: -principal, 22: receivable, 10: -receivable, 24: penalties, 12: -penalties}
    assert net == {k: v for k, v in expected.items() if v != 0}


@given(cents, cents, cents, st.booleans())
def test_without_charge_off_accounts_the_ordinary_ones_take_their_place(
        principal: Decimal, receivable: Decimal, penalties: Decimal, fraud: bool) -> None:
    charged = postings.Amounts(principal, receivable, ZERO, penalties)
    net = _net(postings.legs_for("charge_off", BASE, charged, postings.Accrued(receivable), fraud=fraud))
    # Losses for the principal (no charge-off or fraud expense mapped); accrued income taken back out of income.
    expected = {6: principal, 2: -principal, 3: receivable, 10: -receivable, 5: penalties, 12: -penalties}
    assert net == {k: v for k, v in expected.items() if v != 0}


@given(cents, cents, cents, cents, cents, st.booleans())
def test_what_a_charged_off_loan_pays_is_recovery_and_charge_off_income(
        principal: Decimal, interest: Decimal, fees: Decimal, penalties: Decimal, overpaid: Decimal,
        accrual: bool) -> None:
    paid = postings.Amounts(principal, interest, fees, penalties, overpaid)
    accrued = postings.Accrued() if accrual else None
    net = _net(postings.legs_for("repayment", {**BASE, **CHARGE_OFF}, paid, accrued, recovery=True))
    expected = {1: paid.total, 8: -principal, 22: -interest, 23: -fees, 24: -penalties, 7: -overpaid}
    assert net == {k: v for k, v in expected.items() if v != 0}  # no receivable, no portfolio


@given(cents, cents, st.booleans())
def test_a_waiver_after_charge_off_posts_nothing(interest: Decimal, penalties: Decimal, accrual: bool) -> None:
    waived = postings.Amounts(ZERO, interest, ZERO, penalties)
    accrued = postings.Accrued(interest) if accrual else None
    for kind in ("waive_interest", "waive_charge"):
        assert postings.legs_for(kind, {**BASE, **CHARGE_OFF}, waived, accrued, recovery=True) == []
