"""Delivery between processes: broadcaster over Redis, one channel per user.

This process listens on the channel of every user with a connection here (one broadcaster
subscription per user, for as long as they have one), and hands what arrives to the hub.
It publishes an event to a user's channel only while another process may listen there
(`RemoteListeners`), write-behind: publishing never waits for Redis, and what accumulates
meanwhile goes in one pipelined round trip. A process that starts listening to a user says
so on `PRESENCE_CHANNEL`, so that processes which stopped publishing there start again.

Best effort: what is lost here the outbox has, and the delivery check sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING

from broadcaster import Broadcast

from app.lib.batching import Batcher
from app.realtime.listeners import RemoteListeners
from app.realtime.redis_backend import RESUBSCRIBED, RedisBackend

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

log = logging.getLogger("chat.broker")

PRESENCE_CHANNEL = "chat:presence"
PUBLISH_BATCH = 500
NOTICES_PER_ROUND_TRIP = 1000
# How long a new listener waits for Redis to confirm its subscription before it reads its
# backlog anyway (Redis away: the delivery check brings what it then misses).
CONFIRM_SECONDS = 1.0


def channel_of(user_id: object) -> str:
    return f"chat:user:{user_id}"


class Broker:
    def __init__(
        self,
        redis_url: str,
        deliver: Callable[[UUID, int | None, str], None],
        catch_up: Callable[[UUID], None],
    ) -> None:
        """`deliver(user, seq, frame)` gets what other processes publish to a user listened to
        here; `catch_up(user)` is called when that user's channel may have missed some."""
        self._process = uuid.uuid4().hex[:12]
        self._prefix = f"{self._process}|"
        self._backend = RedisBackend(redis_url, self._prefix)
        self._broadcast = Broadcast(backend=self._backend)
        self._deliver = deliver
        self._catch_up = catch_up
        self._listeners = RemoteListeners()
        self._subscriptions: dict[UUID, asyncio.Task[None]] = {}
        self._presence: asyncio.Task[None] | None = None
        self._channels: list[asyncio.Task[None]] = []  # follow(): other channels listened to
        self._notifying: set[asyncio.Task[None]] = set()
        self._notices = Batcher(self._send_notices, NOTICES_PER_ROUND_TRIP)
        self._unpublished: list[tuple[UUID, str, str]] = []  # (user, channel, envelope)
        self._publisher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._broadcast.connect()
        self._presence = asyncio.create_task(self._follow_presence())
        await self._backend.confirmed(PRESENCE_CHANNEL, CONFIRM_SECONDS)

    async def stop(self) -> None:
        for task in [*self._subscriptions.values(), *self._channels, self._presence]:
            if task is not None:
                task.cancel()
        await asyncio.gather(*self._subscriptions.values(), return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._broadcast.disconnect()

    async def ping(self) -> bool:
        return await self._backend.ping()

    # -- other channels (revocations, say) ----------------------------------------------

    def follow(self, channel: str, on_message: Callable[[str], None]) -> None:
        """Hands each message other processes send on `channel` to `on_message`."""

        async def listen() -> None:
            async with self._broadcast.subscribe(channel) as subscriber:
                while True:
                    event = await subscriber.get()
                    if event.message != RESUBSCRIBED:
                        on_message(event.message.split("|", 1)[-1])  # less the sender

        self._channels.append(asyncio.create_task(listen()))

    def notify(self, channel: str, message: str) -> None:
        """Sends `message` to the other processes following `channel`, without waiting."""

        async def send() -> None:
            try:
                await self._backend.publish_many([(channel, self._prefix + message)])
            except Exception as exc:  # the other processes' sweeps catch what this loses
                log.warning("notice on %s failed: %s", channel, exc)

        task = asyncio.create_task(send())
        self._notifying.add(task)
        task.add_done_callback(self._notifying.discard)

    # -- listening -----------------------------------------------------------------------

    async def listen(self, user_id: UUID) -> None:
        """Listens on the user's channel (if not already); returns once Redis confirmed it (or
        CONFIRM_SECONDS passed), and other processes have been told."""
        channel = channel_of(user_id)
        first = user_id not in self._subscriptions
        if first:
            self._listeners.subscriptions_changed()
            self._subscriptions[user_id] = asyncio.create_task(self._follow(user_id, channel))
        await self._backend.confirmed(channel, CONFIRM_SECONDS)
        if first:
            await self._announce(channel)

    def stop_listening(self, user_id: UUID) -> None:
        task = self._subscriptions.pop(user_id, None)
        if task is not None:
            self._listeners.subscriptions_changed()
            task.cancel()

    async def _follow(self, user_id: UUID, channel: str) -> None:
        async with self._broadcast.subscribe(channel) as subscriber:
            while True:
                event = await subscriber.get()
                if event.message == RESUBSCRIBED:
                    self._listeners.forget()  # presence notices may have been lost meanwhile
                    self._catch_up(user_id)
                    continue
                _, seq_text, text = event.message.split("|", 2)
                self._deliver(user_id, int(seq_text) if seq_text else None, text)

    async def _follow_presence(self) -> None:
        async with self._broadcast.subscribe(PRESENCE_CHANNEL) as subscriber:
            while True:
                event = await subscriber.get()
                if event.message == RESUBSCRIBED:
                    self._listeners.forget()
                else:
                    self._listeners.someone_listens(event.message.split("|", 1)[-1])

    async def _announce(self, channel: str) -> None:
        """Before the connection reads its backlog, so that what is sent after it is
        published here too."""
        try:
            await self._notices.submit(channel)
        except Exception as exc:  # the delivery check delivers what a late notice costs
            log.warning("presence notice failed: %s", exc)

    async def _send_notices(self, channels: list[str]) -> list[None]:
        await self._backend.publish_many([(PRESENCE_CHANNEL, self._prefix + c) for c in channels])
        return [None] * len(channels)

    # -- publishing ----------------------------------------------------------------------

    def publish(self, user_id: UUID, seq: int | None, text: str) -> None:
        """Sends the frame to the user's other processes, unless none listens there."""
        channel = channel_of(user_id)
        if self._listeners.none_elsewhere(channel):
            return
        envelope = f"{self._prefix}{'' if seq is None else seq}|{text}"
        self._unpublished.append((user_id, channel, envelope))
        if self._publisher is None or self._publisher.done():
            self._publisher = asyncio.create_task(self._publish_pending())

    async def _publish_pending(self) -> None:
        """Sends what waits, in order, in as few round trips as the load allows; learns from
        each answer which channels no other process listens on."""
        while self._unpublished:
            batch = self._unpublished[:PUBLISH_BATCH]
            del self._unpublished[: len(batch)]
            snapshot = self._listeners.snapshot()
            here = [self._listening_here(user_id) for user_id, _, _ in batch]
            try:
                counts = await self._backend.publish_many([(c, e) for _, c, e in batch])
            except Exception as exc:  # the outbox has it; the delivery check will send it
                log.warning("publish failed, delivery falls back to the outbox: %s", exc)
                continue
            self._listeners.learn(
                snapshot,
                (
                    (channel, count, was if was == self._listening_here(user_id) else None)
                    for (user_id, channel, _), count, was in zip(batch, counts, here, strict=True)
                ),
            )

    def _listening_here(self, user_id: UUID) -> bool:
        return user_id in self._subscriptions and self._backend.is_subscribed(channel_of(user_id))
