"""Batching for the hot path: calls made while one batch is in flight go together in the next.

Under light load a batch is one call, made at once; under heavy load batches grow, and what a
batch costs (a round trip, a commit) is shared by every call in it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """`run` takes a batch of items and returns one outcome per item, in order: a result, or
    the exception that item's caller gets. An exception raised by `run` goes to them all.
    Up to `in_flight` batches run at once: with more than one, a batch can form and start
    while another waits on its round trip."""

    def __init__(
        self,
        run: Callable[[list[T]], Awaitable[Sequence[R | Exception]]],
        max_batch: int,
        in_flight: int = 1,
    ) -> None:
        self._run = run
        self._max_batch = max_batch
        self._in_flight = in_flight
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        # counted down by the worker itself as it ends, not by a done-callback: the caller of
        # its last batch resumes first, and its next call must not count a finished worker
        self._running = 0
        self._workers: set[asyncio.Task[None]] = set()  # references, so none is collected

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._running < self._in_flight:
            self._running += 1
            worker = asyncio.create_task(self._work())
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)
        return await future

    async def _work(self) -> None:
        try:
            await self._work_through_pending()
        finally:
            self._running -= 1

    async def _work_through_pending(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: len(batch)]
            outcomes: Sequence[R | Exception]
            try:
                outcomes = await self._run([item for item, _ in batch])
            except Exception as exc:
                outcomes = [exc] * len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # its caller gave up
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
