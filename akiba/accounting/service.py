"""Accounting commands: chart of accounts, manual journal entries, reversals, closures, opening balances, mappings.

Every money movement goes through `posting.post_entry`; this module adds the API's validation (naming the
field of each bad line) and the commands' bookkeeping (events, permissions through the command registry).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, exists, select, text
from sqlalchemy.orm import Session

from akiba.accounting import posting, queries
from akiba.accounting.currencies import currency_digits
from akiba.accounting.models import (
    AccountingClosure,
    FinancialActivityMapping,
    GLAccount,
    JournalLine,
    ProductGLMapping,
)
from akiba.accounting.posting import Leg
from akiba.accounting.schemas import (
    ActivityMappingSet,
    ClosureCreate,
    ClosureOut,
    GLAccountCreate,
    GLAccountOut,
    GLAccountUpdate,
    JournalEntryCreate,
    LineIn,
    OpeningBalancesCreate,
    ProductMappingSet,
    ReverseIn,
)
from akiba.core.errors import DomainError, FieldError, conflict, invalid, not_found
from akiba.platform.commands import command, emit
from akiba.platform.context import Principal
from akiba.platform.provisioning import business_date

# --- chart of accounts ------------------------------------------------------------------------------------------


def get_gl_account(s: Session, account_id: int, *, lock: bool = False) -> GLAccount:
    stmt = select(GLAccount).where(GLAccount.id == account_id)
    account = s.scalar(stmt.with_for_update() if lock else stmt)
    if account is None:
        raise not_found("gl-account", account_id)
    return account


def _has_lines(s: Session, account_id: int) -> bool:
    return bool(s.scalar(select(exists().where(JournalLine.gl_account_id == account_id))))


def _check_parent(s: Session, parent_id: int | None, account_type: str, own_id: int | None = None) -> None:
    if parent_id is None:
        return
    parent = s.get(GLAccount, parent_id)
    if parent is None:
        raise invalid("parent_id", f"GL account {parent_id} does not exist")
    if parent.usage != "header":
        raise invalid("parent_id", "a parent must be a header account")
    if parent.type != account_type:
        raise invalid("parent_id", f"the parent is an {parent.type} account, this one is {account_type}")
    if own_id is not None:
        ancestor: GLAccount | None = parent
        while ancestor is not None:  # charts are shallow: a handful of steps
            if ancestor.id == own_id:
                raise invalid("parent_id", "an account cannot sit under itself")
            ancestor = s.get(GLAccount, ancestor.parent_id) if ancestor.parent_id else None


@command("gl:create", resource="gl-account", payload=GLAccountCreate, status=201)
def create_gl_account(s: Session, _: Principal, data: GLAccountCreate, __: int | None) -> GLAccountOut:
    if s.scalar(select(GLAccount.id).where(GLAccount.gl_code == data.gl_code)) is not None:
        raise conflict("gl-code-taken", f"a GL account with code {data.gl_code!r} exists")
    _check_parent(s, data.parent_id, data.type)
    account = GLAccount(gl_code=data.gl_code, name=data.name, type=data.type, usage=data.usage,
                        parent_id=data.parent_id, tags=sorted(set(data.tags)), enabled=True,
                        manual_entries_allowed=data.manual_entries_allowed, description=data.description)
    s.add(account)
    s.flush()
    emit(s, "gl_account.created", "gl-account", account.id, {"gl_code": account.gl_code})
    return GLAccountOut.model_validate(account)


@command("gl:update", resource="gl-account", payload=GLAccountUpdate)
def update_gl_account(s: Session, _: Principal, data: GLAccountUpdate, account_id: int | None) -> GLAccountOut:
    assert account_id is not None
    account = get_gl_account(s, account_id, lock=True)
    fields = data.model_fields_set
    if "parent_id" in fields:
        _check_parent(s, data.parent_id, account.type, own_id=account.id)
        account.parent_id = data.parent_id
    if "usage" in fields and data.usage != account.usage:
        if data.usage is None:
            raise invalid("usage", "cannot be null")
        if data.usage == "header" and _has_lines(s, account.id):
            raise invalid("usage", "an account with postings cannot become a header")
        if data.usage == "detail" and s.scalar(select(GLAccount.id).where(GLAccount.parent_id == account.id)):
            raise invalid("usage", "an account with children must stay a header")
        account.usage = data.usage
    for name in ("name", "description", "manual_entries_allowed"):
        if name in fields:
            value = getattr(data, name)
            if value is None:
                raise invalid(name, "cannot be null")
            setattr(account, name, value)
    if "tags" in fields:
        account.tags = sorted(set(data.tags or []))
    emit(s, "gl_account.updated", "gl-account", account.id, {"fields": sorted(fields)})
    return GLAccountOut.model_validate(account)


def _set_enabled(s: Session, account_id: int | None, enabled: bool) -> GLAccountOut:
    assert account_id is not None
    account = get_gl_account(s, account_id, lock=True)
    account.enabled = enabled
    emit(s, "gl_account.enabled" if enabled else "gl_account.disabled", "gl-account", account.id, {})
    return GLAccountOut.model_validate(account)


@command("gl:disable", resource="gl-account", permission="gl:update")
def disable_gl_account(s: Session, _: Principal, __: None, account_id: int | None) -> GLAccountOut:
    return _set_enabled(s, account_id, False)


@command("gl:enable", resource="gl-account", permission="gl:update")
def enable_gl_account(s: Session, _: Principal, __: None, account_id: int | None) -> GLAccountOut:
    return _set_enabled(s, account_id, True)


@command("gl:delete", resource="gl-account")
def delete_gl_account(s: Session, _: Principal, __: None, account_id: int | None) -> dict[str, Any]:
    assert account_id is not None
    account = get_gl_account(s, account_id, lock=True)
    if _has_lines(s, account.id):
        raise conflict("gl-account-in-use", "an account with postings cannot be deleted; disable it")
    if s.scalar(select(GLAccount.id).where(GLAccount.parent_id == account.id).limit(1)):
        raise conflict("gl-account-in-use", "an account with child accounts cannot be deleted")
    mapped = s.scalar(select(exists().where(ProductGLMapping.gl_account_id == account.id))) or s.scalar(
        select(exists().where(FinancialActivityMapping.gl_account_id == account.id)))
    if mapped:
        raise conflict("gl-account-in-use", "the account is mapped to a product or a financial activity")
    s.delete(account)
    emit(s, "gl_account.deleted", "gl-account", account_id, {"gl_code": account.gl_code})
    return {"id": account_id, "deleted": True}


# --- journal entries ---------------------------------------------------------------------------------------------


def _accounts_by_code(s: Session, codes: Sequence[str]) -> dict[str, GLAccount]:
    return {a.gl_code: a for a in s.scalars(select(GLAccount).where(GLAccount.gl_code.in_(set(codes))))}


def _legs_from_lines(s: Session, lines: Sequence[LineIn], currency: str, manual: bool) -> list[Leg]:
    """Resolve gl_codes and check each line, naming the field of the first bad one."""
    accounts = _accounts_by_code(s, [ln.gl_code for ln in lines])
    digits = currency_digits(currency)
    legs = []
    for i, line in enumerate(lines):
        account = accounts.get(line.gl_code)
        field = f"lines.{i}.gl_code"
        if account is None:
            raise invalid(field, f"GL account {line.gl_code!r} does not exist")
        if account.usage != "detail":
            raise invalid(field, f"GL account {line.gl_code} is a header account")
        if not account.enabled:
            raise invalid(field, f"GL account {line.gl_code} is disabled")
        if manual and not account.manual_entries_allowed:
            raise invalid(field, f"GL account {line.gl_code} takes no manual entries")
        side = "debit" if line.debit is not None else "credit"
        amount = line.debit if line.debit is not None else line.credit
        assert amount is not None
        if amount != amount.quantize(Decimal(1).scaleb(-digits)):
            raise invalid(f"lines.{i}.{side}", f"{currency} amounts have at most {digits} decimal places")
        legs.append(Leg(account.id, side, amount))  # type: ignore[arg-type]  # side is one of the two literals
    return legs


def _check_entry_date(s: Session, when: date) -> None:
    if when > business_date(s):
        raise invalid("transaction_date", "is after the business date")


def _check_balanced(legs: Sequence[Leg]) -> None:
    debits = sum((leg.amount for leg in legs if leg.side == "debit"), Decimal(0))
    credits = sum((leg.amount for leg in legs if leg.side == "credit"), Decimal(0))
    if debits != credits:
        raise DomainError("journal-entry-unbalanced", f"debits {debits} do not equal credits {credits}", status=422,
                          title="Unbalanced journal entry",
                          errors=[FieldError("lines", "debits and credits must be equal")])


def _check_office(s: Session, office_id: int) -> None:
    if s.scalar(text("SELECT 1 FROM offices WHERE id = :o"), {"o": office_id}) is None:
        raise invalid("office_id", f"office {office_id} does not exist")


@command("journal:create", resource="journal-entry", payload=JournalEntryCreate, status=201)
def create_journal_entry(s: Session, who: Principal, data: JournalEntryCreate, _: int | None) -> dict[str, Any]:
    _check_office(s, data.office_id)
    _check_entry_date(s, data.transaction_date)
    legs = _legs_from_lines(s, data.lines, data.currency, manual=True)
    _check_balanced(legs)
    entry_id = posting.post_entry(s, office_id=data.office_id, currency=data.currency,
                                  transaction_date=data.transaction_date, source="manual", source_id=None, legs=legs,
                                  reference=data.reference, description=data.description, created_by=who.user_id)
    emit(s, "journal_entry.posted", "journal-entry", entry_id, {"source": "manual"})
    return queries.entry_view(s, entry_id)


@command("journal:reverse", resource="journal-entry", payload=ReverseIn, status=201)
def reverse_journal_entry(s: Session, who: Principal, data: ReverseIn, entry_id: int | None) -> dict[str, Any]:
    assert entry_id is not None
    if data.transaction_date is not None:
        _check_entry_date(s, data.transaction_date)
    reversal = posting.reverse_entry(s, entry_id, transaction_date=data.transaction_date, reason=data.reason,
                                     created_by=who.user_id)
    emit(s, "journal_entry.reversed", "journal-entry", entry_id, {"reversal_id": reversal})
    return queries.entry_view(s, reversal)


@command("journal:opening-balances", resource="journal-entry", payload=OpeningBalancesCreate,
         permission="journal:create", status=201)
def import_opening_balances(s: Session, who: Principal, data: OpeningBalancesCreate, _: int | None) -> dict[str, Any]:
    """One entry with the given balances; what does not balance goes to the opening-balance contra account."""
    _check_office(s, data.office_id)
    _check_entry_date(s, data.transaction_date)
    legs = _legs_from_lines(s, data.lines, data.currency, manual=False)
    difference = sum((leg.amount if leg.side == "debit" else -leg.amount for leg in legs), Decimal(0))
    if difference != 0:
        contra = posting.financial_activity_account(s, "opening_balance_contra")
        if contra in {leg.gl_account_id for leg in legs}:
            raise invalid("lines", "the opening-balance contra account is balanced automatically; leave it out")
        legs.append(Leg(contra, "credit" if difference > 0 else "debit", abs(difference)))
    entry_id = posting.post_entry(s, office_id=data.office_id, currency=data.currency,
                                  transaction_date=data.transaction_date, source="opening_balance", source_id=None,
                                  legs=legs, reference=data.reference, description="Opening balances",
                                  created_by=who.user_id)
    emit(s, "journal_entry.posted", "journal-entry", entry_id, {"source": "opening_balance"})
    return queries.entry_view(s, entry_id)


# --- closures ---------------------------------------------------------------------------------------------------


def _lock_office(s: Session, office_id: int) -> None:
    # FOR UPDATE conflicts with the KEY SHARE lock every posting takes on its office (see migration t0003), so a
    # closure waits for postings in flight and postings after it see it.
    found = s.scalar(text("SELECT id FROM offices WHERE id = :o FOR UPDATE"), {"o": office_id})
    if found is None:
        raise invalid("office_id", f"office {office_id} does not exist")


@command("accounting:close", resource="accounting-closure", payload=ClosureCreate, status=201)
def create_closure(s: Session, who: Principal, data: ClosureCreate, _: int | None) -> ClosureOut:
    _lock_office(s, data.office_id)
    if data.closing_date > business_date(s):
        raise invalid("closing_date", "cannot close a day after the business date")
    latest = posting.latest_closing_date(s, data.office_id)
    if latest is not None and data.closing_date <= latest:
        raise DomainError("closure-not-after-latest", f"the office is already closed up to {latest}", status=409,
                          errors=[FieldError("closing_date", f"must be after {latest}")])
    closure = AccountingClosure(office_id=data.office_id, closing_date=data.closing_date, comments=data.comments,
                                created_by=who.user_id)
    s.add(closure)
    s.flush()
    emit(s, "accounting_closure.created", "accounting-closure", closure.id,
         {"office_id": closure.office_id, "closing_date": closure.closing_date})
    return ClosureOut.model_validate(closure)


@command("accounting:reopen", resource="accounting-closure", permission="accounting:close")
def delete_latest_closure(s: Session, _: Principal, __: None, closure_id: int | None) -> ClosureOut:
    assert closure_id is not None
    closure = s.get(AccountingClosure, closure_id)
    if closure is None:
        raise not_found("accounting-closure", closure_id)
    _lock_office(s, closure.office_id)
    if posting.latest_closing_date(s, closure.office_id) != closure.closing_date:
        raise conflict("closure-not-latest", "only the office's latest closure can be undone")
    out = ClosureOut.model_validate(closure)
    s.execute(delete(AccountingClosure).where(AccountingClosure.id == closure_id))
    emit(s, "accounting_closure.deleted", "accounting-closure", closure_id,
         {"office_id": out.office_id, "closing_date": out.closing_date})
    return out


# --- GL mappings ------------------------------------------------------------------------------------------------


def _ids_for_codes(s: Session, mapping: dict[str, str]) -> dict[str, int]:
    accounts = _accounts_by_code(s, list(mapping.values()))
    out = {}
    for movement, code in mapping.items():
        if code not in accounts:
            raise invalid(f"mapping.{movement}", f"GL account {code!r} does not exist")
        out[movement] = accounts[code].id
    return out


def mapping_view(s: Session, mapping: dict[str, int]) -> dict[str, str]:
    codes = dict(s.execute(select(GLAccount.id, GLAccount.gl_code)
                           .where(GLAccount.id.in_(mapping.values()))).tuples().all())
    return {movement: codes[gl_id] for movement, gl_id in sorted(mapping.items())}


@command("gl:map-product", resource="product-gl-mapping", payload=ProductMappingSet, permission="gl:update")
def map_product(s: Session, _: Principal, data: ProductMappingSet, __: int | None) -> dict[str, Any]:
    posting.set_product_mappings(s, data.product_type, data.product_id, _ids_for_codes(s, data.mapping))
    return product_mapping_view(s, data.product_type, data.product_id)


def product_mapping_view(s: Session, product_type: str, product_id: int) -> dict[str, Any]:
    mapping = posting.product_mapping(s, product_type, product_id)
    return {"product_type": product_type, "product_id": product_id, "mapping": mapping_view(s, mapping)}


@command("gl:map-activity", resource="financial-activity-mapping", payload=ActivityMappingSet, permission="gl:update")
def map_activity(s: Session, _: Principal, data: ActivityMappingSet, __: int | None) -> dict[str, Any]:
    gl_id = _ids_for_codes(s, {"gl_code": data.gl_code})["gl_code"]
    posting.set_financial_activity(s, data.activity, gl_id)
    return {"activity": data.activity, "gl_code": data.gl_code}
