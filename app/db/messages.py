"""Messages: the send statement, history pages and search."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID  # noqa: TC003 - a field type of a Struct

import msgspec
from psycopg import errors as pg_errors

from app.db.pool import fetch_retrying
from app.db.queries import SQL
from app.domain.errors import NotFound
from app.domain.models import Message, MessageStatus

if TYPE_CHECKING:
    from collections.abc import Sequence

    from app.db.pool import Conn
    from app.domain.paging import PositionRange

MESSAGE_COLUMNS = 10


def message_from_row(row: Sequence[Any]) -> Message:
    """A Message from the first ten columns of a row, in the order every query selects them."""
    return Message(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        MessageStatus(row[5]),
        row[6],
        row[7],
        row[8],
        row[9],
    )


class Stored(msgspec.Struct, frozen=True):
    """What the send statement returns: the message, and the seq of its event in each log."""

    message: Message
    sender_seq: int
    recipient_seq: int | None  # None: an idempotent resend, nothing was appended
    created_conversation: bool

    @property
    def is_new(self) -> bool:
        return self.recipient_seq is not None


async def send_message(  # noqa: PLR0913 - the statement's parameters, each named
    conn: Conn,
    *,
    sender_id: UUID,
    content: str,
    recipient_id: UUID | None = None,
    conversation_id: UUID | None = None,
    client_message_id: str | None = None,
) -> Stored | None:
    """Stores one message and its two log events; None when the conversation is not the
    sender's (or does not exist). A repeated client_message_id returns the original."""
    params = {
        "sender_id": sender_id,
        "recipient_id": recipient_id,
        "conversation_id": conversation_id,
        "content": content,
        "client_message_id": client_message_id,
    }
    try:
        rows = await fetch_retrying(conn, SQL["send_message"], params)
    except pg_errors.ForeignKeyViolation as exc:
        raise NotFound("no such user") from exc
    row = rows[0] if rows else None
    if row is None:
        return None
    return Stored(message_from_row(row), row[10], row[11], bool(row[12]))


async def message_by_client_message_id(
    conn: Conn, sender_id: UUID, client_message_id: str
) -> Stored | None:
    cur = await conn.execute(
        SQL["message_by_client_message_id"],
        {"sender_id": sender_id, "client_message_id": client_message_id},
    )
    row = await cur.fetchone()
    if row is None:
        return None
    return Stored(message_from_row(row), row[10], None, created_conversation=False)


class ConversationSize(msgspec.Struct, frozen=True):
    participant1_id: UUID
    participant2_id: UUID
    message_count: int

    def has(self, user_id: UUID) -> bool:
        return user_id in (self.participant1_id, self.participant2_id)


async def conversation_size(conn: Conn, conversation_id: UUID) -> ConversationSize | None:
    cur = await conn.execute(SQL["conversation_size"], {"conversation_id": conversation_id})
    row = await cur.fetchone()
    return None if row is None else ConversationSize(*row)


async def message_position(conn: Conn, conversation_id: UUID, message_id: UUID) -> int | None:
    cur = await conn.execute(
        SQL["message_position"], {"conversation_id": conversation_id, "message_id": message_id}
    )
    row = await cur.fetchone()
    return None if row is None else int(row[0])


async def history_range(
    conn: Conn, conversation_id: UUID, positions: PositionRange
) -> list[Message]:
    if positions.first > positions.last:
        return []
    cur = await conn.execute(
        SQL["history_range"],
        {"conversation_id": conversation_id, "first": positions.first, "last": positions.last},
    )
    return [message_from_row(row) for row in await cur.fetchall()]


async def search_messages(
    conn: Conn, user_id: UUID, query: str, *, limit: int, offset: int
) -> tuple[list[Message], int]:
    """The caller's messages matching `query`, best first, and how many match in all."""
    cur = await conn.execute(
        SQL["search_messages"],
        {"user_id": user_id, "query": query, "limit": limit, "offset": offset},
    )
    rows = await cur.fetchall()
    total = int(rows[0][MESSAGE_COLUMNS]) if rows else 0
    return [message_from_row(row) for row in rows], total
