"""Read side of loans: the loan with its schedule, summary and transactions, and loan lists.

Reading a loan costs a fixed number of queries whatever its number of transactions (loan, installments,
transactions, charges, business date, product, non-accrual flag).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from akiba.core.money import ZERO, money_str
from akiba.loans.models import Loan, LoanCharge, LoanInstallment, LoanProduct, LoanTransaction
from akiba.loans.schedule import Schedule, generate_schedule, schedule_to_dict
from akiba.loans.service.common import business_date, due_date_adjuster, money, schedule_request
from akiba.loans.service.replay import days_in_arrears, outstanding
from akiba.loans.service.state import to_installment
from akiba.platform.pagination import Page

DISBURSED = ("active", "overpaid", "closed", "written_off")
# Close of business's non-accrual flag (the product's rule, judged on the arrears of its last close).
_NON_ACCRUAL = text("SELECT non_accrual FROM cob_loan_state WHERE loan_id = :loan_id")


def transaction_view(txn: LoanTransaction, loan: Loan) -> dict[str, Any]:
    d = loan.digits
    return {
        "id": txn.id, "loan_id": txn.loan_id, "type": txn.type, "transaction_date": txn.transaction_date,
        "amount": money(txn.amount, d), "principal": money(txn.principal, d), "interest": money(txn.interest, d),
        "fees": money(txn.fees, d), "penalties": money(txn.penalties, d), "overpayment": money(txn.overpayment, d),
        "interest_waived": money(txn.interest_waived, d), "charge_id": txn.charge_id,
        "payment_type": txn.payment_type, "reference": txn.reference, "note": txn.note, "reversed": txn.reversed,
        "reversed_on": txn.reversed_on, "loan_status": loan.status,
    }


def charge_view(c: LoanCharge, digits: int) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "charge_time": c.charge_time, "penalty": c.penalty,
            "amount": money(c.amount, digits), "charged_on": c.charged_on, "installment": c.installment_n,
            "waived": c.waived, "active": c.active}


def _schedule(s: Session, loan: Loan, rows: list[LoanInstallment]) -> dict[str, Any]:
    if rows:
        body = schedule_to_dict(Schedule(loan.currency, loan.digits, tuple(to_installment(r) for r in rows)))
        for period, row in zip(body["periods"], rows, strict=True):
            period["interest_waived"] = money_str(row.waived_interest, loan.digits)
            period["fees_waived"] = money_str(row.waived_fees, loan.digits)
            period["penalties_waived"] = money_str(row.waived_penalties, loan.digits)
        return body
    if loan.status in ("submitted", "approved"):
        amount = loan.approved_principal or loan.principal
        req = schedule_request(loan, amount, loan.expected_disbursement_date)
        return schedule_to_dict(generate_schedule(req, due_date_adjuster(s, loan.office_id)))
    return {"currency": loan.currency, "periods": [], "total_principal": money_str(ZERO, loan.digits),
            "total_interest": money_str(ZERO, loan.digits), "total_due": money_str(ZERO, loan.digits)}


def _bucket(buckets: list[dict[str, Any]], days: int) -> str | None:
    for b in buckets:
        if days >= b["min_days"] and (b.get("max_days") is None or days <= b["max_days"]):
            return str(b["name"])
    return None


def summary(loan: Loan, product: LoanProduct, rows: list[LoanInstallment], today: date,
            non_accrual: bool = False) -> dict[str, Any]:
    d = loan.digits
    engine_rows = [to_installment(r) for r in rows]
    left = outstanding(engine_rows)
    overdue = outstanding(engine_rows, due_before=today)
    written_off = loan.status == "written_off"
    arrears = 0 if written_off or loan.status not in DISBURSED else days_in_arrears(engine_rows, today)
    # Arrears tolerance and grace on ageing affect the delinquency bucket, not the contract's days_in_arrears.
    ageing = arrears - product.grace_on_arrears_ageing if overdue.total > product.arrears_tolerance else 0
    zero = money_str(ZERO, d)

    def amount(value: Decimal) -> str:
        return zero if written_off else money_str(value, d)

    return {
        "principal_disbursed": money(loan.disbursed_principal or ZERO, d),
        "principal_outstanding": amount(left.principal), "interest_outstanding": amount(left.interest),
        "fees_outstanding": amount(left.fees), "penalties_outstanding": amount(left.penalties),
        "total_outstanding": amount(left.total),
        "principal_paid": money_str(sum((r.paid_principal for r in rows), ZERO), d),
        "interest_paid": money_str(sum((r.paid_interest for r in rows), ZERO), d),
        "fees_paid": money_str(sum((r.paid_fees for r in rows), ZERO), d),
        "penalties_paid": money_str(sum((r.paid_penalties for r in rows), ZERO), d),
        "interest_waived": money_str(sum((r.waived_interest for r in rows), ZERO), d),
        "principal_overdue": amount(overdue.principal), "interest_overdue": amount(overdue.interest),
        "fees_overdue": amount(overdue.fees), "penalties_overdue": amount(overdue.penalties),
        "total_overdue": amount(overdue.total),
        "days_in_arrears": arrears,
        "delinquency_bucket": _bucket(product.delinquency_buckets, ageing) if ageing > 0 else None,
        # a flag a closed or written-off loan kept from its last close no longer means anything
        "non_accrual": non_accrual and loan.status == "active",
        "credit_balance": money_str(loan.credit_balance, d),
        "principal_written_off": money_str(left.principal, d) if written_off else zero,
        "as_of": today,
    }


def loan_header(loan: Loan, product_name: str | None = None) -> dict[str, Any]:
    d = loan.digits
    return {
        "id": loan.id, "external_id": loan.external_id, "client_id": loan.client_id, "group_id": loan.group_id,
        "product_id": loan.product_id, "product_name": product_name, "office_id": loan.office_id,
        "loan_officer_id": loan.loan_officer_id, "status": loan.status, "currency": loan.currency,
        "principal": money(loan.principal, d), "approved_principal": money(loan.approved_principal, d),
        "disbursed_principal": money(loan.disbursed_principal, d),
        "annual_interest_rate": format(loan.annual_interest_rate.normalize(), "f"),
        "number_of_repayments": loan.number_of_repayments, "terms": loan.terms,
        "submitted_on": loan.submitted_on, "expected_disbursement_date": loan.expected_disbursement_date,
        "approved_on": loan.approved_on, "disbursed_on": loan.disbursed_on, "rejected_on": loan.rejected_on,
        "withdrawn_on": loan.withdrawn_on, "written_off_on": loan.written_off_on, "closed_on": loan.closed_on,
        "charged_off": loan.charged_off_on is not None, "charged_off_on": loan.charged_off_on,
        "principal_outstanding": money(loan.principal_outstanding, d),
        "total_outstanding": money(loan.principal_outstanding + loan.interest_outstanding + loan.fees_outstanding
                                   + loan.penalties_outstanding, d),
    }


def loan_view(s: Session, loan: Loan) -> dict[str, Any]:
    """The whole loan: header, schedule with paid and outstanding per installment, summary, transactions."""
    s.flush()
    product = s.get(LoanProduct, loan.product_id)
    assert product is not None
    rows = list(s.scalars(select(LoanInstallment).where(LoanInstallment.loan_id == loan.id)
                          .order_by(LoanInstallment.n)))
    txns = s.scalars(select(LoanTransaction).where(LoanTransaction.loan_id == loan.id)
                     .order_by(LoanTransaction.transaction_date, LoanTransaction.id))
    charges = s.scalars(select(LoanCharge).where(LoanCharge.loan_id == loan.id).order_by(LoanCharge.id))
    return {
        **loan_header(loan, product.name),
        "schedule": _schedule(s, loan, rows),
        "summary": summary(loan, product, rows, business_date(s),
                           bool(s.scalar(_NON_ACCRUAL, {"loan_id": loan.id}))),
        "transactions": [transaction_view(t, loan) for t in txns],
        "charges": [charge_view(c, loan.digits) for c in charges],
    }


def loans_query(status: str | None = None, office_id: int | None = None, loan_officer_id: int | None = None,
                product_id: int | None = None, client_id: int | None = None,
                group_id: int | None = None, external_id: str | None = None) -> Select[Loan, str]:
    """The loans matching the filters, each with its product's name (joined: one query for the whole page)."""
    stmt = select(Loan, LoanProduct.name).join(LoanProduct, LoanProduct.id == Loan.product_id)
    filters = ((Loan.status, status), (Loan.office_id, office_id), (Loan.loan_officer_id, loan_officer_id),
               (Loan.product_id, product_id), (Loan.client_id, client_id), (Loan.group_id, group_id),
               (Loan.external_id, external_id))
    for column, value in filters:
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


def list_loans(s: Session, page: Page, **filters: Any) -> dict[str, Any]:
    """A page of loan headers, keyset on id as `akiba.platform.pagination.paginate` (which reads one entity per
    row; here each row also carries the product's name)."""
    stmt = loans_query(**filters)
    if page.cursor is not None:
        stmt = stmt.where(Loan.id > page.cursor)
    rows = s.execute(stmt.order_by(Loan.id).limit(page.limit + 1)).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return {"items": [loan_header(loan, name) for loan, name in rows],
            "next_cursor": rows[-1][0].id if more and rows else None}
