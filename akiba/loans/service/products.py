"""Loan product commands: create and update, with charges and GL mappings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from akiba.accounting.currencies import currency_digits
from akiba.accounting.posting import (
    default_mapping,
    gl_account_id,
    missing_movements,
    product_mapping,
    set_product_mappings,
)
from akiba.core.errors import DomainError, conflict, invalid
from akiba.loans.models import LoanProduct, LoanProductCharge
from akiba.loans.schedule import parse_schedule_request
from akiba.loans.schemas import ProductCreate, ProductUpdate, ScheduleSettings
from akiba.loans.service.common import get_product, money
from akiba.platform.commands import command, emit
from akiba.platform.context import Principal

_SETTINGS = tuple(ScheduleSettings.model_fields)
# Fields an update may set to null: null is a setting of its own (the rule never applies), not a missing value.
_NULLABLE = frozenset({"non_accrual_after_days"})
_VALIDATION_DAY = date(2000, 1, 3)


def _settings_of(data: ProductCreate) -> dict[str, Any]:
    return data.model_dump(mode="json", include=set(_SETTINGS))


def _check_limits(p: LoanProduct) -> None:
    pairs = (("principal", p.min_principal, p.principal, p.max_principal),
             ("number_of_repayments", p.min_number_of_repayments, p.number_of_repayments,
              p.max_number_of_repayments),
             ("annual_interest_rate", p.min_annual_interest_rate, p.annual_interest_rate,
              p.max_annual_interest_rate))
    for name, low, default, high in pairs:
        if not low <= high:
            raise invalid(f"min_{name}", f"must not be above max_{name}")
        if not low <= default <= high:
            raise invalid(name, f"must be between min_{name} and max_{name}")


def check_schedule_settings(p: LoanProduct) -> None:
    """The engine's own parser validates the settings, naming the field of anything it refuses."""
    parse_schedule_request({**p.schedule_settings, "principal": str(p.principal), "currency": p.currency,
                            "digits": p.digits, "in_multiples_of": p.in_multiples_of,
                            "annual_interest_rate": str(p.annual_interest_rate),
                            "number_of_repayments": p.number_of_repayments,
                            "expected_disbursement_date": _VALIDATION_DAY.isoformat()})


def _resolve_mappings(s: Session, given: dict[str, int | str]) -> dict[str, int]:
    resolved: dict[str, int] = {}
    for movement, account in given.items():
        if isinstance(account, str):
            try:
                resolved[movement] = gl_account_id(s, account)
            except DomainError:
                raise invalid(f"gl_mappings.{movement}", f"GL account {account!r} does not exist") from None
        else:
            resolved[movement] = account
    return resolved


def _apply_mappings(s: Session, product: LoanProduct, given: dict[str, int | str]) -> None:
    if product.accounting_rule == "none":
        if given:
            raise invalid("gl_mappings", "a product with accounting_rule none takes no GL mappings")
        return
    explicit = _resolve_mappings(s, given)
    mapping = {**product_mapping(s, "loan", product.id)} or {}
    if not mapping:
        try:
            mapping = default_mapping(s, "loan", product.accounting_rule)
        except DomainError:
            mapping = {}
    mapping.update(explicit)
    missing = missing_movements("loan", product.accounting_rule, mapping)
    if missing:
        raise invalid("gl_mappings", f"map these movements: {', '.join(missing)}")
    try:
        set_product_mappings(s, "loan", product.id, mapping)
    except DomainError as error:
        raise invalid("gl_mappings", error.detail) from None


def _check_charges(data: ProductCreate) -> None:
    allowed = {"disbursement": ("flat", "percent_of_amount"), "installment": ("flat", "percent_of_installment"),
               "overdue_installment": ("flat", "percent_of_overdue"), "specified_due_date": ("flat",)}
    for i, charge in enumerate(data.charges):
        if charge.calculation not in allowed[charge.charge_time]:
            raise invalid(f"charges.{i}.calculation",
                          f"a {charge.charge_time} charge is {' or '.join(allowed[charge.charge_time])}")
        if charge.charge_time == "overdue_installment" and not charge.penalty:
            raise invalid(f"charges.{i}.penalty", "an overdue installment charge is a penalty")
        if charge.calculation != "flat" and charge.amount > 100:
            raise invalid(f"charges.{i}.amount", "a percentage is at most 100")


def _check_unique(s: Session, name: str | None, short_name: str | None, external_id: str | None,
                  own_id: int = 0) -> None:
    for column, value, slug in ((LoanProduct.name, name, "loan-product-name-taken"),
                                (LoanProduct.short_name, short_name, "loan-product-short-name-taken"),
                                (LoanProduct.external_id, external_id, "external-id-taken")):
        if value and s.scalar(select(LoanProduct.id).where(column == value, LoanProduct.id != own_id)):
            raise conflict(slug, f"{value!r} is in use by another loan product")


