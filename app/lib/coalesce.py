"""One query for many callers: lookups asked for while one is in flight share the next one.

A reconnect storm asks for thousands of users' log heads within a second; answering each with
its own query would queue them behind the pool. Here every key asked for in the same moment
goes into one `= ANY(...)` query, and an idle server pays one event-loop turn for it.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Generic, TypeVar

from app.lib.batching import Batcher

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
MAX_BATCH = 1000


class Coalescer(Generic[K, V]):
    def __init__(self, fetch: Callable[[list[K]], Awaitable[dict[K, V]]]) -> None:
        self._fetch = fetch
        self._lookups: Batcher[K, V | None] = Batcher(self._fetch_distinct, MAX_BATCH)

    async def get(self, key: K) -> V | None:
        """The value for `key`, or None when the lookup found nothing for it."""
        return await self._lookups.submit(key)

    async def _fetch_distinct(self, keys: list[K]) -> list[V | None]:
        found = await self._fetch(list(dict.fromkeys(keys)))
        return [found.get(key) for key in keys]
