"""One query for many callers: lookups asked for while one is in flight share the next one.

A reconnect storm asks for thousands of users' log heads within a second; answering each with
its own query would queue them behind the pool. Here every key asked for in the same moment
goes into one `= ANY(...)` query, and an idle server pays one event-loop turn for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
MAX_BATCH = 1000


class Coalescer(Generic[K, V]):
    def __init__(self, fetch: Callable[[list[K]], Awaitable[dict[K, V]]]) -> None:
        self._fetch = fetch
        self._waiting: dict[K, list[asyncio.Future[V | None]]] = {}
        self._drainer: asyncio.Task[None] | None = None

    async def get(self, key: K) -> V | None:
        """The value for `key`, or None when the lookup found nothing for it."""
        future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._drainer is None:
            self._drainer = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = {key: self._waiting.pop(key) for key in list(self._waiting)[:MAX_BATCH]}
                try:
                    found = await self._fetch(list(batch))
                except Exception as exc:  # every caller of this batch gets the error
                    _settle(batch, {}, exc)
                else:
                    _settle(batch, found, None)
        finally:
            self._drainer = None


def _settle(
    batch: dict[K, list[asyncio.Future[V | None]]], found: dict[K, V], failure: Exception | None
) -> None:
    for key, futures in batch.items():
        for future in futures:
            if future.done():  # its caller gave up
                continue
            if failure is None:
                future.set_result(found.get(key))
            else:
                future.set_exception(failure)
