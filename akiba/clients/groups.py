"""Group and center commands: lifecycle, members (with history), leader, and the groups of a center."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from akiba.clients.models import CenterGroup, Client, Group, GroupMember
from akiba.clients.schemas import (
    ActivateIn,
    CenterCreate,
    CenterGroupLeaveIn,
    CenterGroupsIn,
    CloseIn,
    GroupCreate,
    GroupOut,
    GroupUpdate,
    HistoryOut,
    LeaderIn,
    MemberLeaveIn,
    MembersIn,
)
from akiba.clients.service import not_before, not_in_future, taken
from akiba.core.errors import DomainError, conflict, invalid, not_found
from akiba.org.service import ensure_loan_officer, ensure_office_open, ensure_office_open_on
from akiba.platform.commands import command, emit
from akiba.platform.context import Principal
from akiba.platform.provisioning import business_date


def get_group(s: Session, group_id: int, level: str, lock: bool = False) -> Group:
    stmt = select(Group).where(Group.id == group_id, Group.level == level)
    group = s.scalar(stmt.with_for_update() if lock else stmt)
    if group is None:
        raise not_found(level, group_id)
    return group


def current_member_ids(s: Session, group_id: int) -> list[int]:
    return list(s.scalars(select(GroupMember.client_id).where(GroupMember.group_id == group_id,
                                                              GroupMember.left_on.is_(None))
                          .order_by(GroupMember.client_id)))


def current_group_ids(s: Session, center_id: int) -> list[int]:
    return list(s.scalars(select(Group.id).where(Group.center_id == center_id).order_by(Group.id)))


def group_view(s: Session, group: Group, with_members: bool = True) -> GroupOut:
    out = GroupOut(id=group.id, level=group.level, office_id=group.office_id, staff_id=group.staff_id,
                   name=group.name, external_id=group.external_id, status=group.status,
                   submitted_on=group.submitted_on, activation_date=group.activation_date,
                   closed_on=group.closed_on, closure_reason=group.closure_reason)
    if group.level == "group":
        out.center_id, out.leader_client_id = group.center_id, group.leader_client_id
        if with_members:
            out.member_ids = current_member_ids(s, group.id)
    elif with_members:
        out.group_ids = current_group_ids(s, group.id)
    return out


def _illegal(group: Group, action: str) -> DomainError:
    return conflict(f"illegal-{group.level}-transition", f"a {group.status} {group.level} cannot be {action}")


def _check_unique(s: Session, level: str, office_id: int, name: str | None, external_id: str | None,
                  own_id: int = 0) -> None:
    if name and s.scalar(select(Group.id).where(Group.office_id == office_id, Group.level == level,
                                                Group.name == name, Group.id != own_id)):
        raise taken("name", f"office {office_id} already has a {level} named {name!r}")
    if external_id and s.scalar(select(Group.id).where(Group.external_id == external_id, Group.id != own_id)):
        raise taken("external_id", f"external_id {external_id!r} is in use by another group or center")


def _new(s: Session, level: str, data: GroupCreate | CenterCreate) -> Group:
    """A group or center row after the checks both share: office, dates, staff, uniqueness."""
    ensure_office_open(s, data.office_id)
    activating = data.activate and data.activation_date is not None
    if activating:
        assert data.activation_date is not None
        ensure_office_open_on(s, data.office_id, data.activation_date, "activation_date")
        not_in_future(s, data.activation_date, "activation_date")
    submitted_on = data.submitted_on or data.activation_date or business_date(s)
    ensure_office_open_on(s, data.office_id, submitted_on, "submitted_on")
    not_in_future(s, submitted_on, "submitted_on")
    if activating and data.activation_date is not None:
        not_before(data.activation_date, submitted_on, "activation_date", "submitted_on")
    if data.staff_id is not None:
        ensure_loan_officer(s, data.staff_id, data.office_id)
    _check_unique(s, level, data.office_id, data.name, data.external_id)
    group = Group(level=level, office_id=data.office_id, staff_id=data.staff_id, name=data.name.strip(),
                  external_id=data.external_id, status="active" if activating else "pending",
                  submitted_on=submitted_on, activation_date=data.activation_date if activating else None)
    s.add(group)
    s.flush()
    return group


def _joined_on(group: Group) -> date:
    return group.activation_date or group.submitted_on


@command("groups:create", resource="group", payload=GroupCreate, status=201)
def create_group(s: Session, _: Principal, data: GroupCreate, __: int | None) -> GroupOut:
    if data.leader_client_id is not None and data.leader_client_id not in data.client_ids:
        raise invalid("leader_client_id", "the leader must be one of client_ids")
    center = _usable_center(s, data.center_id, data.office_id) if data.center_id else None
    group = _new(s, "group", data)
    if center is not None:
        if group.status == "active":
            _check_active_under_center(group, center, "activation_date")
        _join_center(s, center, group, max(_joined_on(group), _joined_on(center)), "center_id")
    _add_members(s, group, data.client_ids, _joined_on(group), "client_ids")
    group.leader_client_id = data.leader_client_id
    emit(s, "group.created", "group", group.id, {"office_id": group.office_id, "status": group.status})
    return group_view(s, group)


@command("centers:create", resource="center", payload=CenterCreate, status=201)
def create_center(s: Session, _: Principal, data: CenterCreate, __: int | None) -> GroupOut:
    center = _new(s, "center", data)
    for group_id in dict.fromkeys(data.group_ids):
        group = _usable_group(s, group_id, center.office_id, "group_ids")
        _join_center(s, center, group, max(_joined_on(group), _joined_on(center)), "group_ids")
    emit(s, "center.created", "center", center.id, {"office_id": center.office_id, "status": center.status})
    return group_view(s, center)


def _usable_center(s: Session, center_id: int, office_id: int) -> Group:
    center = s.scalar(select(Group).where(Group.id == center_id, Group.level == "center").with_for_update())
    if center is None:
        raise invalid("center_id", f"center {center_id} does not exist")
    if center.office_id != office_id:
        raise invalid("center_id", f"center {center_id} belongs to another office")
    if center.status == "closed":
        raise invalid("center_id", f"center {center_id} is closed")
    return center


def _check_active_under_center(group: Group, center: Group, field: str) -> None:
    # As in Fineract: a group in a center is active only once its center is, and not before it.
    if center.status != "active" or center.activation_date is None:
        raise invalid(field, f"center {center.id} is not active yet")
    assert group.activation_date is not None
    not_before(group.activation_date, center.activation_date, field, "the center's activation date")


def _update(s: Session, group: Group, data: GroupUpdate) -> None:
    if group.status == "closed":
        raise _illegal(group, "updated")
    _check_unique(s, group.level, group.office_id, data.name, data.external_id, group.id)
    for field in data.model_fields_set:
        value = getattr(data, field)
        if value is None and field == "name":
            raise invalid("name", "cannot be null")
        if field == "staff_id" and value is not None:
            ensure_loan_officer(s, value, group.office_id)
        setattr(group, field, value)


@command("groups:update", resource="group", payload=GroupUpdate)
def update_group(s: Session, _: Principal, data: GroupUpdate, group_id: int | None) -> GroupOut:
    assert group_id is not None
    group = get_group(s, group_id, "group", lock=True)
    _update(s, group, data)
    return group_view(s, group)


@command("centers:update", resource="center", payload=GroupUpdate)
def update_center(s: Session, _: Principal, data: GroupUpdate, center_id: int | None) -> GroupOut:
    assert center_id is not None
    center = get_group(s, center_id, "center", lock=True)
    _update(s, center, data)
    return group_view(s, center)


def _activate(s: Session, group: Group, on: date) -> None:
    if group.status != "pending":
        raise _illegal(group, "activated")
    ensure_office_open_on(s, group.office_id, on, "activation_date")
    not_before(on, group.submitted_on, "activation_date", "the submission date")
    not_in_future(s, on, "activation_date")
    group.status, group.activation_date = "active", on
    if group.center_id is not None:
        _check_active_under_center(group, get_group(s, group.center_id, "center"), "activation_date")
    emit(s, f"{group.level}.activated", group.level, group.id, {"activation_date": on})


@command("groups:activate", resource="group", payload=ActivateIn)
def activate_group(s: Session, _: Principal, data: ActivateIn, group_id: int | None) -> GroupOut:
    assert group_id is not None
    group = get_group(s, group_id, "group", lock=True)
    _activate(s, group, data.activation_date)
    return group_view(s, group)


@command("centers:activate", resource="center", payload=ActivateIn)
def activate_center(s: Session, _: Principal, data: ActivateIn, center_id: int | None) -> GroupOut:
    assert center_id is not None
    center = get_group(s, center_id, "center", lock=True)
    _activate(s, center, data.activation_date)
    return group_view(s, center)


def _close(s: Session, group: Group, data: CloseIn) -> None:
    if group.status == "closed":
        raise _illegal(group, "closed")
    not_before(data.closed_on, group.activation_date or group.submitted_on, "closed_on",
               "the activation date" if group.activation_date else "the submission date")
    not_in_future(s, data.closed_on, "closed_on")
    group.status, group.closed_on, group.closure_reason = "closed", data.closed_on, data.reason
    emit(s, f"{group.level}.closed", group.level, group.id, {"closed_on": data.closed_on})


@command("groups:close", resource="group", payload=CloseIn)
def close_group(s: Session, _: Principal, data: CloseIn, group_id: int | None) -> GroupOut:
    assert group_id is not None
    group = get_group(s, group_id, "group", lock=True)
    # As in Fineract: members leave (or are closed) first, so no active client is left in a closed group.
    active_members = s.scalar(
        select(GroupMember.client_id).join(Client, Client.id == GroupMember.client_id)
        .where(GroupMember.group_id == group.id, GroupMember.left_on.is_(None), Client.status != "closed").limit(1))
    if active_members is not None and group.status != "closed":
        raise conflict("group-has-active-members", f"group {group.id} still has members; remove them first")
    _close(s, group, data)
    return group_view(s, group)


@command("centers:close", resource="center", payload=CloseIn)
def close_center(s: Session, _: Principal, data: CloseIn, center_id: int | None) -> GroupOut:
    assert center_id is not None
    center = get_group(s, center_id, "center", lock=True)
    open_group = s.scalar(select(Group.id).where(Group.center_id == center.id, Group.status != "closed").limit(1))
    if open_group is not None and center.status != "closed":
        raise conflict("center-has-active-groups", f"center {center.id} still has groups that are not closed")
    _close(s, center, data)
    return group_view(s, center)


# --- members ----------------------------------------------------------------------------------------------------


def _add_members(s: Session, group: Group, client_ids: list[int], joined_on: date, field: str) -> None:
    if not client_ids:
        return
    wanted = list(dict.fromkeys(client_ids))
    clients = {c.id: c for c in s.scalars(select(Client).where(Client.id.in_(wanted)))}
    current = set(current_member_ids(s, group.id))
    for client_id in wanted:
        client = clients.get(client_id)
        if client is None:
            raise invalid(field, f"client {client_id} does not exist")
        if client.office_id != group.office_id:
            raise invalid(field, f"client {client_id} belongs to another office than the group")
        if client.status == "closed":
            raise invalid(field, f"client {client_id} is closed")
        if client_id in current:
            raise conflict("already-a-member", f"client {client_id} is already a member of group {group.id}")
        s.add(GroupMember(group_id=group.id, client_id=client_id, joined_on=max(joined_on, client.submitted_on)))
    s.flush()
    emit(s, "group.members_joined", "group", group.id, {"client_ids": wanted, "joined_on": joined_on})


@command("groups:add-members", resource="group", payload=MembersIn, permission="groups:update", status=201)
def add_members(s: Session, _: Principal, data: MembersIn, group_id: int | None) -> GroupOut:
    assert group_id is not None
    group = get_group(s, group_id, "group", lock=True)
    if group.status == "closed":
        raise _illegal(group, "joined")
    joined_on = data.joined_on or business_date(s)
    not_before(joined_on, group.submitted_on, "joined_on", "the group's submission date")
    not_in_future(s, joined_on, "joined_on")
    _add_members(s, group, data.client_ids, joined_on, "client_ids")
    return group_view(s, group)


@command("groups:remove-member", resource="group", payload=MemberLeaveIn, permission="groups:update")
def remove_member(s: Session, _: Principal, data: MemberLeaveIn, group_id: int | None) -> GroupOut:
    assert group_id is not None
    group = get_group(s, group_id, "group", lock=True)
    membership = s.scalar(select(GroupMember).where(GroupMember.group_id == group.id,
                                                    GroupMember.client_id == data.client_id,
                                                    GroupMember.left_on.is_(None)))
    if membership is None:
        raise invalid("client_id", f"client {data.client_id} is not a member of group {group.id}")
    left_on = data.left_on or business_date(s)
    not_before(left_on, membership.joined_on, "left_on", "the day the client joined")
    not_in_future(s, left_on, "left_on")
    membership.left_on = left_on
    if group.leader_client_id == data.client_id:
        group.leader_client_id = None
    emit(s, "group.member_left", "group", group.id, {"client_id": data.client_id, "left_on": left_on})
    return group_view(s, group)


@command("groups:set-leader", resource="group", payload=LeaderIn, permission="groups:update")
def set_leader(s: Session, _: Principal, data: LeaderIn, group_id: int | None) -> GroupOut:
    assert group_id is not None
    group = get_group(s, group_id, "group", lock=True)
    if group.status == "closed":
        raise _illegal(group, "updated")
    if data.client_id is not None and data.client_id not in current_member_ids(s, group.id):
        raise invalid("client_id", f"client {data.client_id} is not a member of group {group.id}")
    group.leader_client_id = data.client_id
    emit(s, "group.leader_set", "group", group.id, {"client_id": data.client_id})
    return group_view(s, group)


# --- groups of a center -----------------------------------------------------------------------------------------


def _usable_group(s: Session, group_id: int, office_id: int, field: str) -> Group:
    group = s.scalar(select(Group).where(Group.id == group_id, Group.level == "group").with_for_update())
    if group is None:
        raise invalid(field, f"group {group_id} does not exist")
    if group.office_id != office_id:
        raise invalid(field, f"group {group_id} belongs to another office than the center")
    if group.status == "closed":
        raise invalid(field, f"group {group_id} is closed")
    if group.center_id is not None:
        raise conflict("group-in-a-center", f"group {group_id} is in center {group.center_id}; remove it first")
    return group


def _join_center(s: Session, center: Group, group: Group, joined_on: date, field: str) -> None:
    if group.status == "active" and center.status != "active":
        raise invalid(field, f"active group {group.id} cannot join a center that is not active")
    group.center_id = center.id
    s.add(CenterGroup(center_id=center.id, group_id=group.id, joined_on=joined_on))
    s.flush()


@command("centers:add-groups", resource="center", payload=CenterGroupsIn, permission="centers:update", status=201)
def add_groups(s: Session, _: Principal, data: CenterGroupsIn, center_id: int | None) -> GroupOut:
    assert center_id is not None
    center = get_group(s, center_id, "center", lock=True)
    if center.status == "closed":
        raise _illegal(center, "joined")
    joined_on = data.joined_on or business_date(s)
    not_before(joined_on, center.submitted_on, "joined_on", "the center's submission date")
    not_in_future(s, joined_on, "joined_on")
    for group_id in dict.fromkeys(data.group_ids):
        _join_center(s, center, _usable_group(s, group_id, center.office_id, "group_ids"), joined_on, "group_ids")
    emit(s, "center.groups_joined", "center", center.id, {"group_ids": data.group_ids, "joined_on": joined_on})
    return group_view(s, center)


@command("centers:remove-group", resource="center", payload=CenterGroupLeaveIn, permission="centers:update")
def remove_group(s: Session, _: Principal, data: CenterGroupLeaveIn, center_id: int | None) -> GroupOut:
    assert center_id is not None
    center = get_group(s, center_id, "center", lock=True)
    link = s.scalar(select(CenterGroup).where(CenterGroup.center_id == center.id,
                                              CenterGroup.group_id == data.group_id, CenterGroup.left_on.is_(None)))
    if link is None:
        raise invalid("group_id", f"group {data.group_id} is not in center {center.id}")
    left_on = data.left_on or business_date(s)
    not_before(left_on, link.joined_on, "left_on", "the day the group joined")
    not_in_future(s, left_on, "left_on")
    link.left_on = left_on
    s.execute(update(Group).where(Group.id == data.group_id).values(center_id=None))
    emit(s, "center.group_left", "center", center.id, {"group_id": data.group_id, "left_on": left_on})
    return group_view(s, center)


# --- history ----------------------------------------------------------------------------------------------------


def member_history(s: Session, group_id: int) -> list[HistoryOut]:
    get_group(s, group_id, "group")
    rows = s.execute(select(GroupMember.client_id, Client.display_name, GroupMember.joined_on, GroupMember.left_on)
                     .join(Client, Client.id == GroupMember.client_id)
                     .where(GroupMember.group_id == group_id).order_by(GroupMember.joined_on, GroupMember.id))
    return [HistoryOut(member_id=r.client_id, name=r.display_name, joined_on=r.joined_on, left_on=r.left_on)
            for r in rows]


def center_history(s: Session, center_id: int) -> list[HistoryOut]:
    get_group(s, center_id, "center")
    rows = s.execute(select(CenterGroup.group_id, Group.name, CenterGroup.joined_on, CenterGroup.left_on)
                     .join(Group, Group.id == CenterGroup.group_id)
                     .where(CenterGroup.center_id == center_id).order_by(CenterGroup.joined_on, CenterGroup.id))
    return [HistoryOut(member_id=r.group_id, name=r.name, joined_on=r.joined_on, left_on=r.left_on) for r in rows]


def group_list_statement(level: str, office_id: int | None, center_id: int | None, q: str | None,
                         status: str | None) -> Any:
    stmt = select(Group).where(Group.level == level)
    if office_id is not None:
        stmt = stmt.where(Group.office_id == office_id)
    if center_id is not None:
        stmt = stmt.where(Group.center_id == center_id)
    if q and q.strip():
        escaped = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(func.lower(Group.name).like(f"{escaped}%"))
    if status:
        stmt = stmt.where(Group.status == status)
    return stmt
