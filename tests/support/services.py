"""The real PostgreSQL and Redis the tests use; a fresh database per test run."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest
import redis

from app.db.migrate import migrate

ADMIN_URL = os.environ.get(
    "CHAT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("CHAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


def services_required() -> bool:
    return os.environ.get("CHAT_REQUIRE_SERVICES") == "1"


def unavailable(what: str, error: Exception) -> None:
    """Fails under CHAT_REQUIRE_SERVICES=1 (CI); otherwise skips with the reason."""
    message = f"{what} is not reachable: {error}"
    if services_required():
        pytest.fail(message)
    pytest.skip(message)


def with_database(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{name}"))


def create_database() -> tuple[str, str]:
    name = f"chat_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        unavailable("PostgreSQL", exc)
    return name, with_database(ADMIN_URL, name)


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def migrated_database() -> Iterator[str]:
    """A fresh database with the schema, dropped (with all it holds) at the end."""
    name, url = create_database()
    migrate(url)
    try:
        yield url
    finally:
        drop_database(name)


def check_redis(url: str = REDIS_URL) -> str:
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable("Redis", exc)
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
