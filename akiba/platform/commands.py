"""Every state-changing call runs here: permission, maker-checker, idempotency, audit and one commit.

A command is registered once (name, permission, payload model, handler) so that a pending command
approved later by a checker runs exactly the code the maker would have run.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from akiba.core.errors import DomainError, FieldError, not_found
from akiba.platform.context import Principal
from akiba.platform.db import commit
from akiba.platform.models import CheckedPermission, CommandAudit, IdempotencyKey, OutboxEvent, PendingCommand
from akiba.platform.runtime import Runtime

log = structlog.get_logger()
Handler = Callable[[Session, Principal, Any, int | None], Any]
# The permissions a command's payload brings in besides its own (a collection sheet's repayments need loans:repay).
Needs = Callable[[Any], list[str]]
_SECRET = re.compile(r"password|secret|token|national_id|identifier|pin|otp", re.IGNORECASE)


@dataclass(frozen=True)
class CommandSpec:
    name: str
    permission: str
    resource: str
    payload: type[BaseModel] | None
    handler: Handler
    status_code: int
    needs: Needs | None = None

    def permissions(self, payload: Any) -> list[str]:
        return [self.permission, *(self.needs(payload) if self.needs is not None else [])]


REGISTRY: dict[str, CommandSpec] = {}


def command(
    name: str,
    *,
    resource: str,
    payload: type[BaseModel] | None = None,
    permission: str | None = None,
    status: int = 200,
    needs: Needs | None = None,
) -> Callable[[Handler], Handler]:
    """Register a service function as a command; the name doubles as its permission unless given.

    `needs` names the further permissions a given payload requires: the caller must hold each, and the command
    waits for a checker when any of them is under maker-checker."""

    def register(fn: Handler) -> Handler:
        REGISTRY[name] = CommandSpec(name, permission or name, resource, payload, fn, status, needs)
        return fn

    return register


def checker_permission(permission: str) -> str:
    return f"{permission}:check"


def redact(data: Any) -> Any:
    """The audit summary of a request: secrets and personal identifiers are masked."""
    if isinstance(data, dict):
        return {k: "***" if _SECRET.search(str(k)) else redact(v) for k, v in data.items()}
    if isinstance(data, list):
        return [redact(v) for v in data]
    return data


def emit(session: Session, event_type: str, aggregate: str, aggregate_id: int | None, payload: dict[str, Any]) -> None:
    """Write an outbox event in the command's transaction: it exists only if the command commits."""
    session.execute(
        insert(OutboxEvent).values(
            event_type=event_type, aggregate=aggregate, aggregate_id=aggregate_id, payload=jsonable_encoder(payload)
        )
    )


def emit_many(session: Session, events: list[tuple[str, str, int | None, dict[str, Any]]]) -> None:
    """`emit` for a batch: (event type, aggregate, aggregate id, payload) each, in one statement."""
    if events:  # executemany of one cached statement: the driver sends the rows as one multi-row INSERT
        session.connection().execute(insert(OutboxEvent), [
            {"event_type": kind, "aggregate": aggregate, "aggregate_id": aggregate_id,
             "payload": jsonable_encoder(payload)} for kind, aggregate, aggregate_id, payload in events])


def _claim_idempotency_key(session: Session, key: str, scope: str) -> tuple[int, Any] | None:
    """Reserve the key for this call, or return the stored answer of the call that reserved it first.

    A concurrent duplicate waits on the first one's row lock (ON CONFLICT), then reads its answer.
    """
    row = session.execute(
        text(
            "INSERT INTO idempotency_keys (key, command, status_code, response) VALUES (:k, :c, 0, 'null') "
            "ON CONFLICT (key, command) DO NOTHING RETURNING id"
        ),
        {"k": key, "c": scope},
    ).first()
    if row is not None:
        return None
    stored = session.execute(
        select(IdempotencyKey.status_code, IdempotencyKey.response).where(
            IdempotencyKey.key == key, IdempotencyKey.command == scope
        )
    ).one()
    return stored.status_code, stored.response


def _audit(session: Session, principal: Principal, spec: CommandSpec, resource_id: int | None, outcome: str,
           summary: dict[str, Any]) -> None:
    session.add(
        CommandAudit(
            user_id=principal.user_id,
            username=principal.username,
            command=spec.name,
            resource=spec.resource,
            resource_id=resource_id,
            outcome=outcome,
            summary=summary,
        )
    )


def _needs_checking(session: Session, permissions: list[str]) -> bool:
    return session.scalar(select(CheckedPermission.permission)
                          .where(CheckedPermission.permission.in_(permissions)).limit(1)) is not None


def _result_id(result: Any, resource_id: int | None) -> int | None:
    if isinstance(result, dict) and isinstance(result.get("id"), int):
        return int(result["id"])
    return resource_id


