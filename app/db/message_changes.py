"""Edits and deletions of a message, its earlier versions (sql/message_changes.sql)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from app.db.messages import limit_params, message_from_row, retry_after
from app.db.pool import fetch_retrying
from app.db.queries import SQL
from app.domain.models import Message, Version

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.pool import Conn
    from app.domain.rules import SendLimit


class Changed(msgspec.Struct, frozen=True):
    """The message after an edit or a delete (or as it was, when nothing changed), with the
    seq of the change's event in each participant's outbox, or why it was refused."""

    message: Message
    sender_seq: int | None = None
    recipient_seq: int | None = None
    refused: str | None = None  # 'not_sender', 'deleted', 'rate_limited'
    retry_after: int | None = None  # with 'rate_limited': seconds until the limit allows it

    @property
    def changed(self) -> bool:
        return self.sender_seq is not None


async def edit_message(  # noqa: PLR0913 - the statement's parameters, each named
    conn: Conn,
    user_id: UUID,
    message_id: UUID,
    content: str,
    conversation_id: UUID | None,
    *,
    limit: SendLimit,
) -> Changed | None:
    """None: no such message (in that conversation, when one is given). An edit counts against
    the user's `limit`, as a send does."""
    params = {
        "user_id": user_id,
        "message_id": message_id,
        "content": content,
        "conversation_id": conversation_id,
        **limit_params(limit),
    }
    changed = _changed(await fetch_retrying(conn, SQL["edit_message"], params))
    if changed is not None and changed.refused == "rate_limited":
        wait = await retry_after(conn, user_id, limit)
        return msgspec.structs.replace(changed, retry_after=wait)
    return changed


async def delete_message(
    conn: Conn, user_id: UUID, message_id: UUID, conversation_id: UUID | None
) -> Changed | None:
    """None: no such message (in that conversation, when one is given)."""
    params = {"user_id": user_id, "message_id": message_id, "conversation_id": conversation_id}
    return _changed(await fetch_retrying(conn, SQL["delete_message"], params))


def _changed(rows: list[tuple[Any, ...]]) -> Changed | None:
    if not rows:
        return None
    row = rows[0]
    return Changed(message_from_row(row), row[12], row[13], row[14])


async def message_by_id(conn: Conn, message_id: UUID) -> Message | None:
    cur = await conn.execute(SQL["message_in_conversation"], {"message_id": message_id})
    row = await cur.fetchone()
    return None if row is None else message_from_row(row)


async def earlier_versions(conn: Conn, message_id: UUID) -> list[Version]:
    cur = await conn.execute(SQL["message_versions"], {"message_id": message_id})
    return [Version(content, at) for content, at in await cur.fetchall()]
