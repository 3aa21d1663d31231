"""Throttles of /auth (contract section 6): limits' moving window, in Redis when configured
(every worker and node counts together), else in this process; when Redis does not answer,
each process counts on its own until it does again."""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

log = logging.getLogger("chat.throttles")


class Throttle:
    """One limit (e.g. "10/15 minutes") over keys in one namespace ("login", "auth")."""

    def __init__(self, limit: str, namespace: str, redis_url: str | None) -> None:
        self._item: RateLimitItem = parse(limit)
        self._namespace = namespace
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared = None
        if redis_url is not None:
            storage: Storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                wrap_exceptions=True,
                socket_timeout=1.0,
                socket_connect_timeout=1.0,
            )
            self._shared = MovingWindowRateLimiter(storage)

    async def hit(self, key: str) -> int | None:
        """Counts one; None when allowed, else the seconds to wait."""
        return await self._ask(key, count=True)

    async def exceeded(self, key: str) -> int | None:
        """Without counting: None while allowed, else the seconds until it is again."""
        return await self._ask(key, count=False)

    async def _ask(self, key: str, *, count: bool) -> int | None:
        limiter = self._shared or self._local
        try:
            allowed = await self._allowed(limiter, key, count=count)
        except StorageError as exc:
            log.warning("throttle storage unavailable, counting locally: %s", exc)
            limiter = self._local
            allowed = await self._allowed(limiter, key, count=count)
        return None if allowed else await self._retry_after(limiter, key)

    async def _allowed(self, limiter: MovingWindowRateLimiter, key: str, *, count: bool) -> bool:
        check = limiter.hit if count else limiter.test
        return await check(self._item, self._namespace, key)

    async def _retry_after(self, limiter: MovingWindowRateLimiter, key: str) -> int:
        try:
            stats = await limiter.get_window_stats(self._item, self._namespace, key)
        except StorageError:
            return int(self._item.get_expiry())
        return max(1, math.ceil(stats.reset_time - time.time()))
