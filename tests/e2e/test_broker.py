"""Two processes' realtime parts on one Redis: what one publishes reaches the other's
connections, a user who leaves and comes back at once stays subscribed, and every connection
of a crowd starting at once is announced to the other processes."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import TYPE_CHECKING

import pytest
from redis import asyncio as aioredis

from app.db.pool import Database
from app.domain.events import Event
from app.realtime.broker import PRESENCE_CHANNEL, channel_of
from app.realtime.connection import Logged
from app.realtime.runtime import Realtime
from app.services.outbox import OutboxService
from app.services.ports import Delivery
from tests.support.recording import RecordingConnection

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

CROWD = 1000  # connections starting at once, as after a restart


@pytest.fixture
async def outbox(database_url: str) -> OutboxService:
    return OutboxService(Database(database_url))  # never opened: no check runs in these tests


@pytest.fixture
async def hubs(redis_url: str, outbox: OutboxService) -> AsyncIterator[tuple[Realtime, Realtime]]:
    here, there = Realtime(redis_url, outbox, 3600), Realtime(redis_url, outbox, 3600)
    await here.start()
    await there.start()
    try:
        yield here, there
    finally:
        await here.stop()
        await there.stop()


async def published_until_seen(
    there: Realtime, connection: RecordingConnection, seq: int, seconds: float = 3.0
) -> bool:
    """Publishes from the other hub until the connection gets the event (Redis confirms a
    subscription after it is asked for), or the time is up."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        there.hub.publish(Event.MESSAGE_RECEIVED, {"n": seq}, [Delivery(connection.user_id, seq)])
        await asyncio.sleep(0.05)
        if any(isinstance(item, Logged) and item.seq == seq for item in connection.offered):
            return True
    return False


async def subscriber_counts_become(redis_url: str, channels: list[str], count: int) -> bool:
    """Whether every channel has `count` subscribers, within a few seconds (Redis answers
    this on another connection than the one subscribing)."""
    client = aioredis.Redis.from_url(redis_url)
    deadline = asyncio.get_running_loop().time() + 3.0
    try:
        while True:
            counts = {n for _, n in await client.pubsub_numsub(*channels)}
            if counts == {count} or asyncio.get_running_loop().time() > deadline:
                return counts == {count}
            await asyncio.sleep(0.05)
    finally:
        await client.aclose()


async def test_another_process_reaches_a_users_connection(
    hubs: tuple[Realtime, Realtime], outbox: OutboxService
) -> None:
    here, there = hubs
    connection = RecordingConnection(uuid.uuid4(), outbox)
    await here.hub.attach(connection)
    assert await published_until_seen(there, connection, 1)


async def test_a_user_who_leaves_and_comes_back_at_once_stays_subscribed(
    hubs: tuple[Realtime, Realtime], outbox: OutboxService
) -> None:
    here, there = hubs
    user_id = uuid.uuid4()
    first = RecordingConnection(user_id, outbox)
    await here.hub.attach(first)
    here.hub.detach(first)  # its unsubscribe is on its way...
    second = RecordingConnection(user_id, outbox)
    await here.hub.attach(second)  # ...when the user comes back
    await asyncio.sleep(0.2)  # every change asked for has been made
    assert await published_until_seen(there, second, 1)
    assert not first.offered


async def test_a_user_who_left_is_not_subscribed(
    hubs: tuple[Realtime, Realtime], outbox: OutboxService
) -> None:
    here, there = hubs
    stays, leaves = (RecordingConnection(uuid.uuid4(), outbox) for _ in range(2))
    await here.hub.attach(stays)
    await here.hub.attach(leaves)
    here.hub.detach(leaves)
    await asyncio.sleep(0.2)
    assert await published_until_seen(there, stays, 1)
    there.hub.publish(Event.MESSAGE_RECEIVED, {"n": 2}, [Delivery(leaves.user_id, 2)])
    assert await published_until_seen(there, stays, 3)  # the publication to `leaves` is past
    assert not leaves.offered


async def test_a_connection_cancelled_while_subscribing_leaves_nothing_behind(
    hubs: tuple[Realtime, Realtime], outbox: OutboxService, redis_url: str
) -> None:
    here, _ = hubs
    connection = RecordingConnection(uuid.uuid4(), outbox)
    attaching = asyncio.create_task(here.hub.attach(connection))
    await asyncio.sleep(0)  # the subscription is on its way
    attaching.cancel()
    await asyncio.gather(attaching, return_exceptions=True)
    assert here.registry.count() == 0
    assert await subscriber_counts_become(redis_url, [channel_of(connection.user_id)], 0)


async def other_connections_work(stop: asyncio.Event) -> None:
    """What the process does for its other connections meanwhile: 2 ms at each turn."""
    while not stop.is_set():
        time.sleep(0.002)
        await asyncio.sleep(0)


async def test_every_connection_starting_in_a_crowd_is_announced(
    hubs: tuple[Realtime, Realtime],
    outbox: OutboxService,
    redis_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Other processes learn of each new listener (presence) even when a crowd of connections
    starts at once in a busy process, as after a restart. A lost notice would leave another
    process not publishing to that user until the delivery check came round."""
    here, _ = hubs
    connections = [RecordingConnection(uuid.uuid4(), outbox) for _ in range(CROWD)]
    wanted = {channel_of(c.user_id) for c in connections}
    heard: set[str] = set()
    stop = asyncio.Event()
    others = [asyncio.create_task(other_connections_work(stop)) for _ in range(20)]
    observer = aioredis.Redis.from_url(redis_url)
    try:
        async with observer.pubsub() as listening:
            await listening.subscribe(PRESENCE_CHANNEL)
            with caplog.at_level(logging.WARNING, logger="chat"):
                await asyncio.gather(*(here.hub.attach(c) for c in connections))
            deadline = asyncio.get_running_loop().time() + 10.0
            while wanted - heard and asyncio.get_running_loop().time() < deadline:
                notice = await listening.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if notice is not None:
                    heard.add(notice["data"].decode().split("|", 1)[-1])
    finally:
        stop.set()
        await asyncio.gather(*others)
        for connection in connections:
            here.hub.detach(connection)
        await observer.aclose()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert len(wanted - heard) == 0


async def test_a_crowd_is_subscribed_and_unsubscribed_channel_by_channel(
    hubs: tuple[Realtime, Realtime], outbox: OutboxService, redis_url: str
) -> None:
    """The channels of connections starting (or ending) together share one SUBSCRIBE (or
    UNSUBSCRIBE): each of them must still end up subscribed (or not) on its own."""
    here, there = hubs
    connections = [RecordingConnection(uuid.uuid4(), outbox) for _ in range(CROWD)]
    channels = [channel_of(c.user_id) for c in connections]
    await asyncio.gather(*(here.hub.attach(c) for c in connections))
    assert await subscriber_counts_become(redis_url, channels, 1)
    assert await published_until_seen(there, connections[-1], 1)
    for connection in connections[::2]:
        here.hub.detach(connection)
    assert await subscriber_counts_become(redis_url, channels[::2], 0)
    assert await subscriber_counts_become(redis_url, channels[1::2], 1)
    for connection in connections[1::2]:
        here.hub.detach(connection)
