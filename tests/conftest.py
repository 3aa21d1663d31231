"""Shared fixtures: a fresh database, real Redis, and real `chat serve` processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import psycopg
import pytest

from app.db.pool import CONNECT_OPTIONS
from tests.support.clients import User, register
from tests.support.server import ChatServer
from tests.support.services import check_redis, migrated_database


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh, migrated database for this test run."""
    with migrated_database() as url:
        yield url


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[psycopg.AsyncConnection[tuple[Any, ...]]]:
    """A connection of the test's own, set up as the service's are, for tests of the SQL itself."""
    async with await psycopg.AsyncConnection.connect(database_url, **CONNECT_OPTIONS) as c:
        yield c


@pytest.fixture(scope="session")
def redis_url() -> str:
    return check_redis()


@pytest.fixture(scope="session")
def server(database_url: str, redis_url: str) -> Iterator[ChatServer]:
    """The shared server: real PostgreSQL and Redis, a generous rate limit."""
    chat = ChatServer(database_url=database_url, redis_url=redis_url).start()
    yield chat
    chat.stop()


@pytest.fixture
async def http(server: ChatServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        yield client


@pytest.fixture
async def alice(http: httpx.AsyncClient) -> User:
    return await register(http, "alice")


@pytest.fixture
async def bob(http: httpx.AsyncClient) -> User:
    return await register(http, "bob")


@pytest.fixture
async def carol(http: httpx.AsyncClient) -> User:
    return await register(http, "carol")
