"""Account statements for a period: loans and savings, as one plain structure that JSON, CSV and PDF all render.

A loan statement runs on the total the borrower owes (principal outstanding plus the interest, fees and
penalties charged and not yet paid or waived, less an overpayment held for them), as a regulator's statement
does (Mexico's CONDUSEF: the balance at the cut-off date). Each movement is a line: the disbursement and its
up-front fees, interest and fees as they fall due, penalties as they are charged, payments, waivers, a
write-off, refunds, and reversals (the original line, then the opposite one on the reversal date). Beside the
running total, each line carries the principal balance (the "saldo insoluto"); the period's interest, fees
and penalties charged, paid and waived are summed. The rules of what is charged when are in
akiba.reports.loan_movements. A savings statement runs on the account balance (credits raise it, debits lower
it); reversed savings transactions are left out (a reversal makes them void).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from akiba.core.errors import invalid, not_found
from akiba.core.money import money_str
from akiba.reports.cat import annual_cost, annual_yield
from akiba.reports.loan_movements import Charge, Row, Totals, Txn, loan_history
from akiba.reports.loan_movements import Line as Movement  # one statement line, loan or savings
from akiba.reports.service import statement_settings

ZERO = Decimal(0)


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
    opening_principal: Decimal | None = None  # loans: the principal part of the opening balance

    @property
    def closing_balance(self) -> Decimal:
        return self.movements[-1].balance if self.movements else self.opening_balance

    @property
    def closing_principal(self) -> Decimal | None:
        if self.opening_principal is None:
            return None
        return self.movements[-1].principal if self.movements else self.opening_principal

    def m(self, amount: Decimal) -> str:
        return money_str(amount, self.digits)

    def _principal(self, amount: Decimal | None) -> str | None:
        return None if amount is None else self.m(amount)

    def view(self) -> dict[str, Any]:
        movements = [{"date": mv.on, "description": mv.description, "reference": mv.reference,
                      "debit": self.m(mv.debit), "credit": self.m(mv.credit), "balance": self.m(mv.balance)}
                     for mv in self.movements]
        if self.kind == "loan":
            for line, mv in zip(movements, self.movements, strict=True):
                line["principal_balance"] = self._principal(mv.principal)
        return {
            "kind": self.kind, "institution": self.institution,
            "account": {"id": self.account_id, "reference": self.account_ref, "product": self.product,
                        "currency": self.currency},
            "client": {"id": self.client_id, "name": self.holder},
            "period": {"from": self.period_from, "to": self.period_to},
            "opening_balance": self.m(self.opening_balance),
            "opening_principal_balance": self._principal(self.opening_principal),
            "movements": movements,
            "total_debit": self.m(sum((mv.debit for mv in self.movements), ZERO)),
            "total_credit": self.m(sum((mv.credit for mv in self.movements), ZERO)),
            "charges": {k: self.m(v) for k, v in self.charges.items()},
            "closing_balance": self.m(self.closing_balance),
            "closing_principal_balance": self._principal(self.closing_principal),
            "nominal_annual_rate": money_str(self.nominal_annual_rate, 2),
            "effective_annual_rate": None if self.effective_annual_rate is None
            else money_str(self.effective_annual_rate, 2),
            "effective_rate_label": self.effective_rate_label,
        }

    def csv_rows(self) -> Iterator[list[Any]]:
        """The movements between an opening and a closing row; a loan's rows also carry the principal balance."""
        loan = self.kind == "loan"
        extra: Callable[[Decimal | None], list[Any]] = (
            (lambda principal: [self._principal(principal)]) if loan else (lambda _: []))
        yield ["date", "description", "reference", "debit", "credit", "balance"] + (["principal_balance"] if loan
                                                                                    else [])
        yield [self.period_from.isoformat(), "Opening balance", "", "", "", self.m(self.opening_balance),
               *extra(self.opening_principal)]
        for mv in self.movements:
            yield [mv.on.isoformat(), mv.description, mv.reference, self.m(mv.debit), self.m(mv.credit),
                   self.m(mv.balance), *extra(mv.principal)]
        yield [self.period_to.isoformat(), "Closing balance", "", "", "", self.m(self.closing_balance),
               *extra(self.closing_principal)]


def check_period(since: date | None, to: date | None) -> tuple[date, date]:
    if since is None:
        raise invalid("from", "is required")
    if to is None:
        raise invalid("to", "is required")
    if since > to:
        raise invalid("from", "must not be after to")
    return since, to


