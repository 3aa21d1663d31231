"""Conversations and the list a user sees of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psycopg import errors as pg_errors
from psycopg.rows import dict_row

from app.db.queries import SQL
from app.domain.errors import NotFound
from app.domain.models import Conversation, LastMessage, Participant

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.pool import Conn


async def open_conversation(conn: Conn, pair: tuple[UUID, UUID]) -> tuple[UUID, bool]:
    """Gets or creates the conversation of a canonical pair: (its id, whether it was created)."""
    params = {"participant1_id": pair[0], "participant2_id": pair[1]}
    try:
        cur = await conn.execute(SQL["open_conversation"], params)
    except pg_errors.ForeignKeyViolation as exc:
        raise NotFound("no such user") from exc
    row = await cur.fetchone()
    if row is None:  # created by a concurrent request after this statement's snapshot
        cur = await conn.execute(SQL["open_conversation"], params)
        row = await cur.fetchone()
    assert row is not None  # noqa: S101 - the second read sees the committed row
    return row[0], bool(row[1])


async def conversation_participants(conn: Conn, conversation_id: UUID) -> tuple[UUID, UUID] | None:
    cur = await conn.execute(SQL["conversation_participants"], {"conversation_id": conversation_id})
    row = await cur.fetchone()
    return None if row is None else (row[0], row[1])


def _conversation_from(row: dict[str, Any]) -> Conversation:
    last = None
    if row["last_message_id"] is not None:
        last = LastMessage(
            id=row["last_message_id"],
            content=row["last_message_content"],
            sender_id=row["last_message_sender_id"],
            created_at=row["last_message_created_at"],
        )
    return Conversation(
        id=row["id"],
        participants=[
            Participant(row["participant1_id"], row["participant1_username"]),
            Participant(row["participant2_id"], row["participant2_username"]),
        ],
        last_message=last,
        unread_count=int(row["unread_count"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def conversation_view(
    conn: Conn, conversation_id: UUID, user_id: UUID
) -> Conversation | None:
    cur = await conn.cursor(row_factory=dict_row).execute(
        SQL["conversation_view"], {"conversation_id": conversation_id, "user_id": user_id}
    )
    row = await cur.fetchone()
    return None if row is None else _conversation_from(row)


async def conversations_of_user(
    conn: Conn, user_id: UUID, *, limit: int, offset: int
) -> tuple[list[Conversation], int]:
    cur = await conn.cursor(row_factory=dict_row).execute(
        SQL["conversations_of_user"], {"user_id": user_id, "limit": limit, "offset": offset}
    )
    items = [_conversation_from(row) for row in await cur.fetchall()]
    total_cur = await conn.execute(SQL["count_conversations_of_user"], {"user_id": user_id})
    total_row = await total_cur.fetchone()
    return items, int(total_row[0]) if total_row else 0
