"""RFC 9457 problem+json for every failure: domain refusals, bad input, and the unexpected."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from akiba.core.errors import DomainError

log = structlog.get_logger()
PROBLEM = "application/problem+json"


def problem(status: int, type_: str, title: str, detail: str, errors: list[dict[str, str]] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": f"/problems/{type_}", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    errors = [{"field": e.field, "message": e.message} for e in exc.errors]
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem(exc.status, exc.type, exc.title, exc.detail, errors, headers)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _field(tuple(e.get("loc", ()))), "message": str(e.get("msg", "invalid"))} for e in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "validation-error", "Invalid input", detail, errors)


async def _model_validation(_: Request, exc: Exception) -> JSONResponse:
    # A model built inside an endpoint from path or query values the caller chose: still the caller's input.
    assert isinstance(exc, ValidationError)
    errors = [{"field": _field(tuple(e.get("loc", ()))), "message": str(e.get("msg", "invalid"))} for e in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "validation-error", "Invalid input", detail, errors)


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(exc.status_code, f"http-{exc.status_code}", str(exc.detail), str(exc.detail),
                   headers=getattr(exc, "headers", None))


async def _integrity(_: Request, exc: Exception) -> JSONResponse:
    # A unique or foreign-key constraint the service did not pre-check: the caller's data conflicts.
    log.warning("integrity error", error=type(exc).__name__)
    return problem(409, "conflict", "Conflict", "the request conflicts with existing data")


async def _database(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    # A data exception: a value the database cannot hold. The driver raises some of these itself, without a
    # SQLSTATE (a NUL character in a text value), so the exception class counts as well as the code.
    if sqlstate.startswith("22") or isinstance(exc, DataError):
        return problem(422, "validation-error", "Invalid input", "a value is out of range or not allowed for its field")
    if sqlstate in ("40001", "40P01"):
        return problem(409, "retry", "Conflict", "a concurrent change won; retry the request")
    log.exception("database error", sqlstate=sqlstate)
    return problem(503, "database-unavailable", "Service unavailable", "the database could not complete the request")


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", error=type(exc).__name__)
    return problem(500, "internal-error", "Internal error", "an unexpected error occurred; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ValidationError, _model_validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(DBAPIError, _database)
    app.add_exception_handler(Exception, _unexpected)
