"""Per-user message rate limit: the `limits` moving window, in Redis when configured.

When Redis does not answer, each process falls back to its own in-memory window, as the
contract allows, and goes back to Redis on the next call that succeeds.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING

from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import BlockingConnectionPool

if TYPE_CHECKING:
    from uuid import UUID

log = logging.getLogger("chat.rate_limit")
NAMESPACE = "messages"
REDIS_CONNECTIONS = 32


class MessageRateLimiter:
    def __init__(self, limit: str, redis_url: str | None) -> None:
        self._item = parse(limit)
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        if redis_url:
            storage: Storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                wrap_exceptions=True,
                connection_pool=_blocking_pool(redis_url),  # type: ignore[arg-type] # documented, not annotated
            )
            self._shared = MovingWindowRateLimiter(storage)

    async def hit(self, user_id: UUID) -> int | None:
        key = str(user_id)
        limiters = [self._local] if self._shared is None else [self._shared, self._local]
        for limiter in limiters:
            try:
                if await limiter.hit(self._item, NAMESPACE, key):
                    return None
                stats = await limiter.get_window_stats(self._item, NAMESPACE, key)
            except StorageError as exc:  # Redis unreachable: count in this process instead
                log.warning("rate limit storage unavailable, counting locally: %s", exc)
                continue
            return max(1, math.ceil(stats.reset_time - time.time()))
        return None


def _blocking_pool(redis_url: str) -> BlockingConnectionPool:
    """A pool that makes a burst of sends wait for a connection (redis-py's default pool
    refuses past 100 with "Too many connections", which would silently fall back to local
    counting). Waiting for a free connection is contention, not an outage, so it may take
    longer than Redis itself gets to answer (a second) before counting falls back."""
    return BlockingConnectionPool.from_url(
        redis_url,
        max_connections=REDIS_CONNECTIONS,
        timeout=5.0,
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
    )
