"""This process's live connections, their subscriptions, and the delivery check.

The hub is the Publisher the services publish through: an event is encoded once, then sent
to the channel of each user who gets it, unless no other process listens there
(`RemoteListeners`). Each process subscribes to the channel of every user with a connection
here, and hands what arrives to those connections as it arrives. Every second it compares
the last sent seq of up to 1,000 users' connections (the next ones in turn, a tenth at a time)
with their logs' heads: a connection still behind the head seen one check earlier missed
something (the fan-out is best effort) and is caught up from the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING

from app.realtime.connection import CatchUp, Close, Connection, Logged, Transient
from app.realtime.fanout import (
    PRESENCE_CHANNEL,
    SupervisedRedisBackend,
    channel_of,
    create_broadcast,
)
from app.realtime.frames import encode_data, frame
from app.realtime.listeners import RemoteListeners

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from broadcaster import Broadcast

    from app.domain.models import Message, StatusChange
    from app.services.ports import Delivery
    from app.services.replay import ReplayService

log = logging.getLogger("chat.hub")

# Each check compares this many users' log heads with what their connections were sent, taking
# the next slice of users every time: its cost per check stays flat as connections grow, and
# each user is checked every ceil(users / CHECK_BATCH) checks. A check runs in CHECK_STEPS
# steps spread over its interval, so the event loop never stops for a whole check at once.
CHECK_BATCH = 1000
CHECK_STEPS = 10
PUBLISH_BATCH = 500
CLOSE_GOING_AWAY = 1001
# Frames a client sent before the shutdown may still sit unread in the server's buffers;
# reading goes on this long after draining starts, so those sends finish too.
DRAIN_READ_SECONDS = 0.3


class Hub:
    def __init__(
        self, redis_url: str | None, replay: ReplayService, check_seconds: float = 1.0
    ) -> None:
        self._replay = replay
        self._check_seconds = check_seconds
        self._process = uuid.uuid4().hex[:12]
        self._listeners = RemoteListeners()
        self._broadcast: Broadcast = create_broadcast(
            redis_url,
            f"{self._process}|",
            self._dispatch,
            self._on_resubscribed,
            self._listeners.someone_listens,
        )
        backend = self._broadcast._backend  # noqa: SLF001 - broadcaster exposes no accessor
        self._redis = backend if isinstance(backend, SupervisedRedisBackend) else None
        self._unpublished: list[tuple[str, str]] = []
        self._publisher: asyncio.Task[None] | None = None
        self._connections: dict[UUID, set[Connection]] = {}
        self._users_by_channel: dict[str, UUID] = {}  # the channels this process wants
        self._subscribed: set[str] = set()  # the channels it has subscribed to
        self._following: dict[str, asyncio.Task[None]] = {}  # the latest change per channel
        self._checker: asyncio.Task[None] | None = None
        self._check_order: list[UUID] = []  # the users of the current round of checks
        self._check_cursor = 0
        self._draining = False

    async def start(self) -> None:
        await self._broadcast.connect()
        if self._redis is not None:
            await self._redis.subscribe(PRESENCE_CHANNEL)
        self._checker = asyncio.create_task(self._check_forever())

    @property
    def draining(self) -> bool:
        return self._draining

    async def drain(self) -> None:
        """Shutdown, first step: take no new connections, read what clients already sent, let
        in-flight sends finish, then close every socket with 1001 (pending frames go first)."""
        self._draining = True
        await asyncio.sleep(DRAIN_READ_SECONDS)
        connections = [c for conns in self._connections.values() for c in conns]
        log.info("draining", extra={"connections": len(connections)})
        await asyncio.gather(*(c.close_when_idle(CLOSE_GOING_AWAY) for c in connections))

    async def stop(self) -> None:
        for connection in [c for conns in self._connections.values() for c in conns]:
            connection.offer(Close(CLOSE_GOING_AWAY, "server shutting down"))
        if self._checker is not None:
            self._checker.cancel()
        for task in list(self._following.values()):
            task.cancel()
        with contextlib.suppress(Exception):
            await self._broadcast.disconnect()

    # -- connections ---------------------------------------------------------------------

    async def attach(self, connection: Connection) -> None:
        """Registers the connection; returns once its user's channel is subscribed here. If
        cancelled meanwhile, it is as if the connection had never been attached."""
        user_id = connection.user_id
        first = user_id not in self._connections
        self._connections.setdefault(user_id, set()).add(connection)
        if first:
            channel = channel_of(user_id)
            self._listeners.subscriptions_changed()
            self._users_by_channel[channel] = user_id
            if self._redis is not None:
                try:
                    # shielded: a subscription made must be recorded, so detach can undo it
                    await asyncio.shield(self._follow(channel))
                    await self._announce(channel)
                except asyncio.CancelledError:
                    self.detach(connection)
                    raise

    def detach(self, connection: Connection) -> None:
        user_id = connection.user_id
        remaining = self._connections.get(user_id)
        if remaining is None:
            return
        remaining.discard(connection)
        if not remaining:
            self._listeners.subscriptions_changed()
            del self._connections[user_id]
            channel = channel_of(user_id)
            self._users_by_channel.pop(channel, None)
            if self._redis is not None:
                self._follow(channel)

    async def broker_ok(self) -> bool | None:
        """Whether Redis answers a PING; None when fan-out is in-process."""
        return None if self._redis is None else await self._redis.ping()

    def connection_count(self) -> int:
        return sum(len(conns) for conns in self._connections.values())

    async def _announce(self, channel: str) -> None:
        """Before the connection reads its backlog, so that what is sent after it is
        published here too."""
        assert self._redis is not None  # noqa: S101 - only called with Redis
        try:
            await self._redis.announce(channel)
        except Exception as exc:  # the periodic check delivers what a late notice costs
            log.warning("presence notice failed: %s", exc)

    def _follow(self, channel: str) -> asyncio.Task[None]:
        """Brings this process's subscription to `channel` in line with whether a user here
        wants it. Changes to one channel run one after another, each looking at what is wanted
        when its turn comes, so a user who leaves and comes back ends subscribed; changes to
        different channels do not wait for each other."""
        task = asyncio.create_task(self._change_subscription(channel, self._following.get(channel)))
        self._following[channel] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._following.get(channel) is done:
                del self._following[channel]

        task.add_done_callback(forget)
        return task

    async def _change_subscription(self, channel: str, previous: asyncio.Task[None] | None) -> None:
        assert self._redis is not None  # noqa: S101 - only called with Redis
        if previous is not None:
            await asyncio.wait([previous])
        wanted = channel in self._users_by_channel
        try:
            if wanted and channel not in self._subscribed:
                await self._redis.subscribe(channel)
                self._subscribed.add(channel)
            elif not wanted and channel in self._subscribed:
                self._subscribed.discard(channel)
                await self._redis.unsubscribe(channel)
        except Exception as exc:  # the periodic check delivers what a missing one costs
            log.warning("subscription change failed: %s", exc)

    def _dispatch(self, channel: str, envelope: str) -> None:
        """A publication of another process, as Redis delivers it (see publish)."""
        user_id = self._users_by_channel.get(channel)
        if user_id is None:
            return
        _, seq_text, origin, text = envelope.split("|", 3)
        item = _item(int(seq_text) if seq_text else None, origin or None, text)
        for connection in self._connections.get(user_id, ()):
            connection.offer(item)

    # -- publishing (the services' Publisher) --------------------------------------------

    async def publish(
        self, event: str, data: Message | StatusChange | object, deliveries: Sequence[Delivery]
    ) -> None:
        """Delivers to this process's connections at once, and through Redis to the others
        (this process drops its own publications as Redis sends them back). Publishing
        does not wait for Redis: one task sends what accumulates, in order, pipelined."""
        encoded = encode_data(data)
        remote: list[tuple[str, str]] = []
        for delivery in deliveries:
            text = frame(event, encoded, seq=delivery.seq)
            item = _item(delivery.seq, delivery.origin, text)
            for connection in self._connections.get(delivery.user_id, ()):
                connection.offer(item)
            channel = channel_of(delivery.user_id)
            if self._redis is not None and not self._listeners.none_elsewhere(channel):
                seq_text = "" if delivery.seq is None else str(delivery.seq)
                envelope = f"{self._process}|{seq_text}|{delivery.origin or ''}|{text}"
                remote.append((channel, envelope))
        if remote:
            self._unpublished.extend(remote)
            if self._publisher is None or self._publisher.done():
                self._publisher = asyncio.create_task(self._publish_pending())

    async def _publish_pending(self) -> None:
        """Sends what waits to Redis, in order, in as few round trips as the load allows."""
        assert self._redis is not None  # noqa: S101 - only called with Redis
        while self._unpublished:
            batch = self._unpublished[:PUBLISH_BATCH]
            del self._unpublished[: len(batch)]
            snapshot = self._listeners.snapshot()
            here = [self._listening_here(channel) for channel, _ in batch]
            try:
                counts = await self._redis.publish_many(batch)
            except Exception as exc:  # the log has it; the check will deliver it
                log.warning("publish failed, delivery falls back to replay: %s", exc)
                continue
            self._listeners.learn(
                snapshot,
                (
                    (channel, count, was if was == self._listening_here(channel) else None)
                    for (channel, _), count, was in zip(batch, counts, here, strict=True)
                ),
            )

    def _listening_here(self, channel: str) -> bool:
        return (
            self._redis is not None
            and channel in self._users_by_channel
            and self._redis.is_subscribed(channel)
        )

    # -- the delivery check --------------------------------------------------------------

    def _on_resubscribed(self, channel: str) -> None:
        self._listeners.forget()  # presence notices may have been lost meanwhile
        user_id = self._users_by_channel.get(channel)
        for connection in self._connections.get(user_id, ()) if user_id else ():
            connection.offer(CatchUp())

    async def _check_forever(self) -> None:
        while True:
            for step in range(CHECK_STEPS):
                await asyncio.sleep(self._check_seconds / CHECK_STEPS)
                try:
                    await self._check(self._next_to_check(first_step=step == 0))
                except Exception as exc:
                    log.warning("delivery check failed: %s", exc)

    def _next_to_check(self, *, first_step: bool) -> list[UUID]:
        """The next CHECK_BATCH / CHECK_STEPS users with a live connection. A new round over
        every user starts only with a check's first step, so no user is checked twice within
        one interval."""
        if first_step and self._check_cursor >= len(self._check_order):
            self._check_order = list(self._connections)
            self._check_cursor = 0
        step = CHECK_BATCH // CHECK_STEPS
        users = self._check_order[self._check_cursor : self._check_cursor + step]
        self._check_cursor += step
        return [u for u in users if any(c.live for c in self._connections.get(u, ()))]

    async def _check(self, users: list[UUID]) -> None:
        """A connection still behind the head its user's log had at the previous check missed
        something, and is caught up from the log."""
        if not users:
            return
        heads = await self._replay.heads(users)
        for user_id, head in heads.items():
            for connection in self._connections.get(user_id, ()):
                seen = connection.observed_head
                if seen is not None and connection.last_sent < seen:
                    connection.offer(CatchUp(seen))
                connection.observed_head = head.last_seq


def _item(seq: int | None, origin: str | None, text: str) -> Logged | Transient:
    return Transient(text) if seq is None else Logged(seq, text, origin)
