"""Reports for moderation (sql/reports.sql)."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - a field type of a Struct
from typing import TYPE_CHECKING
from uuid import UUID  # noqa: TC003 - a field type of a Struct

from psycopg.rows import class_row

from app.db.queries import SQL
from app.domain.models import CamelStruct

if TYPE_CHECKING:
    from app.db.pool import Conn
    from app.domain.models import Message


class Report(CamelStruct, frozen=True):
    """A report, with a copy of the message's content as it was when reported."""

    id: UUID
    message_id: UUID
    conversation_id: UUID
    sender_id: UUID
    reporter_id: UUID
    reason: str
    content: str
    sent_at: datetime
    created_at: datetime


async def insert_report(conn: Conn, message: Message, reporter_id: UUID, reason: str) -> UUID:
    cur = await conn.execute(
        SQL["insert_report"],
        {
            "message_id": message.id,
            "conversation_id": message.conversation_id,
            "sender_id": message.sender_id,
            "reporter_id": reporter_id,
            "reason": reason,
            "content": message.content,
            "sent_at": message.created_at,
        },
    )
    row = await cur.fetchone()
    assert row is not None  # noqa: S101 - INSERT ... RETURNING always returns the row
    report_id: UUID = row[0]
    return report_id


async def reports_newest_first(conn: Conn, limit: int) -> list[Report]:
    cur = await conn.cursor(row_factory=class_row(Report)).execute(
        SQL["reports_newest_first"], {"limit": limit}
    )
    return await cur.fetchall()
