"""Read side of clients: views, search and the client summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy import func as sqlfunc
from sqlalchemy.orm import Session

from akiba.clients.models import Client, ClientIdentifier, Group, GroupMember
from akiba.clients.schemas import Address, ClientOut, ClientSummary, IdentifierOut, MembershipOut
from akiba.core.errors import invalid, not_found
from akiba.org.models import CodeValue
from akiba.org.phones import to_e164
from akiba.org.service import code_values_by_id
from akiba.platform.pagination import Page, paginate


def identifiers_of(s: Session, client_id: int) -> list[IdentifierOut]:
    rows = s.execute(
        select(ClientIdentifier.id, CodeValue.value.label("type"), ClientIdentifier.value, ClientIdentifier.description)
        .join(CodeValue, CodeValue.id == ClientIdentifier.type_id)
        .where(ClientIdentifier.client_id == client_id)
        .order_by(ClientIdentifier.id)
    )
    return [IdentifierOut(id=r.id, type=r.type, value=r.value, description=r.description) for r in rows]


def _view(client: Client, codes: dict[int, str]) -> ClientOut:
    return ClientOut(
        id=client.id, office_id=client.office_id, staff_id=client.staff_id, status=client.status,
        first_name=client.first_name, middle_name=client.middle_name, last_name=client.last_name,
        display_name=client.display_name, date_of_birth=client.date_of_birth,
        gender=codes.get(client.gender_id) if client.gender_id else None,
        classification=codes.get(client.classification_id) if client.classification_id else None,
        mobile_phone=client.mobile_phone, email=client.email, external_id=client.external_id,
        address=Address(address_line1=client.address_line1, address_line2=client.address_line2, city=client.city,
                        region=client.region, postal_code=client.postal_code, country_code=client.country_code),
        submitted_on=client.submitted_on, activation_date=client.activation_date, closed_on=client.closed_on,
        closure_reason=client.closure_reason, reactivated_on=client.reactivated_on,
    )


def _code_ids(clients: Sequence[Client]) -> set[int]:
    return {i for c in clients for i in (c.gender_id, c.classification_id) if i is not None}


def client_view(s: Session, client: Client, with_identifiers: bool = False) -> ClientOut:
    view = _view(client, code_values_by_id(s, _code_ids([client])))
    if with_identifiers:
        view.identifiers = identifiers_of(s, client.id)
    return view


def client_out(s: Session, client_id: int) -> ClientOut:
    client = s.get(Client, client_id)
    if client is None:
        raise not_found("client", client_id)
    return client_view(s, client, with_identifiers=True)


def _like_prefix(text: str) -> str:
    # The caller's text is matched literally: % and _ typed in a search box are not wildcards.
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def search_statement(q: str | None = None, phone: str | None = None, external_id: str | None = None,
                     identifier: str | None = None, office_id: int | None = None,
                     status: str | None = None, staff_id: int | None = None) -> Select[Any]:
    """Clients matching every given criterion; each criterion is served by an index."""
    stmt = select(Client)
    if q and q.strip():
        pattern = _like_prefix(" ".join(q.lower().split()))
        stmt = stmt.where(or_(sqlfunc.lower(Client.first_name).like(pattern),
                              sqlfunc.lower(Client.last_name).like(pattern),
                              sqlfunc.lower(Client.display_name).like(pattern)))
    if phone:
        try:
            stmt = stmt.where(Client.mobile_phone == to_e164(phone))
        except ValueError as e:
            raise invalid("phone", str(e)) from None
    if external_id:
        stmt = stmt.where(Client.external_id == external_id)
    if identifier:
        value = "".join(identifier.split()).upper()
        stmt = stmt.where(Client.id.in_(select(ClientIdentifier.client_id).where(ClientIdentifier.value == value)))
    if office_id is not None:
        stmt = stmt.where(Client.office_id == office_id)
    if status:
        stmt = stmt.where(Client.status == status)
    if staff_id is not None:
        stmt = stmt.where(Client.staff_id == staff_id)
    return stmt


def list_clients(s: Session, stmt: Select[Any], page: Page) -> dict[str, Any]:
    result = paginate(s, stmt, Client.id, page, lambda c: c)
    clients: list[Client] = result["items"]
    codes = code_values_by_id(s, _code_ids(clients))  # one lookup for the page, not one per client
    result["items"] = [_view(c, codes) for c in clients]
    return result


def memberships_of(s: Session, client_id: int) -> list[MembershipOut]:
    rows = s.execute(
        select(GroupMember.group_id, Group.name, Group.status, Group.center_id, Group.leader_client_id,
               GroupMember.joined_on, GroupMember.left_on)
        .join(Group, Group.id == GroupMember.group_id)
        .where(GroupMember.client_id == client_id)
        .order_by(GroupMember.joined_on, GroupMember.id)
    )
    return [MembershipOut(group_id=r.group_id, group_name=r.name, group_status=r.status, center_id=r.center_id,
                          is_leader=r.leader_client_id == client_id and r.left_on is None,
                          joined_on=r.joined_on, left_on=r.left_on) for r in rows]


def client_summary(s: Session, client_id: int) -> ClientSummary:
    client = client_out(s, client_id)
    identifiers = client.identifiers or []
    client.identifiers = None
    return ClientSummary(client=client, identifiers=identifiers, memberships=memberships_of(s, client_id))
