"""The connection pool, and the one place where driver errors become domain errors."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from app.domain.errors import Unavailable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

Conn = psycopg.AsyncConnection[tuple[Any, ...]]

# enable_seqscan=off: every statement here reads by key or range. The planner still scans a
# table that has no usable index, but it will not pick a scan because the statistics say a
# table is small; a connection keeps that plan while the table grows (tests/test_send_plans.py).
CONNECT_OPTIONS: dict[str, Any] = {
    "autocommit": True,
    "options": "-c TimeZone=UTC -c enable_seqscan=off",
    "connect_timeout": 5,
}


class Database:
    """One pool per worker process. Connections are in autocommit: a single statement is its
    own transaction; `transaction()` groups several."""

    def __init__(self, url: str, *, max_size: int = 8, timeout: float = 5.0) -> None:
        self.pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            timeout=timeout,
            kwargs=CONNECT_OPTIONS,
            reconnect_timeout=timeout,
        )

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Conn]:
        try:
            async with self.pool.connection() as conn:
                yield conn
        except (PoolTimeout, psycopg.OperationalError, pg_errors.AdminShutdown) as exc:
            raise Unavailable("the database is not answering; try again shortly") from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        async with self.connection() as conn, conn.transaction():
            yield conn


RETRIES = 3


async def fetch_retrying(conn: Conn, query: bytes, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Runs a single-statement write, again when it lost a race it cannot lose twice: a
    concurrent resend of the same client_message_id (the retry finds the original) or a
    deadlock between two users' logs."""
    for attempt in range(1, RETRIES + 1):
        try:
            cur = await conn.execute(query, params)
            return await cur.fetchall()
        except (pg_errors.UniqueViolation, pg_errors.DeadlockDetected):
            if attempt == RETRIES:
                raise
    raise AssertionError("unreachable")
