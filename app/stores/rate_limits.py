"""Per-user message rate limit: the `limits` moving window, in Redis when configured.

In Redis, the hits of one moment share one round trip: each is limits' own moving-window
script, run once per hit (so each is counted exactly as a lone hit would be), pipelined.
Without Redis (one worker), or when Redis does not answer, each process counts in its own
moving window, as the contract allows, and goes back to Redis on the next call that succeeds.
That window is ours, not limits' MemoryStorage: after every hit, that storage walks all its
keys, each through a thread (`asyncio.to_thread`), which at a few hundred sends a second over
a few hundred users took more of the worker's CPU than the rest of the send path.
A send found to be a resend (which does not count) is taken back with `refund`.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from typing import TYPE_CHECKING, cast

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import NoScriptError, RedisError

from app.lib.batching import Batcher

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from limits.aio.storage.redis.redispy import RedispyBridge
    from limits.util import WindowStats

log = logging.getLogger("chat.rate_limit")
NAMESPACE = "messages"
REDIS_CONNECTIONS = 32
MAX_BATCH = 500


class MessageRateLimiter:
    def __init__(self, limit: str, redis_url: str | None) -> None:
        self._item = parse(limit)
        self._local = LocalWindow(self._item)
        self._shared = None if redis_url is None else SharedWindow(self._item, redis_url)

    async def hit(self, user_id: UUID) -> int | None:
        """Counts one message; None when allowed, else the seconds to wait."""
        key = str(user_id)
        if self._shared is not None:
            try:
                return await self._shared.hit(key)
            except StorageError as exc:  # Redis unreachable: count in this process instead
                log.warning("rate limit storage unavailable, counting locally: %s", exc)
        return self._local.hit(key)

    async def refund(self, user_id: UUID) -> None:
        """Takes back one counted message: the send was a resend, which does not count."""
        key = str(user_id)
        if self._shared is not None:
            try:
                await self._shared.refund(key)
            except StorageError as exc:
                log.warning("rate limit storage unavailable, refunding locally: %s", exc)
            else:
                return
        self._local.refund(key)


class LocalWindow:
    """A moving window in this process: a hit is allowed while fewer than `item.amount` hits
    were allowed in the last `item.get_expiry()` seconds, as limits' moving window counts."""

    def __init__(self, item: RateLimitItem, clock: Callable[[], float] = time.monotonic) -> None:
        self._amount = item.amount
        self._expiry = float(item.get_expiry())
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}  # allowed hits' times, oldest first
        self._next_sweep = clock() + self._expiry

    def hit(self, key: str) -> int | None:
        """None when allowed (and counted), else the seconds until it would be."""
        now = self._clock()
        if now >= self._next_sweep:
            self._sweep(now)
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self._expiry:
            hits.popleft()
        if len(hits) >= self._amount:  # an amount of 0 allows nothing, ever
            free_at = hits[0] + self._expiry if hits else now + self._expiry
            return max(1, math.ceil(free_at - now))
        hits.append(now)
        return None

    def refund(self, key: str) -> None:
        hits = self._hits.get(key)
        if hits:
            hits.pop()

    def keys(self) -> int:
        return len(self._hits)

    def _sweep(self, now: float) -> None:
        """Forgets the users with no hit left in the window, once per window length."""
        start = now - self._expiry
        self._hits = {key: hits for key, hits in self._hits.items() if hits and hits[-1] > start}
        self._next_sweep = now + self._expiry


class SharedWindow:
    """limits' moving window in Redis, its hits batched into pipelines."""

    def __init__(self, item: RateLimitItem, redis_url: str) -> None:
        self._item = item
        pool = _blocking_pool(redis_url)
        self._redis = Redis(connection_pool=pool)  # limits' client shares the pool
        self._storage = RedisStorage(
            "async+" + redis_url,
            implementation="redispy",
            wrap_exceptions=True,
            connection_pool=pool,  # type: ignore[arg-type] # documented, not annotated
        )
        self._bridge = cast("RedispyBridge", self._storage.bridge)  # implementation="redispy"
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._hits: Batcher[str, bool] = Batcher(self._acquire, MAX_BATCH)

    async def hit(self, key: str) -> int | None:
        if await self._hits.submit(key):
            return None
        return _retry_after(await self._limiter.get_window_stats(self._item, NAMESPACE, key))

    async def refund(self, key: str) -> None:
        """Drops the newest hit of the key's window (limits keeps it as a list, newest first)."""
        try:
            await self._redis.lpop(self._redis_key(key))
        except RedisError as exc:
            raise StorageError(exc) from exc

    def _redis_key(self, key: str) -> str:
        return self._bridge.prefixed_key(self._item.key_for(NAMESPACE, key))

    async def _acquire(self, keys: list[str]) -> list[bool]:
        """What `MovingWindowRateLimiter.hit` does for one key, for each of `keys` in turn, in
        one round trip."""
        script = self._bridge.lua_acquire_moving_window
        redis_keys = [self._redis_key(key) for key in keys]
        args = (time.time(), self._item.amount, self._item.get_expiry(), 1)
        try:
            results = await self._run_script(script.sha, redis_keys, args)
            if any(isinstance(r, NoScriptError) for r in results):
                # a restarted Redis has lost the script, so every hit failed: load it, run again
                script.sha = await self._redis.script_load(script.script)
                results = await self._run_script(script.sha, redis_keys, args)
        except RedisError as exc:
            raise StorageError(exc) from exc
        failed = [r for r in results if isinstance(r, Exception)]
        if failed:
            raise StorageError(failed[0])
        return [bool(r) for r in results]

    async def _run_script(
        self, sha: str, redis_keys: list[str], args: tuple[float, int, int, int]
    ) -> list[object]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for redis_key in redis_keys:
                pipe.evalsha(sha, 1, redis_key, *args)
            return list(await pipe.execute(raise_on_error=False))


def _retry_after(stats: WindowStats) -> int:
    return max(1, math.ceil(stats.reset_time - time.time()))


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
