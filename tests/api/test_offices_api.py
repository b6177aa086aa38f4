"""Offices through HTTP: hierarchy, validation, idempotency."""

from __future__ import annotations

from typing import Any

from conftest import Api


def test_office_hierarchy(api: Api, head_office: dict[str, Any]) -> None:
    branch = api.post("/api/v1/offices", {"name": "Branch", "opening_date": "2021-01-01",
                                          "parent_id": head_office["id"]})
    assert branch.status_code == 201
    assert branch.json()["hierarchy"] == f"/{head_office['id']}/{branch.json()['id']}/"
    got = api.get(f"/api/v1/offices/{branch.json()['id']}")
    assert got.json()["parent_id"] == head_office["id"]


def test_second_head_office_is_refused_naming_the_field(api: Api, head_office: dict[str, Any]) -> None:
    r = api.post("/api/v1/offices", {"name": "Another", "opening_date": "2021-01-01"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "parent_id"
    assert [o["name"] for o in api.get("/api/v1/offices").json()["items"]] == ["Head Office"]


def test_bad_input_names_each_field(api: Api) -> None:
    r = api.post("/api/v1/offices", {"name": "", "opening_date": "not-a-date"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in r.json()["errors"]} == {"name", "opening_date"}


def test_idempotency_key_returns_first_answer(api: Api, head_office: dict[str, Any]) -> None:
    body = {"name": "Branch", "opening_date": "2021-01-01", "parent_id": head_office["id"]}
    first = api.post("/api/v1/offices", body, headers={"Idempotency-Key": "k-1"})
    second = api.post("/api/v1/offices", body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(api.get("/api/v1/offices").json()["items"]) == 2


def test_cursor_pagination(api: Api, head_office: dict[str, Any]) -> None:
    for i in range(3):
        api.post("/api/v1/offices", {"name": f"B{i}", "opening_date": "2021-01-01", "parent_id": head_office["id"]})
    page1 = api.get("/api/v1/offices", limit=2).json()
    page2 = api.get("/api/v1/offices", limit=2, cursor=page1["next_cursor"]).json()
    assert len(page1["items"]) == 2 and len(page2["items"]) == 2
    assert page2["next_cursor"] is None
