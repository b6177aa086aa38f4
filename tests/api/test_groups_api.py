"""Groups and centers through HTTP: lifecycle, members with history, leader, groups of a center."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api


@pytest.fixture
def office(api: Api, head_office: dict[str, Any]) -> dict[str, Any]:
    r = api.post("/api/v1/offices", {"name": "Eldoret", "opening_date": "2021-01-01", "parent_id": head_office["id"]})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def client_ids(api: Api, office_id: int, n: int, activation_date: str = "2022-01-10") -> list[int]:
    ids = []
    for i in range(n):
        r = api.post("/api/v1/clients", {"office_id": office_id, "first_name": f"Member{i}", "last_name": "Chebet",
                                         "activation_date": activation_date})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def new_group(api: Api, office_id: int, **extra: Any) -> Any:
    return api.post("/api/v1/groups", {"office_id": office_id, "name": "Tumaini", "activation_date": "2022-02-01",
                                       **extra})


def fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json().get("errors", [])}


def test_group_with_members_and_leader(api: Api, office: dict[str, Any]) -> None:
    a, b, c = client_ids(api, office["id"], 3)
    r = new_group(api, office["id"], client_ids=[a, b], leader_client_id=b, external_id="G-1")
    assert r.status_code == 201, r.text
    group = r.json()
    assert (group["status"], group["member_ids"], group["leader_client_id"]) == ("active", [a, b], b)
    added = api.post(f"/api/v1/groups/{group['id']}/members", {"client_ids": [c], "joined_on": "2022-03-01"})
    assert added.status_code == 201 and added.json()["member_ids"] == [a, b, c]
    dup = api.post(f"/api/v1/groups/{group['id']}/members", {"client_ids": [c]})
    assert dup.status_code == 409
    assert api.put(f"/api/v1/groups/{group['id']}/leader", {"client_id": c}).json()["leader_client_id"] == c


def test_membership_history_keeps_leavers(api: Api, office: dict[str, Any]) -> None:
    a, b = client_ids(api, office["id"], 2)
    gid = new_group(api, office["id"], client_ids=[a, b], leader_client_id=a).json()["id"]
    early = api.post(f"/api/v1/groups/{gid}/members/remove", {"client_id": a, "left_on": "2022-01-15"})
    assert early.status_code == 422 and fields(early) == {"left_on"}
    left = api.post(f"/api/v1/groups/{gid}/members/remove", {"client_id": a, "left_on": "2022-06-30"})
    assert left.status_code == 200
    assert left.json()["member_ids"] == [b]
    assert left.json()["leader_client_id"] is None  # a leader who leaves stops leading
    not_member = api.post(f"/api/v1/groups/{gid}/members/remove", {"client_id": a})
    assert not_member.status_code == 422 and fields(not_member) == {"client_id"}
    rejoined = api.post(f"/api/v1/groups/{gid}/members", {"client_ids": [a], "joined_on": "2022-09-01"})
    assert rejoined.status_code == 201
    history = api.get(f"/api/v1/groups/{gid}/members/history").json()
    assert [(h["member_id"], h["joined_on"], h["left_on"]) for h in history] == [
        (a, "2022-02-01", "2022-06-30"), (b, "2022-02-01", None), (a, "2022-09-01", None)]
    memberships = api.get(f"/api/v1/clients/{a}/summary").json()["memberships"]
    assert [(m["joined_on"], m["left_on"]) for m in memberships] == [("2022-02-01", "2022-06-30"),
                                                                     ("2022-09-01", None)]


def test_members_must_belong_to_the_office_and_be_open(api: Api, office: dict[str, Any],
                                                       head_office: dict[str, Any]) -> None:
    (outsider,) = client_ids(api, head_office["id"], 1)
    r = new_group(api, office["id"], client_ids=[outsider])
    assert r.status_code == 422 and fields(r) == {"client_ids"}
    (member,) = client_ids(api, office["id"], 1)
    api.post(f"/api/v1/clients/{member}/close", {"closed_on": "2022-05-01", "reason": "left the area"})
    closed = new_group(api, office["id"], client_ids=[member])
    assert closed.status_code == 422 and fields(closed) == {"client_ids"}
    assert api.get("/api/v1/groups").json()["items"] == []


def test_group_bad_input_names_the_field(api: Api, office: dict[str, Any]) -> None:
    assert fields(new_group(api, 9999)) == {"office_id"}
    assert fields(new_group(api, office["id"], activation_date="2020-06-01")) == {"activation_date"}
    (a,) = client_ids(api, office["id"], 1)
    assert fields(new_group(api, office["id"], client_ids=[], leader_client_id=a)) == {"leader_client_id"}
    assert new_group(api, office["id"]).status_code == 201
    same_name = new_group(api, office["id"])
    assert same_name.status_code == 409 and fields(same_name) == {"name"}


def test_group_lifecycle(api: Api, office: dict[str, Any]) -> None:
    (a,) = client_ids(api, office["id"], 1)
    group = new_group(api, office["id"], activate=False, submitted_on="2022-01-20", client_ids=[a]).json()
    assert group["status"] == "pending"
    gid = group["id"]
    assert api.post(f"/api/v1/groups/{gid}/activate", {"activation_date": "2022-01-19"}).status_code == 422
    assert api.post(f"/api/v1/groups/{gid}/activate", {"activation_date": "2022-02-01"}).json()["status"] == "active"
    again = api.post(f"/api/v1/groups/{gid}/activate", {"activation_date": "2022-02-02"})
    assert again.status_code == 409 and again.json()["type"] == "/problems/illegal-group-transition"
    with_members = api.post(f"/api/v1/groups/{gid}/close", {"closed_on": "2022-12-31", "reason": "dissolved"})
    assert with_members.status_code == 409 and with_members.json()["type"] == "/problems/group-has-active-members"
    api.post(f"/api/v1/groups/{gid}/members/remove", {"client_id": a, "left_on": "2022-12-30"})
    closed = api.post(f"/api/v1/groups/{gid}/close", {"closed_on": "2022-12-31", "reason": "dissolved"})
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["closed_on"]) == ("closed", "2022-12-31")
    assert api.post(f"/api/v1/groups/{gid}/members", {"client_ids": [a]}).status_code == 409
    assert api.post(f"/api/v1/groups/{gid}/close", {"closed_on": "2023-01-01", "reason": "x"}).status_code == 409


def test_center_holds_groups_with_history(api: Api, office: dict[str, Any]) -> None:
    # Two pending groups, submitted before the center exists.
    g1 = new_group(api, office["id"], name="Amani", activation_date=None, submitted_on="2022-01-01").json()["id"]
    g2 = new_group(api, office["id"], name="Baraka", activation_date=None, submitted_on="2022-01-01").json()["id"]
    r = api.post("/api/v1/centers", {"office_id": office["id"], "name": "Kapsoya Center",
                                     "activation_date": "2022-01-15", "group_ids": [g1]})
    assert r.status_code == 201, r.text
    center = r.json()
    assert (center["level"], center["status"], center["group_ids"]) == ("center", "active", [g1])
    assert api.get(f"/api/v1/groups/{g1}").json()["center_id"] == center["id"]
    early = api.post(f"/api/v1/groups/{g1}/activate", {"activation_date": "2022-01-14"})
    assert early.status_code == 422 and fields(early) == {"activation_date"}  # before its center's activation
    assert api.post(f"/api/v1/groups/{g1}/activate", {"activation_date": "2022-02-01"}).status_code == 200
    added = api.post(f"/api/v1/centers/{center['id']}/groups", {"group_ids": [g2], "joined_on": "2022-03-01"})
    assert added.status_code == 201 and added.json()["group_ids"] == [g1, g2]
    twice = api.post("/api/v1/centers", {"office_id": office["id"], "name": "Other", "group_ids": [g2],
                                         "activation_date": "2022-01-15"})
    assert twice.status_code == 409  # a group is in one center at a time
    moved = api.post(f"/api/v1/centers/{center['id']}/groups/remove", {"group_id": g2, "left_on": "2022-08-01"})
    assert moved.json()["group_ids"] == [g1]
    assert api.get(f"/api/v1/groups/{g2}").json()["center_id"] is None
    history = api.get(f"/api/v1/centers/{center['id']}/groups/history").json()
    assert [(h["member_id"], h["joined_on"], h["left_on"]) for h in history] == [
        (g1, "2022-01-15", None), (g2, "2022-03-01", "2022-08-01")]
    busy = api.post(f"/api/v1/centers/{center['id']}/close", {"closed_on": "2022-12-31", "reason": "merged"})
    assert busy.status_code == 409 and busy.json()["type"] == "/problems/center-has-active-groups"
    listed = api.get("/api/v1/centers", office_id=office["id"]).json()["items"]
    assert [c["name"] for c in listed] == ["Kapsoya Center"]
    assert [g["name"] for g in api.get("/api/v1/groups", center_id=center["id"]).json()["items"]] == ["Amani"]


def test_group_search_and_pagination(api: Api, office: dict[str, Any]) -> None:
    for name in ("Upendo A", "Upendo B", "Neema"):
        assert new_group(api, office["id"], name=name).status_code == 201
    names = [g["name"] for g in api.get("/api/v1/groups", q="upe").json()["items"]]
    assert names == ["Upendo A", "Upendo B"]
    page1 = api.get("/api/v1/groups", limit=2).json()
    page2 = api.get("/api/v1/groups", limit=2, cursor=page1["next_cursor"]).json()
    assert [g["name"] for g in page2["items"]] == ["Neema"] and page2["next_cursor"] is None
