"""What every savings command shares: loading under lock, the checks on dates and amounts, and recording a
transaction together with its journal entry."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Select, func, literal_column, select, text
from sqlalchemy.orm import Session

from akiba.accounting import posting as ledger
from akiba.accounting.models import ProductGLMapping
from akiba.core.errors import DomainError, conflict, invalid, not_found
from akiba.core.money import ZERO, money_str
from akiba.platform.context import Principal
from akiba.platform.models import TenantSetting
from akiba.platform.provisioning import business_date
from akiba.savings.interest import InterestSettings, RateTier
from akiba.savings.models import CREDIT_TYPES, INTEREST_TYPES, SavingsAccount, SavingsProduct, SavingsTransaction
from akiba.savings.postings import legs_for

SOURCE = "savings_transaction"


def lock_account(s: Session, account_id: int) -> SavingsAccount:
    """The account row under FOR UPDATE: every command that changes a balance serialises on it."""
    account = s.execute(
        select(SavingsAccount).where(SavingsAccount.id == account_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if account is None:
        raise not_found("savings-account", account_id)
    return account


@dataclass(frozen=True)
class Locked:
    """An account under lock with what a money movement needs, read in the same round trip."""

    account: SavingsAccount
    product: SavingsProduct
    business_date: date
    mapping: dict[str, int]
    next_id: int | None  # the id a single movement's transaction will take (its journal entry names it as source)


_MAPPING = (
    select(func.coalesce(func.jsonb_object_agg(ProductGLMapping.movement, ProductGLMapping.gl_account_id),
                         literal_column("'{}'::jsonb")))
    .where(ProductGLMapping.product_type == "savings", ProductGLMapping.product_id == SavingsAccount.product_id)
    .correlate(SavingsAccount).scalar_subquery()
)
_NEXT_ID = func.nextval(func.pg_get_serial_sequence("savings_transactions", "id"))


def _locking(*columns: Any) -> Select[Any]:
    """Accounts under lock, in id order (no deadlock between movements), with their product, the business date
    and the product's GL mapping."""
    return (select(SavingsAccount, SavingsProduct, TenantSetting.business_date, _MAPPING, *columns)
            .join(SavingsProduct, SavingsProduct.id == SavingsAccount.product_id)
            .join(TenantSetting, TenantSetting.id == 1)
            .order_by(SavingsAccount.id)
            .with_for_update(of=SavingsAccount)
            .execution_options(populate_existing=True))


def _locked(row: Any) -> Locked:
    return Locked(row[0], row[1], row[2], {k: int(v) for k, v in row[3].items()},
                  int(row[4]) if len(row) > 4 else None)


def lock_for_movement(s: Session, account_id: int) -> Locked:
    """One query for a single movement: the account locked with what it needs, and its transaction id reserved."""
    row = s.execute(_locking(_NEXT_ID).where(SavingsAccount.id == account_id)).one_or_none()
    if row is None:
        raise not_found("savings-account", account_id)
    return _locked(row)


def lock_for_movements(s: Session, account_ids: Iterable[int]) -> dict[int, Locked]:
    """One query for many movements: the accounts found, locked in id order (a missing id is simply absent)."""
    return {row[0].id: _locked(row) for row in s.execute(_locking().where(SavingsAccount.id.in_(set(account_ids))))}


def lock_accounts_in_order(s: Session, ids: list[int]) -> dict[int, SavingsAccount]:
    """Lock several accounts one by one in id order, so two commands on the same pair never deadlock."""
    return {account_id: lock_account(s, account_id) for account_id in sorted(set(ids))}


def get_account(s: Session, account_id: int) -> SavingsAccount:
    account = s.get(SavingsAccount, account_id)
    if account is None:
        raise not_found("savings-account", account_id)
    return account


def product_of(s: Session, account: SavingsAccount) -> SavingsProduct:
    product = s.get(SavingsProduct, account.product_id)
    assert product is not None, "an account's product cannot be deleted"
    return product


def require_status(account: SavingsAccount, *statuses: str) -> None:
    if account.status not in statuses:
        raise conflict(f"savings-account-not-{statuses[0]}",
                       f"savings account {account.id} is {account.status}; this needs {' or '.join(statuses)}")


def check_amount_digits(amount: Decimal, account: SavingsAccount, field: str = "amount") -> None:
    if amount != amount.quantize(Decimal(1).scaleb(-account.digits)):
        raise invalid(field, f"{account.currency} amounts have at most {account.digits} decimal places")


