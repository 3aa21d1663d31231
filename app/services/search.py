"""Full-text search over the caller's own conversations."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from app.db import messages
from app.domain.errors import Unavailable
from app.domain.models import Message, Page
from app.domain.rules import check_search_query

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.pool import Database


log = logging.getLogger("chat.search")

# How often a worker merges the search index's pending list (sql/messages.sql,
# merge_search_pending): often enough that a merge is short and the list never reaches the
# size at which a send would have to merge it.
MERGE_EVERY_SECONDS = 1.0


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

    async def merge_new_messages(self) -> int | None:
        """Moves new messages' words from the search index's pending list into the index, so
        that no send has to (pages emptied; None when another worker was merging)."""
        async with self._db.connection() as conn:
            return await messages.merge_search_pending(conn)

    async def keep_merging(self, every_seconds: float = MERGE_EVERY_SECONDS) -> None:
        """merge_new_messages() on a clock, for the worker's life; cancel it at shutdown."""
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await self.merge_new_messages()
            except Unavailable:
                continue  # the database is away: the next tick tries again
            except Exception:
                # Not the service's to fix (the index's owner is another role, say): sends
                # then merge the list themselves when it is full, as before.
                log.warning("search index merges stopped", exc_info=True)
                return
