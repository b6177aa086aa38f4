"""The FastAPI application: middleware, error handling, health, and every feature's router."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import text

from akiba import __version__
from akiba.platform import auth, problems
from akiba.platform.db import engine_for
from akiba.platform.runtime import Runtime
from akiba.platform.settings import Settings

# Each feature exposes `router` in its api module; the list is the app's table of contents.
FEATURE_ROUTERS = [
    "akiba.platform.admin_api",
    "akiba.org.api",
    "akiba.clients.api",
    "akiba.accounting.api",
    "akiba.loans.api",
    "akiba.cob.api",
    "akiba.savings.api",
    "akiba.reports.api",
]
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
DOCS_CSP = "default-src 'self' https: 'unsafe-inline'; img-src 'self' data: https:"


def create_app(settings: Settings, control_url: str) -> FastAPI:
    app = FastAPI(title="Akiba", version=__version__, description="Core banking for microfinance")
    app.state.runtime = Runtime(settings, control_url)
    problems.install(app)
    _add_middleware(app, settings)
    _add_health(app, control_url)
    app.include_router(auth.router)
    for module in FEATURE_ROUTERS:
        app.include_router(importlib.import_module(module).router)
    return app


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length and (not length.isdigit() or int(length) > settings.max_request_bytes):
            return problems.problem(413, "request-too-large", "Request too large",
                                    f"requests are limited to {settings.max_request_bytes} bytes")
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path in ("/docs", "/redoc"):
            response.headers["Content-Security-Policy"] = DOCS_CSP
        return response

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Akiba-Tenant", "Idempotency-Key"],
        )


def _add_health(app: FastAPI, control_url: str) -> None:
    @app.get("/health/live", tags=["health"])
    def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", tags=["health"], responses={503: {"description": "database not answering"}})
    def ready() -> Response:
        try:
            with engine_for(control_url).connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return problems.problem(503, "not-ready", "Not ready", "the database does not answer")
        return Response('{"status":"ready"}', media_type="application/json")
