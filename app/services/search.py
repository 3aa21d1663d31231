"""Full-text search over the caller's own conversations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.db import messages
from app.domain.models import Message, Page
from app.domain.rules import check_search_query

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.pool import Database


class SearchService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def search(self, user_id: UUID, query: str, *, limit: int, offset: int) -> Page[Message]:
        text = check_search_query(query)
        async with self._db.connection() as conn:
            items, total = await messages.search_messages(
                conn, user_id, text, limit=limit, offset=offset
            )
        if not items and offset > 0:  # past the end: count without a page
            _, total = await self._count(user_id, text)
        return Page(items=items, total=total, limit=limit, offset=offset)

    async def _count(self, user_id: UUID, text: str) -> tuple[list[Message], int]:
        async with self._db.connection() as conn:
            return await messages.search_messages(conn, user_id, text, limit=1, offset=0)
