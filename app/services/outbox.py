"""Reading each user's outbox: the backlog on connect, `sync`, and the repair of lost fan-out."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from app.db import outbox
from app.db.outbox import OutboxHead, PageRequest
from app.domain.events import log_frames
from app.lib.batching import Batcher
from app.lib.coalesce import Coalescer

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.pool import Database

PAGE = 1000  # events per page
PAGES_PER_QUERY = 32  # pages asked for together (connections starting at once) share a query


class OutboxPage(NamedTuple):
    """Events of a user's outbox, oldest first: their seqs, and their frames."""

    seqs: list[int]
    frames: list[str]


class OutboxService:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._heads = Coalescer(self.heads)
        self._pages = Batcher(self._read_pages, PAGES_PER_QUERY, in_flight=2)

    async def head(self, user_id: UUID) -> OutboxHead:
        """The user's newest and acked seq; connections starting at once share one query."""
        head = await self._heads.get(user_id)
        return OutboxHead(0, 0) if head is None else head

    async def heads(self, user_ids: list[UUID]) -> dict[UUID, OutboxHead]:
        async with self._db.connection() as conn:
            return await outbox.outbox_heads(conn, user_ids)

    async def page(self, user_id: UUID, since: int, until: int) -> OutboxPage:
        """Up to PAGE events with `since < seq <= until`, oldest first."""
        return await self._pages.submit(PageRequest(user_id, since, until))

    async def _read_pages(self, requests: list[PageRequest]) -> list[OutboxPage]:
        async with self._db.connection() as conn:
            pages = await outbox.outbox_pages(conn, requests, PAGE)
        return [OutboxPage([e.seq for e in page], log_frames(page)) for page in pages]
