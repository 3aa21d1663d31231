"""Who blocks whom (sql/blocks.sql)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from psycopg.rows import class_row

from app.db.queries import SQL
from app.domain.models import User

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.pool import Conn


async def block_user(conn: Conn, blocker_id: UUID, blocked_id: UUID) -> bool:
    """False: no such user to block."""
    params = {"blocker_id": blocker_id, "blocked_id": blocked_id}
    cur = await conn.execute(SQL["block_user"], params)
    return await cur.fetchone() is not None


async def unblock_user(conn: Conn, blocker_id: UUID, blocked_id: UUID) -> None:
    await conn.execute(SQL["unblock_user"], {"blocker_id": blocker_id, "blocked_id": blocked_id})


async def blocked_users(conn: Conn, blocker_id: UUID) -> list[User]:
    cur = await conn.cursor(row_factory=class_row(User)).execute(
        SQL["blocked_users"], {"blocker_id": blocker_id}
    )
    return await cur.fetchall()


async def either_blocks(conn: Conn, a: UUID, b: UUID) -> bool:
    cur = await conn.execute(SQL["either_blocks"], {"a": a, "b": b})
    row = await cur.fetchone()
    return bool(row and row[0])
