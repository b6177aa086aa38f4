"""Account statements for a period: loans and savings, as one plain structure that JSON, CSV and PDF all render.

A loan statement runs on the principal balance: the disbursement is a debit, the principal part of each
repayment (or write-off) a credit, so the closing balance is the loan's principal outstanding; the interest,
fees and penalties each payment covered are shown beside it, and those that fell due in the period are
summed as "charged". A savings statement runs on the account balance (credits raise it, debits lower it).
Reversed transactions are left out: a reversal makes them void.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from akiba.core.errors import invalid, not_found
from akiba.core.money import money_str
from akiba.reports.cat import annual_cost, annual_yield
from akiba.reports.service import statement_settings

ZERO = Decimal(0)


@dataclass
class Movement:
    on: date
    description: str
    reference: str
    debit: Decimal
    credit: Decimal
    balance: Decimal = ZERO


@dataclass
class Statement:
    kind: str  # loan | savings
    account_id: int
    account_ref: str
    client_id: int | None
    holder: str
    product: str
    currency: str
    digits: int
    period_from: date
    period_to: date
    opening_balance: Decimal
    institution: dict[str, str]
    nominal_annual_rate: Decimal
    effective_annual_rate: Decimal | None
    effective_rate_label: str
    charges: dict[str, Decimal]
    movements: list[Movement] = field(default_factory=list)

    @property
    def closing_balance(self) -> Decimal:
        return self.movements[-1].balance if self.movements else self.opening_balance

    def m(self, amount: Decimal) -> str:
        return money_str(amount, self.digits)

    def view(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "institution": self.institution,
            "account": {"id": self.account_id, "reference": self.account_ref, "product": self.product,
                        "currency": self.currency},
            "client": {"id": self.client_id, "name": self.holder},
            "period": {"from": self.period_from, "to": self.period_to},
            "opening_balance": self.m(self.opening_balance),
            "movements": [{"date": mv.on, "description": mv.description, "reference": mv.reference,
                           "debit": self.m(mv.debit), "credit": self.m(mv.credit), "balance": self.m(mv.balance)}
                          for mv in self.movements],
            "total_debit": self.m(sum((mv.debit for mv in self.movements), ZERO)),
            "total_credit": self.m(sum((mv.credit for mv in self.movements), ZERO)),
            "charges": {k: self.m(v) for k, v in self.charges.items()},
            "closing_balance": self.m(self.closing_balance),
            "nominal_annual_rate": money_str(self.nominal_annual_rate, 2),
            "effective_annual_rate": None if self.effective_annual_rate is None
            else money_str(self.effective_annual_rate, 2),
            "effective_rate_label": self.effective_rate_label,
        }

    def csv_rows(self) -> Iterator[list[Any]]:
        yield ["date", "description", "reference", "debit", "credit", "balance"]
        yield [self.period_from.isoformat(), "Opening balance", "", "", "", self.m(self.opening_balance)]
        for mv in self.movements:
            yield [mv.on.isoformat(), mv.description, mv.reference, self.m(mv.debit), self.m(mv.credit),
                   self.m(mv.balance)]
        yield [self.period_to.isoformat(), "Closing balance", "", "", "", self.m(self.closing_balance)]


def check_period(since: date | None, to: date | None) -> tuple[date, date]:
    if since is None:
        raise invalid("from", "is required")
    if to is None:
        raise invalid("to", "is required")
    if since > to:
        raise invalid("from", "must not be after to")
    return since, to


def _run_balance(opening: Decimal, movements: list[Movement]) -> list[Movement]:
    balance = opening
    for mv in movements:
        balance += mv.debit - mv.credit
        mv.balance = balance
    return movements


# --- loans ---------------------------------------------------------------------------------------------------------

_LOAN = text("""
SELECT l.id, l.external_id, l.client_id, COALESCE(c.display_name, g.name) AS holder, p.name AS product, l.currency,
       l.digits, l.annual_interest_rate, l.disbursed_on, l.status
