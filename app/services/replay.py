"""Reading a user's replay log: the backlog on connect, `sync`, and gap repair."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.db import outbox
from app.db.outbox import LogHead, LogPage
from app.services.coalesce import Coalescer

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.pool import Database

PAGE = 1000


class ReplayService:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._heads = Coalescer(self.heads)

    async def head(self, user_id: UUID) -> LogHead:
        """The user's newest and acked seq; connections starting at once share one query."""
        head = await self._heads.get(user_id)
        return LogHead(0, 0) if head is None else head

    async def heads(self, user_ids: list[UUID]) -> dict[UUID, LogHead]:
        async with self._db.connection() as conn:
            return await outbox.log_heads(conn, user_ids)

    async def page(self, user_id: UUID, since: int, until: int) -> LogPage:
        """Up to PAGE events with `since < seq <= until`, oldest first, as frames."""
        async with self._db.connection() as conn:
            return await outbox.log_page(conn, user_id, since, until, PAGE)