# --- loans ---------------------------------------------------------------------------------------------------------

_LOAN = text("""
SELECT l.id, l.external_id, l.client_id, COALESCE(c.display_name, g.name) AS holder, p.name AS product, l.currency,
       l.digits, l.annual_interest_rate, l.disbursed_on, l.status
FROM loans l JOIN loan_products p ON p.id = l.product_id
LEFT JOIN clients c ON c.id = l.client_id LEFT JOIN groups g ON g.id = l.group_id
WHERE l.id = :id""")
_LOAN_ROWS = text("""
SELECT n, due_date, interest, fees, penalties, waived_interest, waived_fees, waived_penalties
FROM loan_installments WHERE loan_id = :id ORDER BY n""")
_LOAN_CHARGES = text("""
SELECT id, charged_on, name, penalty, amount, installment_n FROM loan_charges
WHERE loan_id = :id AND active AND installment_n IS NOT NULL ORDER BY id""")
# Reversed transactions too: the statement shows them booked, then reversed.
_LOAN_TXNS = text("""
SELECT id, type, transaction_date, amount, principal, interest, fees, penalties, overpayment, interest_waived,
       reference, charge_id, reversed, reversed_on
FROM loan_transactions WHERE loan_id = :id AND transaction_date <= :to ORDER BY transaction_date, id""")
_LOAN_FLOWS = text("""
SELECT due_date, principal + interest + scheduled_fees FROM loan_installments WHERE loan_id = :id ORDER BY n""")
_UPFRONT = text("""
SELECT transaction_date, amount, fees FROM loan_transactions
WHERE loan_id = :id AND type = 'disbursement' AND NOT reversed ORDER BY id""")


def _txn(r: Any) -> Txn:
    reversed_on = (r.reversed_on or r.transaction_date) if r.reversed else None
    return Txn(r.id, r.type, r.transaction_date, r.amount, r.principal, r.interest, r.fees, r.penalties,
               r.overpayment, r.interest_waived, r.reference, r.charge_id, reversed_on)


def loan_cost_flows(s: Session, loan_id: int) -> list[tuple[date, Decimal]]:
    """The borrower's contractual cash flows for the annual cost: net disbursement in, installments out."""
    flows = [(r[0], r[1] - r[2]) for r in s.execute(_UPFRONT, {"id": loan_id})]
    flows += [(r[0], -r[1]) for r in s.execute(_LOAN_FLOWS, {"id": loan_id})]
    return flows


def _loan_charges_summary(t: Totals) -> dict[str, Decimal]:
    return {"interest_charged": t.charged["interest"], "fees_charged": t.charged["fees"],
            "penalties_charged": t.charged["penalties"], "principal_paid": t.paid["principal"],
            "interest_paid": t.paid["interest"], "fees_paid": t.paid["fees"], "penalties_paid": t.paid["penalties"],
            "interest_waived": t.waived["interest"], "fees_waived": t.waived["fees"],
            "penalties_waived": t.waived["penalties"], "written_off": t.written_off}


def loan_statement(s: Session, loan_id: int, since: date, to: date,
                   institution: dict[str, str] | None = None) -> Statement:
    """The loan's statement on the total owed (see akiba.reports.loan_movements for what is charged when)."""
    loan = s.execute(_LOAN, {"id": loan_id}).first()
    if loan is None:
        raise not_found("loan", loan_id)
    rows = [Row(*r) for r in s.execute(_LOAN_ROWS, {"id": loan_id})]
    charges = [Charge(*r) for r in s.execute(_LOAN_CHARGES, {"id": loan_id})]
    txns = [_txn(r) for r in s.execute(_LOAN_TXNS, {"id": loan_id, "to": to})]
    history = loan_history(rows, charges, txns, since, to, loan.digits)
    moves = history.lines
    return Statement(
        kind="loan", account_id=loan.id, account_ref=loan.external_id or f"L{loan.id:08d}", client_id=loan.client_id,
        holder=loan.holder, product=loan.product, currency=loan.currency, digits=loan.digits, period_from=since,
        period_to=to, opening_balance=history.opening, institution=institution or statement_settings(s),
        nominal_annual_rate=loan.annual_interest_rate, effective_annual_rate=annual_cost(loan_cost_flows(s, loan_id)),
        effective_rate_label="Total annual cost (CAT), fees included",
        charges=_loan_charges_summary(history.totals), movements=moves,
        opening_principal=history.opening_principal,
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
