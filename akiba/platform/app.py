"""The FastAPI application: middleware, error handling, health, and every feature's router."""

from __future__ import annotations

import importlib

from fastapi import FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import text
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    "akiba.collection_sheets.api",
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
    app.add_middleware(_Guard, max_request_bytes=settings.max_request_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Akiba-Tenant", "Idempotency-Key"],
        )


class _Guard:
    """Refuses oversized requests and adds the security headers to every response.

    A plain ASGI middleware: Starlette's BaseHTTPMiddleware runs each request through an extra task and a stream,
    which cost a measurable share of a short command's time.
    """

    def __init__(self, app: ASGIApp, max_request_bytes: int) -> None:
        self.app = app
        self.max_request_bytes = max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length and (not length.isdigit() or int(length) > self.max_request_bytes):
            refusal = problems.problem(413, "request-too-large", "Request too large",
                                       f"requests are limited to {self.max_request_bytes} bytes")
            await refusal(scope, receive, send)
            return
        docs = scope["path"] in ("/docs", "/redoc")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if docs:
                    headers["Content-Security-Policy"] = DOCS_CSP
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
