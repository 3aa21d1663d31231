"""Group commit for the send path.

While one batch of sends is being written, the sends that arrive meanwhile wait, and go
together in the next batch: one pipeline, one transaction, one commit (one WAL flush) for
all of them. Under light load a batch is one send, written exactly as before; under heavy
load the batches grow and the cost per message falls. Writing one batch at a time per
process also fixes the order in which this process takes conversation and log locks.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from app.db.messages import SendRequest, Stored, send_message, send_messages

if TYPE_CHECKING:
    from app.db.pool import Database

log = logging.getLogger("chat.group_commit")
MAX_BATCH = 128

Pending = tuple[SendRequest, "asyncio.Future[Stored | None]"]


class GroupCommit:
    def __init__(self, db: Database, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._max_batch = max_batch
        self._pending: list[Pending] = []
        self._writer: asyncio.Task[None] | None = None

    async def send(self, request: SendRequest) -> Stored | None:
        future: asyncio.Future[Stored | None] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())
        return await future

    async def _write_pending(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: len(batch)]
            if len(batch) == 1:
                await self._write_alone(batch[0])
                continue
            try:
                async with self._db.connection() as conn:
                    results = await send_messages(conn, [request for request, _ in batch])
            except Exception as exc:  # one send failed and took the batch's transaction along
                log.info("batch of %d failed (%s); writing its sends one by one", len(batch), exc)
                for pending in batch:
                    await self._write_alone(pending)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _write_alone(self, pending: Pending) -> None:
        request, future = pending
        try:
            async with self._db.connection() as conn:
                result = await send_message(conn, request)
        except Exception as exc:  # handed to the waiting send, whatever it is
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)