FROM loans l JOIN loan_products p ON p.id = l.product_id
LEFT JOIN clients c ON c.id = l.client_id LEFT JOIN groups g ON g.id = l.group_id
WHERE l.id = :id""")
# The principal balance moves up with a disbursement and down with the principal part of anything else but a
# charge-off (the borrower still owes what the lender's books moved to expense).
_LOAN_OPENING = text("""
SELECT COALESCE(SUM(CASE WHEN type = 'disbursement' THEN amount WHEN type = 'charge_off' THEN 0
                         ELSE -principal END), 0)
FROM loan_transactions WHERE loan_id = :id AND NOT reversed AND transaction_date < :from""")
_LOAN_MOVES = text("""
SELECT id, type, transaction_date, amount, principal, interest, fees, penalties, overpayment, reference
FROM loan_transactions WHERE loan_id = :id AND NOT reversed AND transaction_date BETWEEN :from AND :to
ORDER BY transaction_date, id""")
_LOAN_CHARGED = text("""
SELECT COALESCE(SUM(interest), 0), COALESCE(SUM(fees), 0), COALESCE(SUM(penalties), 0)
FROM loan_installments WHERE loan_id = :id AND due_date BETWEEN :from AND :to""")
_LOAN_FLOWS = text("""
SELECT due_date, principal + interest + scheduled_fees FROM loan_installments WHERE loan_id = :id ORDER BY n""")
_UPFRONT = text("""
SELECT transaction_date, amount, fees FROM loan_transactions
WHERE loan_id = :id AND type = 'disbursement' AND NOT reversed ORDER BY id""")

_LABELS = {"disbursement": "Disbursement", "repayment": "Repayment", "prepayment": "Prepayment",
           "waive_interest": "Interest waived", "waive_charge": "Charge waived", "write_off": "Write-off",
           "refund": "Refund of overpayment", "charge_off": "Charged off (still owed)",
           "reschedule": "Schedule changed"}


def _loan_movement(row: Any, digits: int) -> Movement:
    label = _LABELS.get(row.type, row.type)
    if row.type == "disbursement":
        detail = f" (up-front fees paid {money_str(row.fees, digits)})" if row.fees else ""
        return Movement(row.transaction_date, f"{label}{detail}", row.reference or f"T{row.id}", row.amount, ZERO)
    if row.type in ("charge_off", "reschedule"):  # nothing the borrower owes changes
        return Movement(row.transaction_date, label, row.reference or f"T{row.id}", ZERO, ZERO)
    parts = [(name, getattr(row, name)) for name in ("principal", "interest", "fees", "penalties", "overpayment")]
    split = ", ".join(f"{name} {money_str(v, digits)}" for name, v in parts if v)
    description = f"{label} {money_str(row.amount, digits)}" + (f": {split}" if split else "")
    return Movement(row.transaction_date, description, row.reference or f"T{row.id}", ZERO, row.principal)


def loan_cost_flows(s: Session, loan_id: int) -> list[tuple[date, Decimal]]:
    """The borrower's contractual cash flows for the annual cost: net disbursement in, installments out."""
    flows = [(r[0], r[1] - r[2]) for r in s.execute(_UPFRONT, {"id": loan_id})]
    flows += [(r[0], -r[1]) for r in s.execute(_LOAN_FLOWS, {"id": loan_id})]
    return flows


def loan_statement(s: Session, loan_id: int, since: date, to: date,
                   institution: dict[str, str] | None = None) -> Statement:
    loan = s.execute(_LOAN, {"id": loan_id}).first()
    if loan is None:
        raise not_found("loan", loan_id)
    bind = {"id": loan_id, "from": since, "to": to}
    opening = s.execute(_LOAN_OPENING, bind).scalar_one()
    moves = [_loan_movement(r, loan.digits) for r in s.execute(_LOAN_MOVES, bind)]
    interest, fees, penalties = s.execute(_LOAN_CHARGED, bind).one()
    paid = {"interest_paid": ZERO, "fees_paid": ZERO, "penalties_paid": ZERO}
    for r in s.execute(_LOAN_MOVES, bind):
        if r.type in ("repayment", "prepayment"):
            paid["interest_paid"] += r.interest
            paid["fees_paid"] += r.fees
            paid["penalties_paid"] += r.penalties
    return Statement(
        kind="loan", account_id=loan.id, account_ref=loan.external_id or f"L{loan.id:08d}", client_id=loan.client_id,
        holder=loan.holder, product=loan.product, currency=loan.currency, digits=loan.digits, period_from=since,
        period_to=to, opening_balance=opening, institution=institution or statement_settings(s),
        nominal_annual_rate=loan.annual_interest_rate, effective_annual_rate=annual_cost(loan_cost_flows(s, loan_id)),
        effective_rate_label="Total annual cost (CAT), fees included",
        charges={"interest_charged": interest, "fees_charged": fees, "penalties_charged": penalties, **paid},
        movements=_run_balance(opening, moves),
    )