def check_transaction_date(s: Session, account: SavingsAccount, day: date, field: str = "transaction_date",
                           today: date | None = None) -> None:
    """Not before activation, not after the tenant's business date."""
    if account.activated_on is None or day < account.activated_on:
        raise invalid(field, f"is before the account's activation on {account.activated_on}")
    today = today or business_date(s)
    if day > today:
        raise invalid(field, f"is after the business date {today}")


def available_balance(account: SavingsAccount, product: SavingsProduct) -> Decimal:
    """What may be withdrawn now: balance less holds and the minimum required balance, plus any overdraft."""
    available = account.balance - account.on_hold - (product.min_required_balance or ZERO)
    if product.allow_overdraft:
        available += product.overdraft_limit or ZERO
    return available


def balance_floor(product: SavingsProduct) -> Decimal:
    """The lowest running balance any day may show (holds are a present-day restriction, not a history one)."""
    floor = product.min_required_balance or ZERO
    if product.allow_overdraft:
        floor -= product.overdraft_limit or ZERO
    return floor


def signed(tx: SavingsTransaction) -> Decimal:
    return tx.amount if tx.is_credit else -tx.amount


def lowest_running_balance_from(s: Session, account_id: int, day: date) -> Decimal | None:
    """The lowest running balance on or after ``day`` (ordering by date, then id), after the pending changes."""
    s.flush()
    value = s.scalar(text(
        "SELECT min(rb) FROM ("
        "  SELECT transaction_date, sum(CASE WHEN is_credit THEN amount ELSE -amount END)"
        "         OVER (ORDER BY transaction_date, id) AS rb"
        "  FROM savings_transactions WHERE account_id = :a AND NOT reversed) x "
        "WHERE transaction_date >= :d"), {"a": account_id, "d": day})
    return None if value is None else Decimal(value)


def check_history_floor(s: Session, account: SavingsAccount, product: SavingsProduct, day: date) -> None:
    """A back-dated debit (or the reversal of a credit) must not take any later running balance below the floor."""
    lowest = lowest_running_balance_from(s, account.id, day)
    if lowest is not None and lowest < balance_floor(product):
        raise DomainError("insufficient-funds",
                          f"the balance of account {account.id} would fall to {money_str(lowest, account.digits)} "
                          f"on or after {day}", status=409)


def note_back_dating(account: SavingsAccount, day: date) -> None:
    """A change dated inside an already posted interest period makes the next posting recompute from activation."""
    posted_to, recompute_from = account.last_interest_posted_to, account.interest_recompute_from
    if posted_to is not None and day <= posted_to and (recompute_from is None or day < recompute_from):
        account.interest_recompute_from = day


def record(
    s: Session,
    account: SavingsAccount,
    product: SavingsProduct,
    who: Principal | None,
    tx_type: str,
    day: date,
    amount: Decimal,
    *,
    description: str = "",
    transfer_id: int | None = None,
    interest_period_end: date | None = None,
    mapping: dict[str, int] | None = None,
    tx_id: int | None = None,
) -> SavingsTransaction:
    """Insert one transaction, move the account balance and post its journal entry, all in this transaction.

    The journal entry goes last: its insert updates the day's GL balance rows that every movement of the office
    shares, and their row locks are held until commit, so everything else is written before. The entry names the
    transaction as its source (``source="savings_transaction"``, ``source_id``); ``tx_id`` reserved beforehand
    saves the round trip that would learn the id."""
    tx = SavingsTransaction(
        id=tx_id, account_id=account.id, type=tx_type, transaction_date=day, amount=amount,
        is_credit=tx_type in CREDIT_TYPES, interest_period_end=interest_period_end, transfer_id=transfer_id,
        reversed=False, description=description, created_by=who.user_id if who else None,
    )
    s.add(tx)
    if tx_id is None:
        s.flush()
    account.balance += signed(tx)
    if tx_type not in INTEREST_TYPES:
        note_back_dating(account, day)
        if account.last_transaction_on is None or day > account.last_transaction_on:
            account.last_transaction_on = day
            account.sub_status = None  # a customer transaction wakes an inactive or dormant account
    if product.accounting_rule != "none":
        gl = mapping if mapping is not None else ledger.product_mapping(s, "savings", product.id)
        legs = [ledger.Leg(leg.gl_account_id, leg.side, leg.amount) for leg in legs_for(tx_type, amount, gl)]
        entry_id = ledger.post_entry(
            s, office_id=account.office_id, currency=account.currency, transaction_date=day, source=SOURCE,
            source_id=tx.id, legs=legs, reference=account.account_no, description=description or tx_type,
            created_by=who.user_id if who else None)
        setattr(tx, "posted_entry_id", entry_id)  # noqa: B010  # for the answer only, not a column: no UPDATE
    return tx


