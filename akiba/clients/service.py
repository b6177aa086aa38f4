"""Client commands: create, update, identifiers and the lifecycle pending -> active -> closed (-> pending again)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from akiba.clients.models import Client, ClientIdentifier
from akiba.clients.queries import client_view, identifiers_of
from akiba.clients.schemas import (
    ActivateIn,
    ClientCreate,
    ClientOut,
    ClientUpdate,
    CloseIn,
    IdentifierIn,
    IdentifierOut,
    ReactivateIn,
)
from akiba.core.errors import DomainError, FieldError, conflict, invalid, not_found
from akiba.org.service import code_value_id, ensure_loan_officer, ensure_office_open, ensure_office_open_on
from akiba.platform.commands import command, emit
from akiba.platform.context import Principal
from akiba.platform.provisioning import business_date

ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "region", "postal_code", "country_code")


class IdentifierRemove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identifier_id: int = Field(ge=1)


def taken(field: str, detail: str) -> DomainError:
    """A unique value already in use: a 409 that still names the field to correct."""
    return DomainError("duplicate-value", detail, status=409, title="Duplicate value",
                       errors=[FieldError(field, "is already in use")])


def get_client(s: Session, client_id: int, lock: bool = False) -> Client:
    stmt = select(Client).where(Client.id == client_id)
    client = s.scalar(stmt.with_for_update() if lock else stmt)
    if client is None:
        raise not_found("client", client_id)
    return client


def not_in_future(s: Session, d: date, field: str) -> None:
    today = business_date(s)
    if d > today:
        raise invalid(field, f"is after the business date {today.isoformat()}")


def not_before(d: date, floor: date | None, field: str, what: str) -> None:
    if floor is not None and d < floor:
        raise invalid(field, f"is before {what} ({floor.isoformat()})")


def _illegal(client: Client, action: str) -> DomainError:
    return conflict("illegal-client-transition", f"a {client.status} client cannot be {action}")


def normalise_identifier(value: str) -> str:
    # "12 345 678" and "12345678" are one document: spaces and case do not make a new identity.
    return "".join(value.split()).upper()


def _check_external_id(s: Session, external_id: str | None, own_id: int = 0) -> None:
    if external_id and s.scalar(select(Client.id).where(Client.external_id == external_id, Client.id != own_id)):
        raise taken("external_id", f"external_id {external_id!r} is in use by another client")


def _add_identifiers(s: Session, client_id: int, wanted: list[tuple[str, IdentifierIn]]) -> None:
    """Insert identifiers, refusing a type twice for the client or a value already held under that type."""
    seen_types: set[int] = set(s.scalars(select(ClientIdentifier.type_id).where(
        ClientIdentifier.client_id == client_id)))
    for field, ident in wanted:
        type_id = code_value_id(s, "id_type", ident.type, f"{field}.type" if field != "national_id" else field)
        value = normalise_identifier(ident.value)
        if type_id in seen_types:
            raise taken(field, f"the client already has an identifier of type {ident.type}")
        holder = s.scalar(select(ClientIdentifier.client_id).where(
            ClientIdentifier.type_id == type_id, ClientIdentifier.value == value))
        if holder is not None:
            raise taken(field, f"this {ident.type} belongs to another client")
        seen_types.add(type_id)
        s.add(ClientIdentifier(client_id=client_id, type_id=type_id, value=value, description=ident.description))
    s.flush()


def _requested_identifiers(data: ClientCreate) -> list[tuple[str, IdentifierIn]]:
    wanted = [(f"identifiers.{i}", ident) for i, ident in enumerate(data.identifiers)]
    if data.national_id is not None:
        wanted.insert(0, ("national_id", IdentifierIn(type="national_id", value=data.national_id)))
    return wanted


def _check_creation_dates(s: Session, data: ClientCreate, activating: bool) -> date:
    """The submission date, after checking every date of the request against the office and the business date."""
    office = ensure_office_open(s, data.office_id)
    if activating:
        assert data.activation_date is not None
        ensure_office_open_on(s, office.id, data.activation_date, "activation_date")
        not_in_future(s, data.activation_date, "activation_date")
    submitted_on = data.submitted_on or data.activation_date or business_date(s)
    ensure_office_open_on(s, office.id, submitted_on, "submitted_on")
    not_in_future(s, submitted_on, "submitted_on")
    if activating and data.activation_date is not None and data.activation_date < submitted_on:
        raise invalid("activation_date", "is before submitted_on")
    if data.date_of_birth is not None and data.date_of_birth >= submitted_on:
        raise invalid("date_of_birth", "must be before the client's submission date")
    return submitted_on


@command("clients:create", resource="client", payload=ClientCreate, status=201)
def create_client(s: Session, _: Principal, data: ClientCreate, __: int | None) -> ClientOut:
    activating = data.activate and data.activation_date is not None
    submitted_on = _check_creation_dates(s, data, activating)
    if data.staff_id is not None:
        ensure_loan_officer(s, data.staff_id, data.office_id)
    _check_external_id(s, data.external_id)
    client = Client(
        office_id=data.office_id, staff_id=data.staff_id, status="active" if activating else "pending",
        first_name=data.first_name.strip(), middle_name=data.middle_name, last_name=data.last_name.strip(),
        date_of_birth=data.date_of_birth, mobile_phone=data.mobile_phone, email=data.email,
        external_id=data.external_id, submitted_on=submitted_on,
        activation_date=data.activation_date if activating else None,
        gender_id=code_value_id(s, "gender", data.gender, "gender") if data.gender else None,
        classification_id=(code_value_id(s, "client_classification", data.classification, "classification")
                           if data.classification else None),
        **(data.address.model_dump() if data.address else {}),
    )
    client.display_name = _display_name(client)
    s.add(client)
    s.flush()
    _add_identifiers(s, client.id, _requested_identifiers(data))
    # The event carries no personal data beyond what routing needs: consumers read the client by id.
    emit(s, "client.created", "client", client.id, {"office_id": client.office_id, "status": client.status})
    if activating:
        emit(s, "client.activated", "client", client.id, {"activation_date": client.activation_date})
    return client_view(s, client, with_identifiers=True)


def _display_name(client: Client) -> str:
    return " ".join(p for p in (client.first_name, client.middle_name, client.last_name) if p)


@command("clients:update", resource="client", payload=ClientUpdate)
def update_client(s: Session, _: Principal, data: ClientUpdate, client_id: int | None) -> ClientOut:
    assert client_id is not None
    client = get_client(s, client_id, lock=True)
    if client.status == "closed":
        raise _illegal(client, "updated")
    nullable = {"middle_name", "date_of_birth", "gender", "classification", "mobile_phone", "email", "external_id",
                "staff_id", "address"}
    for field in data.model_fields_set:
        value = getattr(data, field)
        if value is None and field not in nullable:
            raise invalid(field, "cannot be null")
        _apply(s, client, field, value)
    client.display_name = _display_name(client)
    return client_view(s, client, with_identifiers=True)


def _apply(s: Session, client: Client, field: str, value: object) -> None:
    if field == "gender":
        client.gender_id = code_value_id(s, "gender", str(value), "gender") if value else None
    elif field == "classification":
        client.classification_id = (code_value_id(s, "client_classification", str(value), "classification")
                                    if value else None)
    elif field == "address":
        # Fields left out of the address keep their value; a null address clears it all.
        given = value.model_dump(exclude_unset=True) if isinstance(value, BaseModel) else dict.fromkeys(ADDRESS_FIELDS)
        for name, part in given.items():
            setattr(client, name, part)
    elif field == "staff_id" and value is not None:
        ensure_loan_officer(s, int(str(value)), client.office_id)
        client.staff_id = int(str(value))
    elif field == "external_id":
        _check_external_id(s, str(value) if value else None, client.id)
        client.external_id = str(value) if value else None
    elif field == "date_of_birth" and isinstance(value, date) and value >= client.submitted_on:
        raise invalid("date_of_birth", "must be before the client's submission date")
    else:
        setattr(client, field, value.strip() if isinstance(value, str) else value)


@command("clients:activate", resource="client", payload=ActivateIn)
def activate_client(s: Session, _: Principal, data: ActivateIn, client_id: int | None) -> ClientOut:
    assert client_id is not None
    client = get_client(s, client_id, lock=True)
    if client.status != "pending":
        raise _illegal(client, "activated")
    ensure_office_open_on(s, client.office_id, data.activation_date, "activation_date")
    not_before(data.activation_date, client.submitted_on, "activation_date", "the submission date")
    not_before(data.activation_date, client.reactivated_on, "activation_date", "the reactivation date")
    not_in_future(s, data.activation_date, "activation_date")
    client.status = "active"
    client.activation_date = data.activation_date
    emit(s, "client.activated", "client", client.id, {"activation_date": data.activation_date})
    return client_view(s, client, with_identifiers=True)


@command("clients:close", resource="client", payload=CloseIn)
def close_client(s: Session, _: Principal, data: CloseIn, client_id: int | None) -> ClientOut:
    assert client_id is not None
    client = get_client(s, client_id, lock=True)
    if client.status == "closed":
        raise _illegal(client, "closed")
    _refuse_open_accounts(s, client.id)
    not_before(data.closed_on, client.activation_date or client.submitted_on, "closed_on",
               "the activation date" if client.activation_date else "the submission date")
    not_before(data.closed_on, client.reactivated_on, "closed_on", "the reactivation date")
    not_in_future(s, data.closed_on, "closed_on")
    client.status = "closed"
    client.closed_on = data.closed_on
    client.closure_reason = data.reason
    emit(s, "client.closed", "client", client.id, {"closed_on": data.closed_on})
    return client_view(s, client, with_identifiers=True)


def _refuse_open_accounts(s: Session, client_id: int) -> None:
    """A client with a loan or savings account still open cannot leave (as in Fineract)."""
    open_accounts = s.execute(text(
        "SELECT (SELECT count(*) FROM loans WHERE client_id = :c"
        "        AND status IN ('submitted', 'approved', 'active', 'overpaid')),"
        "       (SELECT count(*) FROM savings_accounts WHERE client_id = :c"
        "        AND status IN ('submitted', 'approved', 'active'))"
    ), {"c": client_id}).one()
    if open_accounts[0] or open_accounts[1]:
        raise conflict("client-has-open-accounts",
                       f"client {client_id} has {open_accounts[0]} open loans and {open_accounts[1]} open savings "
                       "accounts; close them first")


@command("clients:reactivate", resource="client", payload=ReactivateIn)
def reactivate_client(s: Session, _: Principal, data: ReactivateIn, client_id: int | None) -> ClientOut:
    """A closed client comes back as pending and is activated again (as in Fineract): KYC is looked at anew."""
    assert client_id is not None
    client = get_client(s, client_id, lock=True)
    if client.status != "closed":
        raise _illegal(client, "reactivated")
    not_before(data.reactivated_on, client.closed_on, "reactivated_on", "the closing date")
    not_in_future(s, data.reactivated_on, "reactivated_on")
    client.status = "pending"
    client.reactivated_on = data.reactivated_on
    client.activation_date = None
    client.closed_on = None
    client.closure_reason = None
    emit(s, "client.reactivated", "client", client.id, {"reactivated_on": data.reactivated_on})
    return client_view(s, client, with_identifiers=True)


@command("clients:add-identifier", resource="client", payload=IdentifierIn, permission="clients:update", status=201)
def add_identifier(s: Session, _: Principal, data: IdentifierIn, client_id: int | None) -> list[IdentifierOut]:
    assert client_id is not None
    client = get_client(s, client_id, lock=True)
    if client.status == "closed":
        raise _illegal(client, "updated")
    _add_identifiers(s, client.id, [("value", data)])
    return identifiers_of(s, client.id)


@command("clients:remove-identifier", resource="client", payload=IdentifierRemove, permission="clients:update")
def remove_identifier(s: Session, _: Principal, data: IdentifierRemove, client_id: int | None) -> list[IdentifierOut]:
    assert client_id is not None
    get_client(s, client_id, lock=True)
    row = s.get(ClientIdentifier, data.identifier_id)
    if row is None or row.client_id != client_id:
        raise not_found("identifier", data.identifier_id)
    s.delete(row)
    s.flush()
    return identifiers_of(s, client_id)
