"""Pages of the outbox (sql/outbox.sql, outbox_pages) against the real database: each keeps to
its range and limit, pages of many users come in the order asked, and each event is about the
message as it is now."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

from app.db.messages import SendRequest
from app.db.outbox import PageRequest, ack_and_deliver, mark_read, outbox_pages
from app.domain.events import Event, LogEvent, StatusChange
from app.domain.models import Message, MessageStatus
from tests.support.accounts import bulk_users
from tests.support.sends import store

Conn = psycopg.AsyncConnection[tuple[Any, ...]]


async def one_page(
    conn: Conn, user_id: uuid.UUID, since: int, until: int, limit: int
) -> list[LogEvent]:
    [page] = await outbox_pages(conn, [PageRequest(user_id, since, until)], limit)
    return page


async def test_events_carry_the_message_and_its_receipts(conn: Conn, database_url: str) -> None:
    a, b = (uuid.UUID(u.id) for u in bulk_users(database_url, 2, "pages"))
    first = await store(conn, SendRequest(a, "first", b, None, "c-1"))
    second = await store(conn, SendRequest(a, "second", b))
    assert first is not None
    assert second is not None
    assert second.recipient_seq is not None
    await ack_and_deliver(conn, b, second.recipient_seq)
    await mark_read(conn, b, first.message.conversation_id, first.message.id)

    events = await one_page(conn, a, 0, 100, 100)
    assert [(e.seq, e.event) for e in events] == [
        (1, Event.MESSAGE_RECEIVED),
        (2, Event.MESSAGE_RECEIVED),
        (3, Event.MESSAGE_STATUS),
        (4, Event.MESSAGE_STATUS),
        (5, Event.MESSAGE_STATUS),
    ]
    sent = events[0].data
    assert isinstance(sent, Message)
    assert (sent.id, sent.content, sent.client_message_id) == (first.message.id, "first", "c-1")
    delivered, _, read = (e.data for e in events[2:])
    assert isinstance(delivered, StatusChange)
    assert isinstance(read, StatusChange)
    assert (delivered.message_id, delivered.status) == (first.message.id, MessageStatus.DELIVERED)
    assert delivered.read_at is None  # a delivered event tells no read time, even once read
    assert (read.message_id, read.status) == (first.message.id, MessageStatus.READ)
    assert read.read_at is not None


async def test_pages_keep_to_the_range_and_the_limit(conn: Conn, database_url: str) -> None:
    a, b = (uuid.UUID(u.id) for u in bulk_users(database_url, 2, "pages"))
    for n in range(5):
        assert await store(conn, SendRequest(a, f"m{n}", b)) is not None

    assert [e.seq for e in await one_page(conn, b, 1, 4, 1000)] == [2, 3, 4]
    assert [e.seq for e in await one_page(conn, b, 1, 5, 2)] == [2, 3]
    assert await one_page(conn, b, 5, 9, 1000) == []
    assert await one_page(conn, b, 3, 3, 1000) == []
    page = await one_page(conn, b, 0, 5, 1000)
    assert [e.seq for e in page] == [1, 2, 3, 4, 5]
    assert [e.data.content for e in page if isinstance(e.data, Message)] == [
        f"m{n}" for n in range(5)
    ]


async def test_pages_of_many_users_come_in_the_order_asked(conn: Conn, database_url: str) -> None:
    a, b, c = (uuid.UUID(u.id) for u in bulk_users(database_url, 3, "pages"))
    for n in range(3):
        assert await store(conn, SendRequest(a, f"to b {n}", b)) is not None
    assert await store(conn, SendRequest(c, "to a", a)) is not None

    requests = [
        PageRequest(b, 1, 3),
        PageRequest(c, 0, 9),
        PageRequest(a, 0, 9),
        PageRequest(uuid.uuid4(), 0, 9),  # nobody's outbox: an empty page
        PageRequest(b, 0, 1),
    ]
    pages = await outbox_pages(conn, requests, 1000)
    assert [[e.seq for e in page] for page in pages] == [[2, 3], [1], [1, 2, 3, 4], [], [1]]
