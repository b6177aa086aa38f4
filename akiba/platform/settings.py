"""Typed settings, all read from AKIBA_* environment variables (documented in the README)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AKIBA_", extra="ignore")

    home: Path = Path("./var")
    database_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    demo_password: str | None = None
    access_token_minutes: int = 15
    refresh_token_days: int = 14
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    token_rate_limit_per_minute: int = 30
    max_request_bytes: int = 1_000_000
    cors_origins: list[str] = []
    pool_size: int = 10
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_roles_claim: str = "roles"
    oidc_tenant_claim: str = "tenant"
    log_level: str = "INFO"


@lru_cache
def get_settings() -> Settings:
    return Settings()
