"""Fan-out between processes over broadcaster: one channel per user.

broadcaster 0.3.1's Redis backend has two defects we neutralise here:
- its listener can start before the first SUBSCRIBE is sent, find no subscription, and
  park until the next one (the first channel of a process missed everything);
- after a Redis disconnect the listener task dies and every subscriber waits forever
  (encode/broadcaster#144).
`SupervisedRedisBackend` subscribes before waking the listener, keeps listening through
disconnects, and reports every re-subscription so the hub can catch connections up from the
replay log. Whatever is lost in between, the periodic log check repairs too.

Messages go from the listener straight to a callback (the hub's dispatch), not through
broadcaster's per-subscriber queues: those cost a task, a queue and two task switches per
message for each user with a connection here.

It also carries presence notices: a process that subscribes to a user's channel says so on
`PRESENCE_CHANNEL`, so that processes which stopped publishing to that channel (nobody else
listened) start again. The notices of connections starting together go in one pipeline: one
round trip each would hold the bounded pool's connections while the process is busy, and a
crowd of connects (after a restart) lost a third of its notices to the pool's timeout.
Likewise, the channels subscribed (or unsubscribed) together go in one SUBSCRIBE (or
UNSUBSCRIBE) command.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from broadcaster import Broadcast
from broadcaster._backends.memory import MemoryBackend
from broadcaster._backends.redis import RedisBackend
from redis import asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.batching import Batcher

if TYPE_CHECKING:
    from collections.abc import Callable

log = logging.getLogger("chat.fanout")
RETRY_SECONDS = 0.5
PRESENCE_CHANNEL = "chat:presence"
NOTICES_PER_ROUND_TRIP = 1000
CHANNELS_PER_COMMAND = 1000


def channel_of(user_id: object) -> str:
    return f"chat:user:{user_id}"


class SupervisedRedisBackend(RedisBackend):
    def __init__(
        self,
        url: str,
        own_prefix: str,
        on_message: Callable[[str, str], None],
        on_resubscribed: Callable[[str], None],
        on_presence: Callable[[str], None],
    ) -> None:
        super().__init__(url)
        self._own_prefix = own_prefix.encode()
        self._conn = redis.Redis(
            connection_pool=redis.BlockingConnectionPool.from_url(
                url, max_connections=8, timeout=1.0, socket_timeout=1.0, socket_connect_timeout=1.0
            )
        )
        self._pubsub = redis.Redis.from_url(url, socket_connect_timeout=1.0).pubsub()
        self._on_message = on_message
        self._on_resubscribed = on_resubscribed
        self._on_presence = on_presence
        self._confirmed: set[str] = set()
        self._notices = Batcher(self._send_notices, NOTICES_PER_ROUND_TRIP)
        self._subscriptions = Batcher(self._subscribe_all, CHANNELS_PER_COMMAND)
        self._unsubscriptions = Batcher(self._unsubscribe_all, CHANNELS_PER_COMMAND)

    async def subscribe(self, channel: str) -> None:
        await self._subscriptions.submit(channel)

    async def unsubscribe(self, channel: str) -> None:
        await self._unsubscriptions.submit(channel)

    async def _subscribe_all(self, channels: list[str]) -> list[None]:
        await self._pubsub.subscribe(*channels)
        self._ready.set()
        return [None] * len(channels)

    async def _unsubscribe_all(self, channels: list[str]) -> list[None]:
        await self._pubsub.unsubscribe(*channels)
        return [None] * len(channels)

    def is_subscribed(self, channel: str) -> bool:
        """Whether Redis has confirmed this process's subscription to `channel`."""
        return channel in self._confirmed

    async def publish_many(self, messages: list[tuple[str, str]]) -> list[int]:
        """Publishes several messages in one round trip; returns how many subscribers (this
        process included) each reached."""
        async with self._conn.pipeline(transaction=False) as pipe:
            for channel, message in messages:
                pipe.publish(channel, message)
            return [int(count) for count in await pipe.execute()]

    async def announce(self, channel: str) -> None:
        """Tells the other processes that this one now listens on `channel`."""
        await self._notices.submit(channel)

    async def _send_notices(self, channels: list[str]) -> list[None]:
        prefix = self._own_prefix.decode()
        await self.publish_many([(PRESENCE_CHANNEL, prefix + channel) for channel in channels])
        return [None] * len(channels)

    async def ping(self) -> bool:
        try:
            return bool(await self._conn.ping())
        except Exception:
            return False

    async def _pubsub_listener(self) -> None:
        while True:
            await self._ready.wait()
            try:
                async for message in self._pubsub.listen():
                    self._handle(message)
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                log.warning("redis pubsub connection lost, reconnecting: %s", exc)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            except Exception:
                log.exception("redis pubsub listener failed, restarting it")
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if not self._pubsub.subscribed:
                self._ready.clear()

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        channel = message["channel"].decode()
        if kind == "message":
            if message["data"].startswith(self._own_prefix):
                return  # this process published it, and delivered it here when it did
            if channel == PRESENCE_CHANNEL:
                self._on_presence(message["data"].decode().split("|", 1)[-1])
                return
            self._on_message(channel, message["data"].decode())
        elif kind == "subscribe":
            if channel in self._confirmed:  # redis-py reconnected and subscribed again
                self._on_resubscribed(channel)
            self._confirmed.add(channel)
        elif kind == "unsubscribe":
            self._confirmed.discard(channel)


def create_broadcast(
    redis_url: str | None,
    own_prefix: str,
    on_message: Callable[[str, str], None],
    on_resubscribed: Callable[[str], None],
    on_presence: Callable[[str], None],
) -> Broadcast:
    """Fan-out through Redis, or in-process without it. A message starting with `own_prefix`
    is this process's own: Redis sends it back, and it is dropped as it arrives."""
    if redis_url is None:
        return Broadcast(backend=MemoryBackend("memory://"))
    backend = SupervisedRedisBackend(
        redis_url, own_prefix, on_message, on_resubscribed, on_presence
    )
    return Broadcast(backend=backend)