@command("loanproducts:create", resource="loan_product", payload=ProductCreate, status=201)
def create_product(s: Session, _: Principal, data: ProductCreate, __: int | None) -> dict[str, Any]:
    _check_unique(s, data.name, data.short_name, data.external_id)
    _check_charges(data)
    product = LoanProduct(
        name=data.name, short_name=data.short_name, description=data.description, external_id=data.external_id,
        currency=data.currency, digits=currency_digits(data.currency) if data.digits is None else data.digits,
        in_multiples_of=data.in_multiples_of, principal=data.principal,
        min_principal=data.min_principal or data.principal, max_principal=data.max_principal or data.principal,
        number_of_repayments=data.number_of_repayments,
        min_number_of_repayments=data.min_number_of_repayments or data.number_of_repayments,
        max_number_of_repayments=data.max_number_of_repayments or data.number_of_repayments,
        annual_interest_rate=data.annual_interest_rate,
        min_annual_interest_rate=data.annual_interest_rate if data.min_annual_interest_rate is None
        else data.min_annual_interest_rate,
        max_annual_interest_rate=data.annual_interest_rate if data.max_annual_interest_rate is None
        else data.max_annual_interest_rate,
        schedule_settings=_settings_of(data), arrears_tolerance=data.arrears_tolerance,
        grace_on_arrears_ageing=data.grace_on_arrears_ageing,
        delinquency_buckets=[b.model_dump() for b in data.delinquency_buckets],
        non_accrual_after_days=data.non_accrual_after_days,
        accounting_rule=data.accounting_rule,
    )
    _check_limits(product)
    check_schedule_settings(product)
    s.add(product)
    s.flush()
    s.add_all(LoanProductCharge(product_id=product.id, **c.model_dump()) for c in data.charges)
    _apply_mappings(s, product, data.gl_mappings)
    s.flush()
    emit(s, "loan_product.created", "loan_product", product.id, {"name": product.name})
    return product_view(s, product)


@command("loanproducts:update", resource="loan_product", payload=ProductUpdate)
def update_product(s: Session, _: Principal, data: ProductUpdate, product_id: int | None) -> dict[str, Any]:
    assert product_id is not None
    product = s.execute(select(LoanProduct).where(LoanProduct.id == product_id).with_for_update()).scalar()
    if product is None:
        product = get_product(s, product_id)
    _check_unique(s, data.name, None, None, own_id=product.id)
    for name in data.model_fields_set - {"gl_mappings"}:
        value = getattr(data, name)
        if value is None and name not in _NULLABLE:
            raise invalid(name, "cannot be null")
        setattr(product, name, value)
    _check_limits(product)
    check_schedule_settings(product)
    if data.gl_mappings is not None:
        _apply_mappings(s, product, data.gl_mappings)
    s.flush()
    emit(s, "loan_product.updated", "loan_product", product.id, {"fields": sorted(data.model_fields_set)})
    return product_view(s, product)


def product_charges(s: Session, product_id: int) -> list[LoanProductCharge]:
    return list(s.scalars(select(LoanProductCharge).where(LoanProductCharge.product_id == product_id)
                          .order_by(LoanProductCharge.id)))


def _charge_view(c: LoanProductCharge, digits: int) -> dict[str, Any]:
    amount = money(c.amount, digits) if c.calculation == "flat" else str(c.amount.normalize())
    return {"id": c.id, "name": c.name, "charge_time": c.charge_time, "calculation": c.calculation,
            "amount": amount, "penalty": c.penalty, "grace_days": c.grace_days}


def _rate(value: Decimal) -> str:
    return format(value.normalize(), "f")


def product_view(s: Session, p: LoanProduct) -> dict[str, Any]:
    d = p.digits
    return {
        "id": p.id, "name": p.name, "short_name": p.short_name, "description": p.description,
        "external_id": p.external_id, "currency": p.currency, "digits": d, "in_multiples_of": p.in_multiples_of,
        "principal": money(p.principal, d), "min_principal": money(p.min_principal, d),
        "max_principal": money(p.max_principal, d), "number_of_repayments": p.number_of_repayments,
        "min_number_of_repayments": p.min_number_of_repayments,
        "max_number_of_repayments": p.max_number_of_repayments,
        "annual_interest_rate": _rate(p.annual_interest_rate),
        "min_annual_interest_rate": _rate(p.min_annual_interest_rate),
        "max_annual_interest_rate": _rate(p.max_annual_interest_rate),
        **p.schedule_settings,
        "arrears_tolerance": money(p.arrears_tolerance, d), "grace_on_arrears_ageing": p.grace_on_arrears_ageing,
        "delinquency_buckets": p.delinquency_buckets, "non_accrual_after_days": p.non_accrual_after_days,
        "charges": [_charge_view(c, d) for c in product_charges(s, p.id)],
        "accounting_rule": p.accounting_rule,
        "gl_mappings": product_mapping(s, "loan", p.id) if p.accounting_rule != "none" else {},
        "active": p.active,
    }
