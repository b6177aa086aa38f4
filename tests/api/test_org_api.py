"""Staff, working days, holidays and code lists through HTTP; the due-date calendar as a pure function."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from conftest import Api, api_for
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from akiba.org.calendar import RULES, adjust_to_working_day, is_working_day
from akiba.org.service import due_date_adjuster
from akiba.platform.models import Role
from akiba.platform.provisioning import add_user
from akiba.platform.runtime import Runtime
from akiba.platform.tenancy import TenantInfo

MON_FRI = frozenset({1, 2, 3, 4, 5})
SAT, SUN, MON, FRI = date(2024, 6, 1), date(2024, 6, 2), date(2024, 6, 3), date(2024, 5, 31)


def fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json().get("errors", [])}


# --- the pure calendar ------------------------------------------------------------------------------------------


def test_weekend_moves_by_rule() -> None:
    assert adjust_to_working_day(SAT, MON_FRI, [], "next_working_day") == MON
    assert adjust_to_working_day(SUN, MON_FRI, [], "previous_working_day") == FRI
    assert adjust_to_working_day(SAT, MON_FRI, [], "same_day") == SAT
    assert adjust_to_working_day(SAT, MON_FRI, [], "next_repayment_meeting") == MON  # no meeting calendar given
    assert adjust_to_working_day(SAT, MON_FRI, [], "next_repayment_meeting",
                                 meeting_after=lambda d: d + timedelta(days=4)) == date(2024, 6, 5)
    assert adjust_to_working_day(MON, MON_FRI, [], "next_working_day") == MON


def test_holidays_move_due_dates() -> None:
    holiday = (date(2024, 6, 3), date(2024, 6, 4))  # Monday and Tuesday
    assert adjust_to_working_day(MON, MON_FRI, [holiday], "next_working_day") == date(2024, 6, 5)
    # A Saturday due date moves to Monday, which is a holiday, so on to Wednesday.
    assert adjust_to_working_day(SAT, MON_FRI, [holiday], "next_working_day") == date(2024, 6, 5)
    assert adjust_to_working_day(date(2024, 6, 4), MON_FRI, [holiday], "previous_working_day") == FRI
    rescheduled = (date(2024, 6, 3), date(2024, 6, 4), date(2024, 6, 7))
    assert adjust_to_working_day(MON, MON_FRI, [rescheduled], "next_working_day") == date(2024, 6, 7)
    # Holidays move dates even when non-working days stay where they are.
    assert adjust_to_working_day(MON, MON_FRI, [holiday], "same_day") == date(2024, 6, 5)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
       st.frozensets(st.integers(1, 7), min_size=1),
       st.sampled_from(["next_working_day", "previous_working_day"]))
def test_moved_dates_land_on_working_days_in_the_rule_direction(d: date, days: frozenset[int], rule: Any) -> None:
    holidays = [(d + timedelta(days=2), d + timedelta(days=5))]
    moved = adjust_to_working_day(d, days, holidays, rule)
    assert is_working_day(moved, days, holidays)
    assert (moved >= d) if rule == "next_working_day" else (moved <= d)
    # It moves to the nearest working day: every day it skipped was a non-working day or a holiday.
    step = timedelta(days=1 if moved >= d else -1)
    skipped = [d + step * i for i in range(abs((moved - d).days))]
    assert not any(is_working_day(x, days, holidays) for x in skipped)


def test_rules_are_the_contract_names() -> None:
    assert RULES == ("same_day", "next_working_day", "previous_working_day", "next_repayment_meeting")


# --- staff ------------------------------------------------------------------------------------------------------


def test_staff_create_update_and_list(api: Api, head_office: dict[str, Any]) -> None:
    r = api.post("/api/v1/staff", {"office_id": head_office["id"], "first_name": "Peter", "last_name": "Ouma",
                                   "is_loan_officer": True, "mobile_phone": "+254 722 000 111", "external_id": "S-1"})
    assert r.status_code == 201, r.text
    staff = r.json()
    assert (staff["display_name"], staff["mobile_phone"], staff["active"]) == ("Peter Ouma", "+254722000111", True)
    clerk = api.post("/api/v1/staff", {"office_id": head_office["id"], "first_name": "Mary", "last_name": "Akinyi"})
    assert clerk.json()["is_loan_officer"] is False
    updated = api.put(f"/api/v1/staff/{staff['id']}", {"last_name": "Otieno", "active": False})
    assert updated.status_code == 200 and updated.json()["display_name"] == "Peter Otieno"
    assert api.get(f"/api/v1/staff/{staff['id']}").json()["active"] is False
    officers = api.get("/api/v1/staff", loan_officers_only=True).json()["items"]
    assert [s["id"] for s in officers] == [staff["id"]]
    assert api.get("/api/v1/staff", active_only=True).json()["items"][0]["first_name"] == "Mary"


def test_staff_bad_input_names_the_field(api: Api, head_office: dict[str, Any]) -> None:
    base = {"office_id": head_office["id"], "first_name": "A", "last_name": "B"}
    assert fields(api.post("/api/v1/staff", {**base, "office_id": 999})) == {"office_id"}
    assert fields(api.post("/api/v1/staff", {**base, "mobile_phone": "12345"})) == {"mobile_phone"}
    assert fields(api.post("/api/v1/staff", {**base, "joined_on": "2019-01-01"})) == {"joined_on"}
    assert api.get("/api/v1/staff").json()["items"] == []
    assert api.get("/api/v1/staff/1").status_code == 404


# --- working days and holidays ----------------------------------------------------------------------------------


def test_working_days_default_and_update(api: Api) -> None:
    assert api.get("/api/v1/working-days").json() == {
        "weekdays": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"], "repayment_rule": "next_working_day"}
    r = api.put("/api/v1/working-days", {"weekdays": ["FR", "MO", "TU", "WE", "TH", "SA"],
                                         "repayment_rule": "previous_working_day"})
    assert r.status_code == 200
    assert r.json() == {"weekdays": ["MO", "TU", "WE", "TH", "FR", "SA"], "repayment_rule": "previous_working_day"}
    bad = api.put("/api/v1/working-days", {"weekdays": [], "repayment_rule": "sometimes"})
    assert bad.status_code == 422 and fields(bad) == {"weekdays", "repayment_rule"}


def test_holidays_and_the_due_date_adjuster(api: Api, head_office: dict[str, Any], runtime: Runtime,
                                            tenant: TenantInfo) -> None:
    api.put("/api/v1/working-days", {"weekdays": ["MO", "TU", "WE", "TH", "FR"], "repayment_rule": "next_working_day"})
    body = {"name": "Madaraka Day", "from_date": "2024-06-03", "to_date": "2024-06-03",
            "office_ids": [head_office["id"]]}
    r = api.post("/api/v1/holidays", body)
    assert r.status_code == 201, r.text
    holiday = r.json()
    assert (holiday["status"], holiday["office_ids"]) == ("pending", [head_office["id"]])
    with runtime.session(tenant) as s:
        adjust = due_date_adjuster(s)
        assert adjust(SAT) == MON  # a pending holiday moves nothing yet
    assert api.post(f"/api/v1/holidays/{holiday['id']}/activate").json()["status"] == "active"
    assert api.post(f"/api/v1/holidays/{holiday['id']}/activate").status_code == 409
    with runtime.session(tenant) as s:
        assert due_date_adjuster(s)(SAT) == date(2024, 6, 4)
        assert due_date_adjuster(s, office_id=head_office["id"])(MON) == date(2024, 6, 4)
        assert due_date_adjuster(s, office_id=head_office["id"] + 1)(MON) == MON  # another office's holiday
    listed = api.get("/api/v1/holidays", office_id=head_office["id"]).json()["items"]
    assert [h["name"] for h in listed] == ["Madaraka Day"]
    assert api.delete(f"/api/v1/holidays/{holiday['id']}").json()["status"] == "deleted"
    with runtime.session(tenant) as s:
        assert due_date_adjuster(s)(SAT) == MON


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"to_date": "2024-06-01"}, "to_date"),
        ({"repayments_rescheduled_to": "2024-06-04"}, "repayments_rescheduled_to"),
        ({"office_ids": [999]}, "office_ids"),
        ({"office_ids": []}, "office_ids"),
    ],
)
def test_holiday_bad_input(api: Api, head_office: dict[str, Any], extra: dict[str, Any], field: str) -> None:
    body = {"name": "Long weekend", "from_date": "2024-06-03", "to_date": "2024-06-05",
            "office_ids": [head_office["id"]], **extra}
    r = api.post("/api/v1/holidays", body)
    assert r.status_code == 422 and fields(r) == {field}
    assert api.get("/api/v1/holidays").json()["items"] == []


# --- codes ------------------------------------------------------------------------------------------------------


def test_seeded_codes_and_new_values(api: Api, head_office: dict[str, Any]) -> None:
    codes = {c["name"]: c for c in api.get("/api/v1/codes").json()["items"]}
    assert {"gender", "id_type", "client_classification"} <= set(codes)
    assert "national_id" in [v["value"] for v in codes["id_type"]["values"]]
    gender = codes["gender"]
    r = api.post(f"/api/v1/codes/{gender['id']}/values", {"value": "non_binary", "label": "Non-binary"})
    assert r.status_code == 201, r.text
    client = {"office_id": head_office["id"], "first_name": "Sam", "last_name": "Kip",
              "activation_date": "2021-01-01"}
    assert api.post("/api/v1/clients", {**client, "gender": "non_binary"}).status_code == 201
    assert api.post(f"/api/v1/codes/{gender['id']}/values", {"value": "non_binary", "label": "x"}).status_code == 409
    retired = api.put(f"/api/v1/codes/{gender['id']}/values/{r.json()['id']}", {"active": False})
    assert retired.status_code == 200 and retired.json()["active"] is False
    refused = api.post("/api/v1/clients", {**client, "gender": "non_binary"})
    assert refused.status_code == 422 and fields(refused) == {"gender"}
    custom = api.post("/api/v1/codes", {"name": "education_level"})
    assert custom.status_code == 201 and custom.json()["values"] == []
    assert api.post("/api/v1/codes", {"name": "education_level"}).status_code == 409
    assert fields(api.post("/api/v1/codes", {"name": "Has Spaces"})) == {"name"}
    assert api.get("/api/v1/codes", name="education_level").json()["items"][0]["system"] is False


def test_permissions_are_enforced(app_client: TestClient, runtime: Runtime, tenant: TenantInfo, api: Api,
                                  head_office: dict[str, Any]) -> None:
    with runtime.session(tenant) as s:
        role = Role(name="reader", description="reads org data", permissions=["staff:read", "codes:read"])
        s.add(role)
        s.flush()
        add_user(s, "reader", "Reader-pass-1234", role)
        s.commit()
    reader = api_for(app_client, tenant, "reader", "Reader-pass-1234")
    refused = reader.post("/api/v1/staff", {"office_id": head_office["id"], "first_name": "A", "last_name": "B"})
    assert refused.status_code == 403
    assert reader.put("/api/v1/working-days", {"weekdays": ["MO"], "repayment_rule": "same_day"}).status_code == 403
    assert reader.post("/api/v1/codes", {"name": "x"}).status_code == 403
    assert reader.get("/api/v1/staff").json()["items"] == []
    assert api.get("/api/v1/working-days").json()["weekdays"] == ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
