"""Configuration: the variables of contract section 1, read once into a typed object.

A bad value raises ConfigError naming the variable; the CLI prints it as one line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import msgspec
from limits import parse

from app.lib.logs import FORMATS, log_format

if TYPE_CHECKING:
    from collections.abc import Mapping

DATA_DIR = Path(".chat-data")
MIN_SECRET_BYTES = 32


class ConfigError(Exception):
    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class Settings(msgspec.Struct, frozen=True):
    database_url: str | None = None
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    jwt_secret: str | None = None
    access_token_ttl: int = 3600
    rate_limit: str = "10/minute"
    allowed_origins: frozenset[str] | None = None
    delivery_check_seconds: float = 1.0
    refresh_token_ttl: int = 2_592_000
    login_rate_limit: str = "10/15 minutes"
    auth_rate_limit: str = "60/minute"
    max_connections_per_user: int = 50
    log_format: str = "json"
    metrics_token: str | None = None

    @property
    def embedded(self) -> bool:
        return self.database_url is None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    database_url = _url(get("DATABASE_URL"), "DATABASE_URL", {"postgresql", "postgres"})
    redis_url = _url(get("REDIS_URL"), "REDIS_URL", {"redis", "rediss"})
    workers = _integer(get("CHAT_WORKERS"), "CHAT_WORKERS", 1, 1, 64)
    if workers > 1 and redis_url is None:
        raise ConfigError("CHAT_WORKERS", "more than 1 worker needs REDIS_URL for fan-out")
    secret = get("CHAT_JWT_SECRET")
    if secret is not None and len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError("CHAT_JWT_SECRET", f"must be at least {MIN_SECRET_BYTES} bytes")
    if secret is None and database_url is not None:
        raise ConfigError("CHAT_JWT_SECRET", "required when DATABASE_URL is set")
    origins = get("CHAT_ALLOWED_ORIGINS")
    check = get("CHAT_DELIVERY_CHECK_SECONDS") or "1"
    try:
        delivery_check_seconds = float(check)
    except ValueError as exc:
        raise ConfigError(
            "CHAT_DELIVERY_CHECK_SECONDS", f"must be a number, got {check!r}"
        ) from exc
    if not 0.05 <= delivery_check_seconds <= 3600:
        raise ConfigError("CHAT_DELIVERY_CHECK_SECONDS", "must be between 0.05 and 3600")
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        host=get("CHAT_HOST") or "127.0.0.1",
        port=_integer(get("CHAT_PORT"), "CHAT_PORT", 8000, 0, 65535),
        workers=workers,
        jwt_secret=secret,
        access_token_ttl=_integer(
            get("CHAT_ACCESS_TOKEN_TTL"), "CHAT_ACCESS_TOKEN_TTL", 3600, 1, 10**8
        ),
        rate_limit=_rate(get("CHAT_RATE_LIMIT"), "CHAT_RATE_LIMIT", "10/minute"),
        allowed_origins=(
            frozenset(o.strip() for o in origins.split(",") if o.strip()) if origins else None
        ),
        delivery_check_seconds=delivery_check_seconds,
        refresh_token_ttl=_integer(
            get("CHAT_REFRESH_TOKEN_TTL"), "CHAT_REFRESH_TOKEN_TTL", 2_592_000, 60, 10**9
        ),
        login_rate_limit=_rate(
            get("CHAT_LOGIN_RATE_LIMIT"), "CHAT_LOGIN_RATE_LIMIT", "10/15 minutes"
        ),
        auth_rate_limit=_rate(get("CHAT_AUTH_RATE_LIMIT"), "CHAT_AUTH_RATE_LIMIT", "60/minute"),
        max_connections_per_user=_integer(
            get("CHAT_MAX_CONNECTIONS_PER_USER"), "CHAT_MAX_CONNECTIONS_PER_USER", 50, 1, 100_000
        ),
        log_format=_log_format(get("CHAT_LOG_FORMAT")),
        metrics_token=get("CHAT_METRICS_TOKEN"),
    )


def _rate(value: str | None, name: str, default: str) -> str:
    chosen = value or default
    try:
        parse(chosen)
    except ValueError as exc:
        raise ConfigError(name, f"not a rate limit ({exc}); e.g. 10/minute") from exc
    return chosen


def _log_format(value: str | None) -> str:
    if value is not None and value.lower() not in FORMATS:
        raise ConfigError("CHAT_LOG_FORMAT", f"must be json or text, got {value!r}")
    return log_format(value or "")


def _url(value: str | None, name: str, schemes: set[str]) -> str | None:
    if value is None:
        return None
    try:
        parsed = urlparse(value)
        parsed.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ConfigError(name, f"not a valid URL ({exc})") from exc
    if parsed.scheme not in schemes:
        raise ConfigError(
            name, f"must start with {' or '.join(sorted(s + '://' for s in schemes))}"
        )
    return value


def _integer(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ConfigError(name, f"must be a whole number, got {value!r}") from exc
    if not low <= number <= high:
        raise ConfigError(name, f"must be between {low} and {high}, got {number}")
    return number
