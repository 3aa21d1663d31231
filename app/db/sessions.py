"""Sessions, refresh tokens and WebSocket tickets (sql/sessions.sql)."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - a field type of a Struct
from typing import TYPE_CHECKING
from uuid import UUID  # noqa: TC003 - a field type of a Struct

import msgspec

from app.db.queries import SQL

if TYPE_CHECKING:
    from app.db.pool import Conn


class SessionRow(msgspec.Struct, frozen=True):
    id: UUID
    created_at: datetime
    last_seen_at: datetime
    user_agent: str


class PresentedToken(msgspec.Struct, frozen=True):
    session_id: UUID
    used: bool
    user_id: UUID
    live: bool


async def start_session(
    conn: Conn, user_id: UUID, user_agent: str, token_hash: bytes, ttl: int
) -> UUID:
    cur = await conn.execute(
        SQL["start_session"],
        {"user_id": user_id, "user_agent": user_agent, "token_hash": token_hash, "ttl": ttl},
    )
    row = await cur.fetchone()
    assert row is not None  # noqa: S101 - INSERT ... RETURNING always returns the row
    session_id: UUID = row[0]
    return session_id


async def presented_token(conn: Conn, token_hash: bytes) -> PresentedToken | None:
    """The refresh token and its session, locked until the transaction ends."""
    cur = await conn.execute(SQL["refresh_token_for_update"], {"token_hash": token_hash})
    row = await cur.fetchone()
    return None if row is None else PresentedToken(*row)


async def rotate_refresh_token(
    conn: Conn, session_id: UUID, old_hash: bytes, new_hash: bytes, ttl: int
) -> None:
    await conn.execute(
        SQL["rotate_refresh_token"],
        {"session_id": session_id, "old_hash": old_hash, "new_hash": new_hash, "ttl": ttl},
    )


async def end_session(conn: Conn, user_id: UUID, session_id: UUID) -> bool:
    """False: not the user's, or ended already."""
    cur = await conn.execute(SQL["end_session"], {"user_id": user_id, "session_id": session_id})
    return await cur.fetchone() is not None


async def sessions_of_user(conn: Conn, user_id: UUID) -> list[SessionRow]:
    cur = await conn.execute(SQL["sessions_of_user"], {"user_id": user_id})
    return [SessionRow(*row) for row in await cur.fetchall()]


async def live_sessions(conn: Conn, session_ids: list[UUID]) -> dict[UUID, bool]:
    cur = await conn.execute(SQL["live_sessions"], {"session_ids": session_ids})
    return {row[0]: True for row in await cur.fetchall()}


async def issue_ticket(conn: Conn, session_id: UUID, ticket_hash: bytes, ttl: int) -> bool:
    """False: the session ended."""
    cur = await conn.execute(
        SQL["issue_ticket"], {"session_id": session_id, "ticket_hash": ticket_hash, "ttl": ttl}
    )
    return await cur.fetchone() is not None


async def use_ticket(conn: Conn, ticket_hash: bytes) -> tuple[UUID, UUID] | None:
    """(session id, user id) of a ticket that works, which it no longer does after this."""
    cur = await conn.execute(SQL["use_ticket"], {"ticket_hash": ticket_hash})
    row = await cur.fetchone()
    return None if row is None else (row[0], row[1])