# --- savings -------------------------------------------------------------------------------------------------------

_ACCOUNT = text("""
SELECT a.id, a.account_no, a.client_id, COALESCE(c.display_name, g.name) AS holder, p.name AS product, a.currency,
       a.digits, a.annual_interest_rate, a.compounding, a.days_in_year
FROM savings_accounts a JOIN savings_products p ON p.id = a.product_id
LEFT JOIN clients c ON c.id = a.client_id LEFT JOIN groups g ON g.id = a.group_id
WHERE a.id = :id""")
_SIGNED = "CASE WHEN is_credit THEN amount ELSE -amount END"
_SAVINGS_OPENING = text(f"""
SELECT COALESCE(SUM({_SIGNED}), 0) FROM savings_transactions
WHERE account_id = :id AND NOT reversed AND transaction_date < :from""")  # noqa: S608  -- constant fragment
_SAVINGS_MOVES = text("""
SELECT id, type, transaction_date, amount, is_credit, description FROM savings_transactions
WHERE account_id = :id AND NOT reversed AND transaction_date BETWEEN :from AND :to
ORDER BY transaction_date, id""")
_SAVINGS_LABELS = {"deposit": "Deposit", "withdrawal": "Withdrawal", "transfer_in": "Transfer in",
                   "transfer_out": "Transfer out", "interest_posting": "Interest", "interest_reversal":
                   "Interest reversed", "withdrawal_fee": "Withdrawal fee", "fee": "Fee",
                   "overdraft_interest": "Overdraft interest",
                   "overdraft_interest_reversal": "Overdraft interest returned"}


def savings_statement(s: Session, account_id: int, since: date, to: date,
                      institution: dict[str, str] | None = None) -> Statement:
    acct = s.execute(_ACCOUNT, {"id": account_id}).first()
    if acct is None:
        raise not_found("savings-account", account_id)
    bind = {"id": account_id, "from": since, "to": to}
    opening = s.execute(_SAVINGS_OPENING, bind).scalar_one()
    moves, interest, fees = [], ZERO, ZERO
    for r in s.execute(_SAVINGS_MOVES, bind):
        label = _SAVINGS_LABELS.get(r.type, r.type) + (f": {r.description}" if r.description else "")
        # The account holder's view: money in is a credit and raises the balance.
        moves.append(Movement(r.transaction_date, label, f"S{r.id}", ZERO if r.is_credit else r.amount,
                              r.amount if r.is_credit else ZERO))
        if r.type == "interest_posting":
            interest += r.amount
        elif r.type == "interest_reversal":
            interest -= r.amount
        elif r.type in ("fee", "withdrawal_fee"):
            fees += r.amount
    balance = opening
    for mv in moves:
        balance += mv.credit - mv.debit
        mv.balance = balance
    return Statement(
        kind="savings", account_id=acct.id, account_ref=acct.account_no or f"S{acct.id:08d}",
        client_id=acct.client_id, holder=acct.holder, product=acct.product, currency=acct.currency,
        digits=acct.digits, period_from=since, period_to=to, opening_balance=opening,
        institution=institution or statement_settings(s), nominal_annual_rate=acct.annual_interest_rate,
        effective_annual_rate=annual_yield(acct.annual_interest_rate, acct.compounding, acct.days_in_year),
        effective_rate_label="Effective annual yield", charges={"interest_earned": interest, "fees_charged": fees},
        movements=moves,
    )
