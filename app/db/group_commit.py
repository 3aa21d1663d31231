"""Group commit for the send path.

While one batch of sends is being written, the sends that arrive meanwhile wait, and go
together in the next batch: one statement, one transaction, one commit (one WAL flush) for
all of them. Under light load a batch is one send, written by the single-send statement; under heavy
load the batches grow and the cost per message falls.

Two batches may be in flight, so one is written while the other waits for its commit. They
cannot deadlock or reorder a user's events: each statement locks the logs it appends to in
user id order before anything else, and a connection sends one message at a time.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from psycopg_pool import PoolTimeout

from app.db.messages import SendRequest, Stored, send_message, send_messages
from app.domain.errors import Unavailable
from app.lib.batching import Batcher

if TYPE_CHECKING:
    from app.db.pool import Database
    from app.domain.rules import SendLimit

log = logging.getLogger("chat.group_commit")
MAX_BATCH = 128
IN_FLIGHT = 2

Outcome = Stored | Exception


class GroupCommit:
    def __init__(self, db: Database, limit: SendLimit, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._limit = limit
        self._batcher: Batcher[SendRequest, Stored] = Batcher(self._write, max_batch, IN_FLIGHT)

    async def send(self, request: SendRequest) -> Stored:
        """The stored message (or the original of a resend); raises why it was refused."""
        return await self._batcher.submit(request)

    async def _write(self, batch: list[SendRequest]) -> list[Outcome]:
        if len(batch) == 1:
            return [await self._write_alone(batch[0])]
        try:
            async with self._db.connection() as conn:
                return list(await send_messages(conn, batch, self._limit))
        except Exception as exc:
            if isinstance(exc, Unavailable) and isinstance(exc.__cause__, PoolTimeout):
                return [exc] * len(batch)  # no connection within the timeout: none for each
            log.info("batch of %d failed (%s); writing its sends one by one", len(batch), exc)
            return await self._write_one_by_one(batch)

    async def _write_one_by_one(self, batch: list[SendRequest]) -> list[Outcome]:
        """Each send alone, so that one bad send fails only itself. Once the database does
        not answer, the rest get that answer at once: each would wait out the pool's timeout
        in turn, and the last of a batch of 20 would hear back after 100 s."""
        outcomes: list[Outcome] = []
        for request in batch:
            outcome = await self._write_alone(request)
            outcomes.append(outcome)
            if isinstance(outcome, Unavailable):
                outcomes.extend([outcome] * (len(batch) - len(outcomes)))
                break
        return outcomes

    async def _write_alone(self, request: SendRequest) -> Outcome:
        try:
            async with self._db.connection() as conn:
                return await send_message(conn, request, self._limit)
        except Exception as exc:  # handed to the waiting send, whatever it is
            return exc