def execute(
    rt: Runtime,
    principal: Principal,
    name: str,
    payload: BaseModel | None = None,
    resource_id: int | None = None,
    idempotency_key: str | None = None,
) -> JSONResponse:
    """Run a registered command as one unit of work and answer with its result."""
    spec = REGISTRY[name]
    permissions = spec.permissions(payload)
    for permission in permissions:
        if not principal.can(permission):
            raise DomainError("forbidden", f"this call needs the permission {permission}", status=403)
    body = payload.model_dump(mode="json") if payload is not None else {}
    summary = {"request": redact(body)}
    started = time.perf_counter()
    scope = f"{name}:{resource_id or ''}"
    try:
        with rt.session(principal.tenant) as s:
            if idempotency_key:
                stored = _claim_idempotency_key(s, idempotency_key, scope)
                if stored is not None:
                    return JSONResponse(stored[1], status_code=stored[0], headers={"Idempotent-Replayed": "true"})
            if _needs_checking(s, permissions):
                status, answer = 202, _make_pending(s, principal, spec, body, resource_id)
                _audit(s, principal, spec, resource_id, "pending", summary)
            else:
                status = spec.status_code
                answer = jsonable_encoder(spec.handler(s, principal, payload, resource_id))
                _audit(s, principal, spec, _result_id(answer, resource_id), "success", summary)
            if idempotency_key:
                s.execute(
                    update(IdempotencyKey)
                    .where(IdempotencyKey.key == idempotency_key, IdempotencyKey.command == scope)
                    .values(status_code=status, response=answer)
                )
            commit(s)
    except DomainError as error:
        _record_failure(rt, principal, spec, resource_id, summary, error)
        raise
    finally:
        log.info("command", tenant=principal.tenant.id, user=principal.username, command=name,
                 ms=round((time.perf_counter() - started) * 1000, 1))
    return JSONResponse(answer, status_code=status)


def _record_failure(rt: Runtime, principal: Principal, spec: CommandSpec, resource_id: int | None,
                    summary: dict[str, Any], error: DomainError) -> None:
    # The command rolled back; its refusal is still audited, in a transaction of its own.
    with rt.session(principal.tenant) as s:
        _audit(s, principal, spec, resource_id, "rejected", {**summary, "error": error.type})
        s.commit()


def _make_pending(s: Session, principal: Principal, spec: CommandSpec, body: dict[str, Any],
                  resource_id: int | None) -> dict[str, Any]:
    if principal.user_id is None:
        raise DomainError("maker-unknown", "maker-checker commands need a local user", status=403)
    row = PendingCommand(command=spec.name, resource_id=resource_id, payload=body, maker_id=principal.user_id)
    s.add(row)
    s.flush()
    return {"pending_command_id": row.id, "status": "pending", "command": spec.name}


def decide_pending(s: Session, checker: Principal, pending_id: int, approve: bool) -> dict[str, Any]:
    """A checker approves (the command runs now, in this transaction) or rejects a pending command."""
    locked = select(PendingCommand).where(PendingCommand.id == pending_id).with_for_update()
    row = s.execute(locked).scalar_one_or_none()
    if row is None:
        raise not_found("pending-command", pending_id)
    if row.status != "pending":
        raise DomainError("command-already-checked", f"pending command {pending_id} is {row.status}", status=409)
    spec = REGISTRY[row.command]
    if not checker.can(checker_permission(spec.permission)):
        raise DomainError("forbidden", f"checking needs the permission {checker_permission(spec.permission)}", 403)
    if row.maker_id == checker.user_id:
        raise DomainError("maker-cannot-check", "the maker of a command cannot check it", status=403)
    row.checker_id = checker.user_id
    row.checked_at = datetime.now(UTC)
    if not approve:
        row.status = "rejected"
        return pending_view(row)
    payload = _parse_stored(spec, row.payload)
    result = jsonable_encoder(spec.handler(s, checker, payload, row.resource_id))
    row.status = "approved"
    row.result = result
    _audit(s, checker, spec, _result_id(result, row.resource_id), "success",
           {"request": redact(row.payload), "maker_id": row.maker_id, "pending_command_id": row.id})
    return pending_view(row)


def _parse_stored(spec: CommandSpec, body: dict[str, Any]) -> BaseModel | None:
    if spec.payload is None:
        return None
    try:
        return spec.payload.model_validate(body)
    except ValidationError as e:
        errors = [FieldError(".".join(map(str, err["loc"])), err["msg"]) for err in e.errors()]
        raise DomainError("validation-error", "the stored command is no longer valid", 422, errors=errors) from None


def pending_view(row: PendingCommand) -> dict[str, Any]:
    return {
        "id": row.id,
        "command": row.command,
        "resource_id": row.resource_id,
        "payload": redact(row.payload),
        "maker_id": row.maker_id,
        "made_at": row.made_at,
        "status": row.status,
        "checker_id": row.checker_id,
        "checked_at": row.checked_at,
        "result": row.result,
    }
