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
        self._workers: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        return await self.enqueue(item)

    def enqueue(self, item: T) -> asyncio.Future[R]:
        """Adds the item to the next batch without waiting: the future is its outcome."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        # a worker is done as soon as it returns (the caller of its last batch may resume
        # before the loop has run any done-callback), so count only the ones not done
        self._workers = {worker for worker in self._workers if not worker.done()}
        if len(self._workers) < self._in_flight:
            self._workers.add(asyncio.create_task(self._work()))
        return future

    async def _work(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: len(batch)]
            outcomes = await self._outcomes([item for item, _ in batch])
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # its caller gave up
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    async def _outcomes(self, items: list[T]) -> Sequence[R | Exception]:
        """One outcome per item, whatever `run` does: else some callers would wait forever."""
        try:
            outcomes = await self._run(items)
        except Exception as exc:
            return [exc] * len(items)
        if len(outcomes) != len(items):
            mismatch = RuntimeError(f"{len(outcomes)} outcomes for a batch of {len(items)}")
            return [mismatch] * len(items)
        return outcomes
