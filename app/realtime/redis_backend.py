"""broadcaster's backend over Redis pub/sub, as this service needs it.

broadcaster 0.3.1's own Redis backend starts listening before anything is subscribed (and then
waits for the next subscription) and stops for good after a disconnect (encode/broadcaster#144).
This one, plugged in with `Broadcast(backend=...)`:
- keeps listening through disconnects: redis-py subscribes again as it reconnects, and each
  channel subscribed again is reported as an event with the message `RESUBSCRIBED`, so that
  whoever listens there can catch up from the outbox;
- batches subscription changes: the channels subscribed (or unsubscribed) together go in one
  SUBSCRIBE (or UNSUBSCRIBE), in the order asked, and asking never waits (`confirmed` does);
- drops what this process published itself (it delivered those when it published them);
- publishes many messages in one round trip and says how many subscribers each reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from itertools import groupby
from typing import TYPE_CHECKING, Any

from broadcaster import BroadcastBackend, Event
from redis import asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.lib.batching import Batcher

if TYPE_CHECKING:
    from collections.abc import Sequence

log = logging.getLogger("chat.redis")

RESUBSCRIBED = ""  # the message of a re-subscription event; a publication is never empty
RETRY_SECONDS = 0.5
CHANNELS_PER_COMMAND = 1000
SUBSCRIBE, UNSUBSCRIBE = "subscribe", "unsubscribe"


class RedisBackend(BroadcastBackend):
    def __init__(self, url: str, own_prefix: str) -> None:
        """`own_prefix` starts every message this process publishes (not BroadcastBackend's
        __init__, which only raises)."""
        if not own_prefix:
            raise ValueError("own_prefix must not be empty")
        self._own_prefix = own_prefix.encode()
        self._commands = redis.Redis(
            connection_pool=redis.BlockingConnectionPool.from_url(
                url, max_connections=8, timeout=1.0, socket_timeout=1.0, socket_connect_timeout=1.0
            )
        )
        self._pubsub = redis.Redis.from_url(url, socket_connect_timeout=1.0).pubsub()
        self._listening = asyncio.Event()  # set once something is subscribed
        self._changes: Batcher[tuple[str, str], None] = Batcher(
            self._apply_changes, CHANNELS_PER_COMMAND
        )
        self._confirmed: set[str] = set()
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        self._resubscribed: deque[Event] = deque()

    async def connect(self) -> None:
        """Nothing to open: redis-py connects on the first command."""

    async def disconnect(self) -> None:
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        with contextlib.suppress(Exception):
            await self._commands.aclose()

    async def subscribe(self, group: str) -> None:
        self._change(SUBSCRIBE, group)

    async def unsubscribe(self, group: str) -> None:
        self._change(UNSUBSCRIBE, group)

    async def publish(self, channel: str, message: Any) -> None:  # noqa: ANN401 - the base's signature
        await self.publish_many([(channel, str(message))])

    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> list[int]:
        """Publishes in one round trip; returns how many subscribers (this process included)
        each message reached."""
        async with self._commands.pipeline(transaction=False) as pipe:
            for channel, message in messages:
                pipe.publish(channel, message)
            return [int(count) for count in await pipe.execute()]

    def is_subscribed(self, channel: str) -> bool:
        """Whether Redis has confirmed this process's subscription to `channel`."""
        return channel in self._confirmed

    async def confirmed(self, channel: str, seconds: float) -> bool:
        """Waits (at most `seconds`) until Redis confirms the subscription to `channel`."""
        if channel in self._confirmed:
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(channel, []).append(waiter)
        try:
            await asyncio.wait_for(waiter, seconds)
        except TimeoutError:
            return False
        finally:
            waiters = self._waiting.get(channel, [])
            if waiter in waiters:
                waiters.remove(waiter)
            if not waiters:
                self._waiting.pop(channel, None)
        return True

    async def ping(self) -> bool:
        try:
            return bool(await self._commands.ping())
        except Exception:
            return False

    async def next_published(self) -> Event:
        while True:
            if self._resubscribed:
                return self._resubscribed.popleft()
            await self._listening.wait()
            try:
                message = await self._pubsub.get_message(timeout=None)
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                log.warning("redis pubsub connection lost, reconnecting: %s", exc)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            except Exception:
                log.exception("redis pubsub read failed, reading on")
                await asyncio.sleep(RETRY_SECONDS)
                continue
            event = None if message is None else self._event_of(message)
            if event is not None:
                return event

    # -- internals -------------------------------------------------------------------------

    def _change(self, kind: str, channel: str) -> None:
        self._changes.enqueue((kind, channel))  # its outcome is always None

    async def _apply_changes(self, changes: list[tuple[str, str]]) -> list[None]:
        try:
            for kind, run in groupby(changes, key=lambda change: change[0]):
                channels = [channel for _, channel in run]
                if kind == SUBSCRIBE:
                    await self._pubsub.subscribe(*channels)
                    self._listening.set()
                else:
                    await self._pubsub.unsubscribe(*channels)
        except Exception as exc:  # the delivery check delivers what a missing one costs
            log.warning("subscription change failed: %s", exc)
        return [None] * len(changes)

    def _event_of(self, message: dict[str, Any]) -> Event | None:
        kind = message["type"]
        channel = message["channel"].decode()
        if kind == "message":
            data: bytes = message["data"]
            if data.startswith(self._own_prefix):
                return None
            return Event(channel, data.decode())
        if kind == "subscribe":
            if channel in self._confirmed:  # redis-py reconnected and subscribed again
                self._resubscribed.append(Event(channel, RESUBSCRIBED))
            self._confirmed.add(channel)
            for waiter in self._waiting.pop(channel, []):
                if not waiter.done():
                    waiter.set_result(None)
        elif kind == "unsubscribe":
            self._confirmed.discard(channel)
        return None
