"""Savings product commands and the product's view."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from akiba.accounting import posting as ledger
from akiba.accounting.currencies import currency_digits
from akiba.core.errors import conflict, invalid, not_found
from akiba.core.money import money_str
from akiba.platform.commands import command, emit
from akiba.platform.context import Principal
from akiba.savings.models import SavingsProduct
from akiba.savings.postings import movements_missing
from akiba.savings.schemas import DormancyIn, FeesIn, LockInIn, OverdraftIn, ProductCreate, ProductUpdate


def get_product(s: Session, product_id: int) -> SavingsProduct:
    product = s.get(SavingsProduct, product_id)
    if product is None:
        raise not_found("savings-product", product_id)
    return product


def _opt(amount: Decimal | None, digits: int) -> str | None:
    return None if amount is None else money_str(amount, digits)


def product_view(s: Session, p: SavingsProduct) -> dict[str, Any]:
    fee_type = p.withdrawal_fee_type
    return {
        "id": p.id, "name": p.name, "description": p.description, "kind": p.kind, "currency": p.currency,
        "digits": p.digits, "annual_interest_rate": format(p.annual_interest_rate.normalize(), "f"),
        "interest_calculation": p.interest_calculation, "compounding": p.compounding, "posting": p.posting,
        "days_in_year": p.days_in_year, "rounding": p.rounding,
        "min_balance_for_interest": _opt(p.min_balance_for_interest, p.digits), "rate_tiers": p.rate_tiers,
        "min_opening_balance": _opt(p.min_opening_balance, p.digits),
        "min_required_balance": _opt(p.min_required_balance, p.digits),
        "fees": {
            "withdrawal_fee": None if fee_type is None else {
                "type": fee_type, "amount": format((p.withdrawal_fee_amount or Decimal(0)).normalize(), "f")},
            "monthly_fee": _opt(p.monthly_fee, p.digits), "annual_fee": _opt(p.annual_fee, p.digits),
        },
        "overdraft": {"allowed": p.allow_overdraft, "limit": _opt(p.overdraft_limit, p.digits),
                      "annual_interest_rate": None if p.overdraft_interest_rate is None
                      else format(p.overdraft_interest_rate.normalize(), "f")},
        "dormancy": {"inactive_after_days": p.inactive_after_days, "dormant_after_days": p.dormant_after_days,
                     "fees_stop_when_dormant": p.fees_stop_when_dormant},
        "lock_in": None if p.lock_in_period is None else {"period": p.lock_in_period, "unit": p.lock_in_unit},
        "accounting_rule": p.accounting_rule,
        "gl_mappings": ledger.product_mapping(s, "savings", p.id),
    }


def _apply_fees(p: SavingsProduct, fees: FeesIn | None) -> None:
    fees = fees or FeesIn()
    p.withdrawal_fee_type = fees.withdrawal_fee.type if fees.withdrawal_fee else None
    p.withdrawal_fee_amount = fees.withdrawal_fee.amount if fees.withdrawal_fee else None
    if fees.withdrawal_fee and fees.withdrawal_fee.type == "percent" and fees.withdrawal_fee.amount > 100:
        raise invalid("fees.withdrawal_fee.amount", "a percentage fee is at most 100")
    p.monthly_fee, p.annual_fee = fees.monthly_fee, fees.annual_fee


def _apply_overdraft(p: SavingsProduct, overdraft: OverdraftIn | None) -> None:
    overdraft = overdraft or OverdraftIn()
    if overdraft.allowed and not overdraft.limit:
        raise invalid("overdraft.limit", "an overdraft needs a positive limit")
    p.allow_overdraft = overdraft.allowed
    p.overdraft_limit = overdraft.limit if overdraft.allowed else None
    p.overdraft_interest_rate = overdraft.annual_interest_rate


def _apply_dormancy(p: SavingsProduct, dormancy: DormancyIn | None) -> None:
    dormancy = dormancy or DormancyIn()
    if (dormancy.inactive_after_days and dormancy.dormant_after_days
            and dormancy.dormant_after_days <= dormancy.inactive_after_days):
        raise invalid("dormancy.dormant_after_days", "must be more than inactive_after_days")
    p.inactive_after_days = dormancy.inactive_after_days
    p.dormant_after_days = dormancy.dormant_after_days
    p.fees_stop_when_dormant = dormancy.fees_stop_when_dormant


def _apply_lock_in(p: SavingsProduct, lock_in: LockInIn | None) -> None:
    p.lock_in_period = lock_in.period if lock_in else None
    p.lock_in_unit = lock_in.unit if lock_in else None


def _check_digits(name: str, amount: Decimal | None, digits: int) -> None:
    if amount is not None and amount != amount.quantize(Decimal(1).scaleb(-digits)):
        raise invalid(name, f"has more than {digits} decimal places")


def _set_mappings(s: Session, p: SavingsProduct, given: dict[str, int] | None) -> None:
    if p.accounting_rule == "none":
        if given:
            raise invalid("gl_mappings", "a product without accounting takes no GL mappings")
        return
    mapping = {**ledger.default_mapping(s, "savings", p.accounting_rule), **(given or {})}
    missing = movements_missing(mapping)
    if missing:
        raise invalid("gl_mappings", f"missing movements: {', '.join(missing)}")
    ledger.set_product_mappings(s, "savings", p.id, mapping)


def _check_name(s: Session, name: str, own_id: int = 0) -> None:
    if s.scalar(select(SavingsProduct.id).where(SavingsProduct.name == name, SavingsProduct.id != own_id)):
        raise conflict("savings-product-name-taken", f"a savings product named {name!r} exists")


@command("savingsproducts:create", resource="savings_product", payload=ProductCreate, status=201)
def create_product(s: Session, _: Principal, data: ProductCreate, __: int | None) -> dict[str, Any]:
    _check_name(s, data.name)
    digits = currency_digits(data.currency) if data.digits is None else data.digits
    for name in ("min_balance_for_interest", "min_opening_balance", "min_required_balance"):
        _check_digits(name, getattr(data, name), digits)
    p = SavingsProduct(
        name=data.name, description=data.description, kind=data.kind, currency=data.currency, digits=digits,
        annual_interest_rate=data.annual_interest_rate, interest_calculation=data.interest_calculation,
        compounding=data.compounding, posting=data.posting, days_in_year=data.days_in_year,
        rounding=data.rounding, min_balance_for_interest=data.min_balance_for_interest,
        rate_tiers=[{"min_balance": str(t.min_balance), "annual_rate": str(t.annual_rate)} for t in data.rate_tiers],
        min_opening_balance=data.min_opening_balance, min_required_balance=data.min_required_balance,
        accounting_rule=data.accounting_rule,
    )
    if len({t.min_balance for t in data.rate_tiers}) != len(data.rate_tiers):
        raise invalid("rate_tiers", "tiers need distinct min_balance values")
    _apply_fees(p, data.fees)
    _apply_overdraft(p, data.overdraft)
    _apply_dormancy(p, data.dormancy)
    _apply_lock_in(p, data.lock_in)
    s.add(p)
    s.flush()
    _set_mappings(s, p, data.gl_mappings)
    emit(s, "savings_product.created", "savings_product", p.id, {"name": p.name})
    return product_view(s, p)


@command("savingsproducts:update", resource="savings_product", payload=ProductUpdate)
def update_product(s: Session, _: Principal, data: ProductUpdate, product_id: int | None) -> dict[str, Any]:
    assert product_id is not None
    p = s.execute(select(SavingsProduct).where(SavingsProduct.id == product_id).with_for_update()).scalar()
    if p is None:
        raise not_found("savings-product", product_id)
    given = data.model_fields_set
    if data.name is not None:
        _check_name(s, data.name, p.id)
        p.name = data.name
    if data.description is not None:
        p.description = data.description
    if data.annual_interest_rate is not None:
        p.annual_interest_rate = data.annual_interest_rate
    for name in ("min_balance_for_interest", "min_opening_balance", "min_required_balance"):
        if name in given:
            _check_digits(name, getattr(data, name), p.digits)
            setattr(p, name, getattr(data, name))
    if "fees" in given:
        _apply_fees(p, data.fees)
    if "overdraft" in given:
        _apply_overdraft(p, data.overdraft)
    if "dormancy" in given:
        _apply_dormancy(p, data.dormancy)
    if "lock_in" in given:
        _apply_lock_in(p, data.lock_in)
    if data.gl_mappings:
        _set_mappings(s, p, {**ledger.product_mapping(s, "savings", p.id), **data.gl_mappings})
    emit(s, "savings_product.updated", "savings_product", p.id, {"fields": sorted(given)})
    return product_view(s, p)
