"""Reports of a message by its recipient, for moderation (contract section 5). A report keeps
a copy of the content as it was: the one copy of a message that survives its deletion."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.db import message_changes, reports
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.domain.rules import check_report_reason
from app.services.access import require_participant

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.pool import Database
    from app.db.reports import Report


class ReportService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def report(
        self, user_id: UUID, conversation_id: UUID, message_id: UUID, reason: str
    ) -> UUID:
        check_report_reason(reason)
        async with self._db.connection() as conn:
            await require_participant(conn, conversation_id, user_id)
            message = await message_changes.message_by_id(conn, message_id)
            if message is None or message.conversation_id != conversation_id:
                raise NotFound("no such message in this conversation")
            if message.sender_id == user_id:
                raise ValidationFailed.field("messageId", "you cannot report your own message")
            if message.deleted_at is not None:
                raise Conflict("the message is deleted: nothing of it is left to report")
            return await reports.insert_report(conn, message, user_id, reason)

    async def newest(self, limit: int = 10_000) -> list[Report]:
        async with self._db.connection() as conn:
            return await reports.reports_newest_first(conn, limit)
