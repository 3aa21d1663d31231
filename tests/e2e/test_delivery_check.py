"""The periodic delivery check: an event that was committed but never reached a
connection (its fan-out was lost) is caught up from the outbox, whichever slice of the users
the connection falls in, and nobody else is caught up."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from app.db.messages import SendRequest
from app.db.pool import Database
from app.realtime.connection import CatchUp
from app.realtime.delivery_check import CHECK_BATCH
from app.realtime.runtime import Realtime
from app.services.outbox import OutboxService
from tests.support.accounts import bulk_users
from tests.support.recording import RecordingConnection
from tests.support.sends import store

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

CHECK_SECONDS = 0.1


async def caught_up(connection: RecordingConnection, seconds: float = 5.0) -> list[CatchUp]:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        found = [item for item in connection.offered if isinstance(item, CatchUp)]
        if found:
            return found
        await asyncio.sleep(CHECK_SECONDS / 10)
    return []


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    await db.open()
    try:
        yield db
    finally:
        await db.close()


async def test_a_lost_event_is_caught_up_beyond_the_first_slice_of_users(
    database_url: str, db: Database
) -> None:
    users = bulk_users(database_url, CHECK_BATCH + 200, prefix="check")
    outbox = OutboxService(db)
    realtime = Realtime(None, outbox, CHECK_SECONDS)
    connections = [RecordingConnection(UUID(user.id), outbox) for user in users]
    for connection in connections:
        connection.live = True  # its backlog is sent: nothing is due before the send below
        await realtime.hub.attach(connection)
    await realtime.start()
    try:
        sender, recipient = connections[0], connections[-1]  # the first slice, and the last
        async with db.connection() as conn:  # committed, never published
            stored = await store(
                conn, SendRequest(sender.user_id, "lost in fan-out", recipient.user_id)
            )
        assert stored is not None
        assert await caught_up(recipient) == [CatchUp(stored.recipient_seq)]
        assert await caught_up(sender) == [CatchUp(stored.sender_seq)]
        await asyncio.sleep(CHECK_SECONDS * 4)  # two more rounds over every user
        others = [c for c in connections[1:-1] if c.offered]
        assert others == [], f"{len(others)} connections with nothing missed were caught up"
    finally:
        await realtime.stop()
