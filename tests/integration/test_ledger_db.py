"""The database itself keeps the ledger honest: raw SQL cannot unbalance, edit, delete or back-date postings."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from akiba.accounting.posting import (
    Leg,
    default_mapping,
    financial_activity_account,
    gl_account_id,
    post_entry,
    product_mapping,
    reverse_entries_for_source,
    reverse_entry,
    set_product_mappings,
)
from akiba.accounting.queries import account_totals
from akiba.accounting.statements import balance_sheet, trial_balance
from akiba.core.errors import DomainError
from akiba.platform.db import commit
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

D = Decimal


@pytest.fixture
def office_id(head_office: dict[str, Any]) -> int:
    return int(head_office["id"])


def _gl(s: Session, code: str) -> int:
    return gl_account_id(s, code)


def _post(s: Session, office_id: int, amount: str = "100.00", when: date = date(2024, 1, 10),
          source: str = "manual", source_id: int | None = None) -> int:
    cash, portfolio = _gl(s, "1110"), _gl(s, "1210")
    return post_entry(s, office_id=office_id, currency="USD", transaction_date=when, source=source,
                      source_id=source_id, legs=[Leg(portfolio, "debit", D(amount)), Leg(cash, "credit", D(amount))])


def _balance(s: Session, code: str) -> tuple[Decimal, Decimal]:
    row = s.execute(text("SELECT coalesce(sum(b.debit), 0), coalesce(sum(b.credit), 0) FROM gl_daily_balances b "
                         "JOIN gl_accounts a ON a.id = b.gl_account_id WHERE a.gl_code = :c"), {"c": code}).one()
    return row[0], row[1]


def test_post_entry_writes_lines_and_daily_balances(runtime: Runtime, tenant: TenantInfo, office_id: int) -> None:
    with runtime.session(tenant) as s:
        entry = _post(s, office_id, "250.50")
        _post(s, office_id, "49.50")
        commit(s)
    with runtime.session(tenant) as s:
        lines = s.execute(text("SELECT side, amount FROM journal_lines WHERE entry_id = :e ORDER BY side"),
                          {"e": entry}).all()
        assert [(r.side, r.amount) for r in lines] == [("credit", D("250.50")), ("debit", D("250.50"))]
        assert _balance(s, "1210") == (D("300.00"), D("0"))
        assert _balance(s, "1110") == (D("0"), D("300.00"))


def test_raw_sql_unbalanced_entry_is_refused_at_commit(runtime: Runtime, tenant: TenantInfo, office_id: int) -> None:
    with runtime.session(tenant) as s:
        entry = s.execute(text("INSERT INTO journal_entries (office_id, currency, transaction_date, source) "
                               "VALUES (:o, 'USD', '2024-01-05', 'manual') RETURNING id"), {"o": office_id}).scalar()
        s.execute(text("INSERT INTO journal_lines (entry_id, transaction_date, gl_account_id, office_id, currency, "
                       "side, amount) VALUES (:e, '2024-01-05', :g, :o, 'USD', 'debit', 10)"),
                  {"e": entry, "g": _gl(s, "1110"), "o": office_id})
        with pytest.raises(DomainError, match="does not balance") as refused:
            commit(s)
        assert refused.value.type == "journal-entry-unbalanced"
    with runtime.session(tenant) as s:
        assert s.scalar(text("SELECT count(*) FROM journal_lines")) == 0
        assert s.scalar(text("SELECT count(*) FROM gl_daily_balances")) == 0


def test_raw_sql_entry_unbalanced_in_one_currency_is_refused(runtime: Runtime, tenant: TenantInfo,
                                                             office_id: int) -> None:
    with runtime.session(tenant) as s:
        entry = s.execute(text("INSERT INTO journal_entries (office_id, currency, transaction_date, source) "
                               "VALUES (:o, 'USD', '2024-01-05', 'manual') RETURNING id"), {"o": office_id}).scalar()
        for side, currency in (("debit", "USD"), ("credit", "KES")):
            s.execute(text("INSERT INTO journal_lines (entry_id, transaction_date, gl_account_id, office_id, "
                           "currency, side, amount) VALUES (:e, '2024-01-05', :g, :o, :c, :side, 10)"),
                      {"e": entry, "g": _gl(s, "1110"), "o": office_id, "c": currency, "side": side})
        with pytest.raises(DomainError, match="does not balance in"):
            commit(s)


@pytest.mark.parametrize("statement", [
    "UPDATE journal_lines SET amount = amount + 1",
    "DELETE FROM journal_lines",
    "TRUNCATE journal_lines CASCADE",
    "UPDATE journal_entries SET description = 'x'",
    "DELETE FROM journal_entries",
])
def test_raw_sql_cannot_change_posted_lines(runtime: Runtime, tenant: TenantInfo, office_id: int,
                                            statement: str) -> None:
    with runtime.session(tenant) as s:
        _post(s, office_id)
        commit(s)
    with runtime.session(tenant) as s, pytest.raises(DBAPIError, match="never updated or deleted"):
        s.execute(text(statement))
    with runtime.session(tenant) as s:
        assert s.scalar(text("SELECT sum(amount) FROM journal_lines")) == D("200.00")


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_raw_sql_non_positive_amount_is_refused(runtime: Runtime, tenant: TenantInfo, office_id: int,
                                                amount: str) -> None:
    with runtime.session(tenant) as s:
        entry = s.execute(text("INSERT INTO journal_entries (office_id, currency, transaction_date, source) "
                               "VALUES (:o, 'USD', '2024-01-05', 'manual') RETURNING id"), {"o": office_id}).scalar()
        with pytest.raises(DBAPIError, match="amount_positive"):
            s.execute(text("INSERT INTO journal_lines (entry_id, transaction_date, gl_account_id, office_id, "
                           "currency, side, amount) VALUES (:e, '2024-01-05', :g, :o, 'USD', 'debit', :a)"),
                      {"e": entry, "g": _gl(s, "1110"), "o": office_id, "a": D(amount)})


def test_raw_sql_line_in_closed_period_is_refused(runtime: Runtime, tenant: TenantInfo, office_id: int) -> None:
    with runtime.session(tenant) as s:
        s.execute(text("INSERT INTO accounting_closures (office_id, closing_date) VALUES (:o, '2024-01-31')"),
                  {"o": office_id})
        commit(s)
    with runtime.session(tenant) as s:
        entry = s.execute(text("INSERT INTO journal_entries (office_id, currency, transaction_date, source) "
                               "VALUES (:o, 'USD', '2024-01-31', 'cob') RETURNING id"), {"o": office_id}).scalar()
        with pytest.raises(DBAPIError, match="is closed up to"):
            s.execute(text("INSERT INTO journal_lines (entry_id, transaction_date, gl_account_id, office_id, "
                           "currency, side, amount) VALUES (:e, '2024-01-31', :g, :o, 'USD', 'debit', 1), "
                           "(:e, '2024-01-31', :h, :o, 'USD', 'credit', 1)"),
                      {"e": entry, "g": _gl(s, "1110"), "h": _gl(s, "1210"), "o": office_id})


def test_raw_sql_line_dated_unlike_its_entry_is_refused(runtime: Runtime, tenant: TenantInfo, office_id: int) -> None:
    with runtime.session(tenant) as s:
        entry = s.execute(text("INSERT INTO journal_entries (office_id, currency, transaction_date, source) "
                               "VALUES (:o, 'USD', '2024-03-01', 'manual') RETURNING id"), {"o": office_id}).scalar()
        with pytest.raises(DBAPIError, match=r"journal entry [0-9]+ dated 2024-01-01 does not exist"):
            s.execute(text("INSERT INTO journal_lines (entry_id, transaction_date, gl_account_id, office_id, "
                           "currency, side, amount) VALUES (:e, '2024-01-01', :g, :o, 'USD', 'debit', 1)"),
                      {"e": entry, "g": _gl(s, "1110"), "o": office_id})


def _raw_entry(s: Session, office_id: int, when: str = "2024-01-05") -> int:
    entry = s.execute(text("INSERT INTO journal_entries (office_id, currency, transaction_date, source) "
                           "VALUES (:o, 'USD', :d, 'manual') RETURNING id"), {"o": office_id, "d": when})
    return int(entry.scalar_one())


def _raw_line(s: Session, entry: int, gl: int, office_id: int, side: str, amount: str,
              when: str = "2024-01-05") -> None:
    s.execute(text("INSERT INTO journal_lines (entry_id, transaction_date, gl_account_id, office_id, currency, side, "
                   "amount) VALUES (:e, :d, :g, :o, 'USD', :side, :a)"),
              {"e": entry, "d": when, "g": gl, "o": office_id, "side": side, "a": D(amount)})


@pytest.mark.parametrize(("missing", "message"), [("gl_account", "GL account 999999 does not exist"),
                                                  ("office", "office 999999 does not exist")])
def test_raw_sql_line_of_unknown_account_or_office_is_refused(runtime: Runtime, tenant: TenantInfo, office_id: int,
                                                              missing: str, message: str) -> None:
    with runtime.session(tenant) as s:
        entry = _raw_entry(s, office_id)
        gl = 999_999 if missing == "gl_account" else _gl(s, "1110")
        with pytest.raises(DBAPIError, match=message):
            _raw_line(s, entry, gl, 999_999 if missing == "office" else office_id, "debit", "1")


@pytest.mark.parametrize("table", ["gl_accounts", "offices"])
def test_raw_sql_cannot_delete_an_account_or_office_with_lines(runtime: Runtime, tenant: TenantInfo, office_id: int,
                                                               table: str) -> None:
    with runtime.session(tenant) as s:
        _post(s, office_id)
        commit(s)
    with runtime.session(tenant) as s, pytest.raises(DBAPIError, match="has journal lines"):
        target = _gl(s, "1210") if table == "gl_accounts" else office_id
        s.execute(text(f"DELETE FROM {table} WHERE id = :i"), {"i": target})  # noqa: S608  # a fixed table name


def test_raw_sql_lines_of_one_entry_over_several_statements_are_checked_together(
        runtime: Runtime, tenant: TenantInfo, office_id: int) -> None:
    with runtime.session(tenant) as s:
        balanced = _raw_entry(s, office_id)
        _raw_line(s, balanced, _gl(s, "1210"), office_id, "debit", "7")
        _raw_line(s, balanced, _gl(s, "1110"), office_id, "credit", "7")
        unbalanced = _raw_entry(s, office_id)
        _raw_line(s, unbalanced, _gl(s, "1210"), office_id, "debit", "5")
        _raw_line(s, unbalanced, _gl(s, "1110"), office_id, "credit", "5")
        _raw_line(s, unbalanced, _gl(s, "1110"), office_id, "credit", "1")  # only the last line unbalances it
        with pytest.raises(DomainError, match=f"journal entry {unbalanced} does not balance"):
            commit(s)


def test_a_line_added_to_a_committed_entry_is_checked_with_the_whole_entry(
        runtime: Runtime, tenant: TenantInfo, office_id: int) -> None:
    with runtime.session(tenant) as s:
        entry = _post(s, office_id)
        commit(s)
    with runtime.session(tenant) as s:
        _raw_line(s, entry, _gl(s, "1110"), office_id, "credit", "1", when="2024-01-10")
        with pytest.raises(DomainError, match=f"journal entry {entry} does not balance"):
            commit(s)


@pytest.mark.parametrize("savepoint_kept", [False, True])
def test_the_balance_check_follows_savepoints(runtime: Runtime, tenant: TenantInfo, office_id: int,
                                              savepoint_kept: bool) -> None:
    with runtime.session(tenant) as s:
        entry = _raw_entry(s, office_id)
        _raw_line(s, entry, _gl(s, "1210"), office_id, "debit", "3")
        _raw_line(s, entry, _gl(s, "1110"), office_id, "credit", "3")
        savepoint = s.begin_nested()
        _raw_line(s, entry, _gl(s, "1110"), office_id, "credit", "2")  # unbalances the entry, in the savepoint
        if savepoint_kept:
            savepoint.commit()
            with pytest.raises(DomainError, match="does not balance"):
                commit(s)
            return
        savepoint.rollback()
        commit(s)
    with runtime.session(tenant) as s:
        assert s.scalar(text("SELECT count(*) FROM journal_lines WHERE entry_id = :e"), {"e": entry}) == 2


def test_system_posting_into_closed_period_is_refused(runtime: Runtime, tenant: TenantInfo, office_id: int) -> None:
    with runtime.session(tenant) as s:
        s.execute(text("INSERT INTO accounting_closures (office_id, closing_date) VALUES (:o, '2024-01-31')"),
                  {"o": office_id})
        commit(s)
    with runtime.session(tenant) as s:
        for source in ("loan_transaction", "savings_transaction", "cob"):
            with pytest.raises(DomainError) as refused:
                _post(s, office_id, when=date(2024, 1, 31), source=source, source_id=7)
            assert refused.value.type == "accounting-period-closed"
        assert _post(s, office_id, when=date(2024, 2, 1), source="cob") > 0


def test_posting_service_refusals(runtime: Runtime, tenant: TenantInfo, office_id: int) -> None:
    with runtime.session(tenant) as s:
        cash, portfolio, header = _gl(s, "1110"), _gl(s, "1210"), _gl(s, "1000")
        s.execute(text("UPDATE gl_accounts SET enabled = false WHERE gl_code = '1120'"))
        disabled = _gl(s, "1120")
        cases = {
            "journal-entry-unbalanced": [Leg(cash, "debit", D("10")), Leg(portfolio, "credit", D("9.99"))],
            "gl-account-header": [Leg(header, "debit", D("10")), Leg(cash, "credit", D("10"))],
            "gl-account-disabled": [Leg(disabled, "debit", D("10")), Leg(cash, "credit", D("10"))],
            "gl-account-not-found": [Leg(999999, "debit", D("10")), Leg(cash, "credit", D("10"))],
            "validation-error": [Leg(cash, "debit", D("-10")), Leg(portfolio, "credit", D("-10"))],
        }
        for slug, legs in cases.items():
            with pytest.raises(DomainError) as refused:
                post_entry(s, office_id=office_id, currency="USD", transaction_date=date(2024, 1, 1),
                           source="manual", source_id=None, legs=legs)
            assert refused.value.type == slug
        with pytest.raises(DomainError):
            post_entry(s, office_id=office_id, currency="USD", transaction_date=date(2024, 1, 1), source="manual",
                       source_id=None, legs=[Leg(cash, "debit", D("0"))])
        # Zero legs are skipped, the rest posts.
        entry = post_entry(s, office_id=office_id, currency="USD", transaction_date=date(2024, 1, 1),
                           source="manual", source_id=None,
                           legs=[Leg(cash, "debit", D("5")), Leg(portfolio, "credit", D("5")),
                                 Leg(_gl(s, "4100"), "credit", D("0"))])
        assert s.scalar(text("SELECT count(*) FROM journal_lines WHERE entry_id = :e"), {"e": entry}) == 2


def test_reversal_mirrors_and_is_once_only(runtime: Runtime, tenant: TenantInfo, office_id: int) -> None:
    with runtime.session(tenant) as s:
        first = _post(s, office_id, "40", source="loan_transaction", source_id=11)
        second = _post(s, office_id, "2", source="loan_transaction", source_id=11)
        _post(s, office_id, "7", source="loan_transaction", source_id=12)
        reversal = reverse_entry(s, first, reason="typo")
        with pytest.raises(DomainError) as again:
            reverse_entry(s, first)
        assert again.value.type == "journal-entry-already-reversed"
        assert reverse_entries_for_source(s, "loan_transaction", 11) != [reversal]
        assert reverse_entries_for_source(s, "loan_transaction", 11) == []
        commit(s)
    with runtime.session(tenant) as s:
        assert _balance(s, "1210") == (D("49"), D("42"))
        sides = s.execute(text("SELECT side FROM journal_lines WHERE entry_id = :e ORDER BY id"), {"e": reversal})
        assert [r.side for r in sides] == ["credit", "debit"]
        assert s.scalar(text("SELECT reversal_of FROM journal_entries WHERE id = :e"), {"e": reversal}) == first
        assert s.scalar(text("SELECT count(*) FROM journal_entries WHERE reversal_of = :e"), {"e": second}) == 1


def test_product_mappings_and_defaults(runtime: Runtime, tenant: TenantInfo) -> None:
    with runtime.session(tenant) as s:
        defaults = default_mapping(s, "loan", "accrual_periodic")
        assert defaults["loan_portfolio"] == _gl(s, "1210")
        assert defaults["interest_receivable"] == _gl(s, "1220")
        assert "interest_receivable" not in default_mapping(s, "loan", "cash")
        assert default_mapping(s, "savings", "none") == {}
        set_product_mappings(s, "loan", 5, defaults)
        set_product_mappings(s, "loan", 5, {"fund_source": _gl(s, "1120")})
        mapping = product_mapping(s, "loan", 5)
        assert mapping["fund_source"] == _gl(s, "1120") and mapping["interest_income"] == _gl(s, "4100")
        with pytest.raises(DomainError):
            set_product_mappings(s, "loan", 5, {"no_such_movement": _gl(s, "1120")})
        with pytest.raises(DomainError):
            set_product_mappings(s, "loan", 5, {"fund_source": _gl(s, "1100")})
        assert financial_activity_account(s, "opening_balance_contra") == _gl(s, "3300")


# --- invariants under any sequence of valid postings and reversals ----------------------------------------------

_CODES = ("1110", "1210", "2100", "3100", "4100", "5100")
_step = st.one_of(
    st.tuples(st.just("post"), st.sampled_from(("USD", "UGX")), st.sampled_from(_CODES), st.sampled_from(_CODES),
              st.decimals(min_value=D("0.01"), max_value=D("99999"), places=2),
              st.integers(min_value=0, max_value=60)),
    st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=100)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_step, min_size=1, max_size=12))
def test_any_postings_and_reversals_keep_the_ledger_consistent(runtime: Runtime, tenant: TenantInfo,
                                                               office_id: int, steps: list[tuple[Any, ...]]) -> None:
    with runtime.session(tenant) as s:
        posted: list[int] = []
        for step in steps:
            if step[0] == "post":
                _, currency, dr, cr, amount, day = step
                posted.append(post_entry(s, office_id=office_id, currency=currency,
                                         transaction_date=date(2024, 1, 1) + timedelta(days=day),
                                         source="cob", source_id=None,
                                         legs=[Leg(_gl(s, dr), "debit", amount), Leg(_gl(s, cr), "credit", amount)]))
            elif posted:
                entry = posted[step[1] % len(posted)]
                if s.scalar(text("SELECT count(*) FROM journal_entries WHERE reversal_of = :e"), {"e": entry}) == 0:
                    reverse_entry(s, entry)
        s.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # the deferred balance check runs; then all rolls back
        for currency in ("USD", "UGX"):
            totals = account_totals(s, currency=currency, to=date(2024, 12, 31))
            tb = trial_balance(totals)
            assert tb.total_debit == tb.total_credit
            assert balance_sheet(totals, []).balanced
        by_lines: dict[str, Decimal] = dict(s.execute(text(
            "SELECT gl_account_id || currency, sum(CASE WHEN side = 'debit' THEN amount ELSE -amount END) "
            "FROM journal_lines GROUP BY gl_account_id, currency")).tuples().all())
        by_balances: dict[str, Decimal] = dict(s.execute(text(
            "SELECT gl_account_id || currency, sum(debit - credit) FROM gl_daily_balances "
            "GROUP BY gl_account_id, currency")).tuples().all())
        assert by_lines == by_balances
        s.rollback()


def test_post_entry_is_one_statement_and_a_refusal_leaves_the_transaction_usable(
        runtime: Runtime, tenant: TenantInfo, office_id: int) -> None:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    with runtime.session(tenant) as s:
        cash, portfolio = _gl(s, "1110"), _gl(s, "1210")
        s.execute(text("SELECT 1"))  # the transaction (and its search_path) is begun before counting
        engine = s.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            entry = post_entry(s, office_id=office_id, currency="USD", transaction_date=date(2024, 1, 5),
                               source="manual", source_id=None,
                               legs=[Leg(portfolio, "debit", D("12.34")), Leg(cash, "credit", D("12.34"))])
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(seen) == 1, seen
        with pytest.raises(DomainError) as refused:
            post_entry(s, office_id=999999, currency="USD", transaction_date=date(2024, 1, 5), source="manual",
                       source_id=None, legs=[Leg(portfolio, "debit", D("1")), Leg(cash, "credit", D("1"))])
        assert refused.value.type == "validation-error"
        commit(s)  # the refusal inserted nothing and did not fail the transaction
    with runtime.session(tenant) as s:
        assert s.scalar(text("SELECT count(*) FROM journal_entries")) == 1
        assert _balance(s, "1210") == (D("12.34"), D("0"))
        assert s.scalar(text("SELECT sum(amount) FROM journal_lines WHERE entry_id = :e"), {"e": entry}) == D("24.68")
        options = s.scalar(text("SELECT reloptions FROM pg_class WHERE oid = 'gl_daily_balances'::regclass"))
        assert "fillfactor=50" in options
