"""Readiness."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.db.queries import SQL

if TYPE_CHECKING:
    from app.db.pool import Conn


async def ping(conn: Conn) -> bool:
    cur = await conn.execute(SQL["ping"])
    return await cur.fetchone() == (1,)