class InterestTerms(Protocol):
    """The interest columns of an account: an ORM account or a Core row of the batch."""

    annual_interest_rate: Decimal
    interest_calculation: str
    compounding: str
    posting: str
    days_in_year: int
    min_balance_for_interest: Decimal | None
    rate_tiers: list[dict[str, Any]]
    digits: int
    rounding: str
    overdraft_interest_rate: Decimal | None


def interest_settings(account: InterestTerms) -> InterestSettings:
    """The engine's settings of an account; accounts of one product share one (immutable) settings object."""
    tiers = tuple((str(t["min_balance"]), str(t["annual_rate"])) for t in account.rate_tiers)
    return _settings(account.annual_interest_rate, account.interest_calculation, account.compounding,
                     account.posting, account.days_in_year, account.min_balance_for_interest, tiers, account.digits,
                     account.rounding, account.overdraft_interest_rate)


@lru_cache(maxsize=1024)
def _settings(rate: Decimal, calculation: str, compounding: str, posting: str, days_in_year: int,
              min_balance: Decimal | None, tiers: tuple[tuple[str, str], ...], digits: int,
              rounding: str, overdraft_rate: Decimal | None) -> InterestSettings:
    return InterestSettings(
        annual_rate=rate,
        calculation=calculation,  # type: ignore[arg-type]  # the table's check constraint keeps it to the choices
        compounding=compounding,  # type: ignore[arg-type]
        posting=posting,  # type: ignore[arg-type]
        days_in_year=days_in_year,
        min_balance_for_interest=min_balance,
        rate_tiers=tuple(RateTier(Decimal(low), Decimal(rate)) for low, rate in tiers),
        digits=digits,
        rounding=rounding,
        overdraft_rate=overdraft_rate,
    )


def account_summary(account: SavingsAccount, product: SavingsProduct) -> dict[str, Any]:
    d = account.digits
    return {
        "id": account.id, "account_no": account.account_no, "external_id": account.external_id,
        "client_id": account.client_id, "group_id": account.group_id, "office_id": account.office_id,
        "product_id": account.product_id, "product_name": product.name, "currency": account.currency,
        "status": account.status, "sub_status": account.sub_status,
        "submitted_on": account.submitted_on, "approved_on": account.approved_on,
        "rejected_on": account.rejected_on, "activated_on": account.activated_on, "closed_on": account.closed_on,
        "annual_interest_rate": format(account.annual_interest_rate.normalize(), "f"),
        "interest_calculation": account.interest_calculation, "compounding": account.compounding,
        "posting": account.posting, "days_in_year": account.days_in_year,
        "overdraft_interest_rate": None if account.overdraft_interest_rate is None
        else format(account.overdraft_interest_rate.normalize(), "f"),
        "balance": money_str(account.balance, d),
        "available_balance": money_str(max(available_balance(account, product), ZERO)
                                       if account.status == "active" else ZERO, d),
        "on_hold": money_str(account.on_hold, d),
        "debit_blocked": account.debit_blocked, "credit_blocked": account.credit_blocked,
        "lock_in_until": account.lock_in_until, "last_interest_posted_to": account.last_interest_posted_to,
    }


def transaction_view(tx: SavingsTransaction, digits: int, entry_id: int | None = None) -> dict[str, Any]:
    """``entry_id``: the transaction's journal entry when the caller looked it up (see ``record``)."""
    entry_id = entry_id or tx.journal_entry_id or getattr(tx, "posted_entry_id", None)
    return {
        "id": tx.id, "account_id": tx.account_id, "type": tx.type, "transaction_date": tx.transaction_date,
        "amount": money_str(tx.amount, digits), "direction": "credit" if tx.is_credit else "debit",
        "interest_period_end": tx.interest_period_end, "transfer_id": tx.transfer_id, "reversed": tx.reversed,
        "reversed_on": tx.reversed_on, "journal_entry_id": entry_id, "description": tx.description,
    }
