"""How many `/chat` connections each user holds, across every worker and node (contract
section 1, CHAT_MAX_CONNECTIONS_PER_USER).

In Redis, each user's hash counts their connections per process, and each process keeps a
heartbeat key alive: a count whose process's heartbeat is gone (it died) no longer counts, so
its slots are free again within HEARTBEAT_TTL. Without Redis, or while it does not answer, each
process counts its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING

from redis import asyncio as redis
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from uuid import UUID

log = logging.getLogger("chat.connection_slots")

HEARTBEAT_EVERY = 0.5
HEARTBEAT_TTL_MS = 2000
PREFIX = "chat:slots:"

# KEYS[1]: the user's hash. ARGV: the limit, this process, the heartbeat keys' prefix.
# Counts the connections of live processes (forgetting the dead), and takes a slot if one is
# free: the new count, or -1 when the user is at the limit.
_ACQUIRE = """
local fields = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #fields, 2 do
  if redis.call('EXISTS', ARGV[3] .. fields[i]) == 1 then
    total = total + tonumber(fields[i + 1])
  else
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
if total >= tonumber(ARGV[1]) then return -1 end
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
redis.call('PEXPIRE', KEYS[1], 86400000)
return total + 1
"""


class ConnectionSlots:
    def __init__(self, limit: int, redis_url: str | None) -> None:
        self._limit = limit
        self._process = uuid.uuid4().hex[:12]
        self._local: dict[UUID, int] = {}
        self._redis = None
        if redis_url is not None:
            self._redis = redis.Redis.from_url(
                redis_url, socket_timeout=1.0, socket_connect_timeout=1.0
            )
            self._acquire = self._redis.register_script(_ACQUIRE)
        self._heartbeat: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Starts the heartbeat. A Redis that does not answer yet does not stop the process
        from serving: until it does, each process counts its own."""
        if self._redis is not None:
            await self._beat_once()
            self._heartbeat = asyncio.create_task(self._beat_forever())

    async def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._redis is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._redis.delete(self._alive_key)
            await self._redis.aclose()

    async def acquire(self, user_id: UUID) -> bool | None:
        """Takes a slot: None when the user holds the limit already; else whether it was
        counted in Redis (pass that to release)."""
        if self._redis is not None:
            try:
                taken = await self._acquire(
                    keys=[PREFIX + str(user_id)],
                    args=[self._limit, self._process, PREFIX + "alive:"],
                )
            except (RedisError, OSError) as exc:
                log.warning("connection slots unavailable in Redis, counting here: %s", exc)
            else:
                return None if int(taken) < 0 else True
        if self._local.get(user_id, 0) >= self._limit:
            return None
        self._local[user_id] = self._local.get(user_id, 0) + 1
        return False

    async def release(self, user_id: UUID, *, shared: bool) -> None:
        if not shared:
            left = self._local.get(user_id, 0) - 1
            if left > 0:
                self._local[user_id] = left
            else:
                self._local.pop(user_id, None)
            return
        assert self._redis is not None  # noqa: S101 - only a slot taken in Redis is shared
        with contextlib.suppress(RedisError, OSError):  # lost: it lapses with the heartbeat
            key = PREFIX + str(user_id)
            if await self._redis.hincrby(key, self._process, -1) <= 0:
                await self._redis.hdel(key, self._process)

    @property
    def _alive_key(self) -> str:
        return f"{PREFIX}alive:{self._process}"

    async def _beat(self) -> None:
        assert self._redis is not None  # noqa: S101 - only with Redis
        await self._redis.set(self._alive_key, 1, px=HEARTBEAT_TTL_MS)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_EVERY)
            await self._beat_once()

    async def _beat_once(self) -> None:
        try:
            await self._beat()
        except (RedisError, OSError) as exc:
            log.warning("connection slots heartbeat failed: %s", exc)
