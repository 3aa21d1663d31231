"""This process's live connections, their subscriptions, and the delivery check.

The hub is the Publisher the services publish through: an event is encoded once, then sent
to the channel of each user who gets it. Each process subscribes to the channel of every
user with a connection here, and hands what arrives to those connections. Every second
it compares each connection's last sent seq with the log's head: a connection still behind
the head seen one check earlier missed something (the fan-out is best effort) and is caught
up from the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from app.realtime.connection import CatchUp, Close, Connection, Logged, Transient
from app.realtime.fanout import SupervisedRedisBackend, channel_of, create_broadcast
from app.realtime.frames import encode_data, frame

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from broadcaster import Broadcast

    from app.domain.models import Message, StatusChange
    from app.services.ports import Delivery
    from app.services.replay import ReplayService

log = logging.getLogger("chat.hub")

CHECK_BATCH = 5000
CLOSE_GOING_AWAY = 1001


class Hub:
    def __init__(
        self, redis_url: str | None, replay: ReplayService, check_seconds: float = 1.0
    ) -> None:
        self._replay = replay
        self._check_seconds = check_seconds
        self._broadcast: Broadcast = create_broadcast(redis_url, self._on_resubscribed)
        self._connections: dict[UUID, set[Connection]] = {}
        self._subscriptions: dict[UUID, asyncio.Task[None]] = {}
        self._users_by_channel: dict[str, UUID] = {}
        self._checker: asyncio.Task[None] | None = None
        self._draining = False

    async def start(self) -> None:
        await self._broadcast.connect()
        self._checker = asyncio.create_task(self._check_forever())

    @property
    def draining(self) -> bool:
        return self._draining

    async def drain(self) -> None:
        """Shutdown, first step: take no new connections, let in-flight sends finish, then
        close every socket with 1001 (its pending frames go out first)."""
        self._draining = True
        connections = [c for conns in self._connections.values() for c in conns]
        log.info("draining", extra={"connections": len(connections)})
        await asyncio.gather(*(c.close_when_idle(CLOSE_GOING_AWAY) for c in connections))

    async def stop(self) -> None:
        for connection in [c for conns in self._connections.values() for c in conns]:
            connection.offer(Close(CLOSE_GOING_AWAY, "server shutting down"))
        if self._checker is not None:
            self._checker.cancel()
        for task in list(self._subscriptions.values()):
            task.cancel()
        with contextlib.suppress(Exception):
            await self._broadcast.disconnect()

    # -- connections ---------------------------------------------------------------------

    async def attach(self, connection: Connection) -> None:
        """Registers the connection; returns once its user's channel is subscribed here."""
        user_id = connection.user_id
        self._connections.setdefault(user_id, set()).add(connection)
        if user_id not in self._subscriptions:
            subscribed = asyncio.Event()
            self._subscriptions[user_id] = asyncio.create_task(self._listen(user_id, subscribed))
            self._users_by_channel[channel_of(user_id)] = user_id
            await subscribed.wait()

    def detach(self, connection: Connection) -> None:
        user_id = connection.user_id
        remaining = self._connections.get(user_id)
        if remaining is None:
            return
        remaining.discard(connection)
        if not remaining:
            del self._connections[user_id]
            self._users_by_channel.pop(channel_of(user_id), None)
            task = self._subscriptions.pop(user_id, None)
            if task is not None:
                task.cancel()

    async def broker_ok(self) -> bool | None:
        """Whether Redis answers a PING; None when fan-out is in-process."""
        backend = self._broadcast._backend  # noqa: SLF001 - broadcaster exposes no accessor
        if not isinstance(backend, SupervisedRedisBackend):
            return None
        return await backend.ping()

    def connection_count(self) -> int:
        return sum(len(conns) for conns in self._connections.values())

    async def _listen(self, user_id: UUID, subscribed: asyncio.Event) -> None:
        try:
            async with self._broadcast.subscribe(channel_of(user_id)) as subscriber:
                subscribed.set()
                async for event in subscriber:  # type: ignore[union-attr]
                    if event is not None:
                        self._dispatch(user_id, event.message)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("subscription failed", extra={"user_id": str(user_id)})
        finally:
            subscribed.set()  # never leave attach() waiting

    def _dispatch(self, user_id: UUID, envelope: str) -> None:
        seq_text, origin, frame_text = envelope.split("|", 2)
        for connection in self._connections.get(user_id, ()):
            if seq_text:
                connection.offer(Logged(int(seq_text), frame_text, origin or None))
            else:
                connection.offer(Transient(frame_text))

    # -- publishing (the services' Publisher) --------------------------------------------

    async def publish(
        self, event: str, data: Message | StatusChange | object, deliveries: Sequence[Delivery]
    ) -> None:
        encoded = encode_data(data)
        for delivery in deliveries:
            text = frame(event, encoded, seq=delivery.seq)
            seq_text = "" if delivery.seq is None else str(delivery.seq)
            envelope = f"{seq_text}|{delivery.origin or ''}|{text}"
            try:
                await self._broadcast.publish(channel_of(delivery.user_id), envelope)
            except Exception as exc:  # the log has it; the check will deliver it
                log.warning("publish failed, delivery falls back to replay: %s", exc)

    # -- the delivery check --------------------------------------------------------------

    def _on_resubscribed(self, channel: str) -> None:
        user_id = self._users_by_channel.get(channel)
        for connection in self._connections.get(user_id, ()) if user_id else ():
            connection.offer(CatchUp())

    async def _check_forever(self) -> None:
        while True:
            await asyncio.sleep(self._check_seconds)
            try:
                await self.check_once()
            except Exception as exc:
                log.warning("delivery check failed: %s", exc)

    async def check_once(self) -> None:
        users = [u for u, conns in self._connections.items() if any(c.live for c in conns)]
        for start in range(0, len(users), CHECK_BATCH):
            heads = await self._replay.heads(users[start : start + CHECK_BATCH])
            for user_id, head in heads.items():
                for connection in self._connections.get(user_id, ()):
                    seen = connection.observed_head
                    if seen is not None and connection.last_sent < seen:
                        connection.offer(CatchUp(seen))
                    connection.observed_head = head
