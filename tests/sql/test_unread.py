"""Unread counts come from counters the send statements and read marks keep (no count of the
messages themselves). Against the real database: after any mix of single and batched sends
and read marks, forward, backward and concurrent, each equals the count of the messages to
the reader after their mark."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import psycopg

from app.db.messages import SendRequest, Stored, send_messages
from app.db.outbox import mark_read
from app.db.pool import CONNECT_OPTIONS
from tests.support.accounts import bulk_users
from tests.support.sends import UNLIMITED, store

Conn = psycopg.AsyncConnection[tuple[Any, ...]]


async def unread_pair(conn: Conn, conversation: uuid.UUID, reader: uuid.UUID) -> tuple[int, int]:
    """(what the service shows, what counting the messages gives)."""
    cur = await conn.execute(
        "SELECT unread_count(%(c)s, %(u)s),"
        " (SELECT count(*) FROM messages m WHERE m.conversation_id = %(c)s"
        "  AND m.sender_id <> %(u)s AND m.position > coalesce((SELECT read_position"
        "  FROM read_marks WHERE conversation_id = %(c)s AND user_id = %(u)s), 0))",
        {"c": conversation, "u": reader},
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


async def message_ids(conn: Conn, conversation: uuid.UUID) -> list[uuid.UUID]:
    cur = await conn.execute(
        "SELECT id FROM messages WHERE conversation_id = %s ORDER BY position", (conversation,)
    )
    return [row[0] for row in await cur.fetchall()]


async def test_unread_counts_follow_sends_and_marks(conn: Conn, database_url: str) -> None:
    a, b = (uuid.UUID(u.id) for u in bulk_users(database_url, 2, "unread"))
    first = await store(conn, SendRequest(a, "hello", recipient_id=b))
    assert first is not None
    conversation = first.message.conversation_id
    rng = random.Random(7)  # noqa: S311 - a repeatable mix, not a secret
    for step in range(40):
        action = rng.choice(["one", "batch", "mark", "mark"])
        if action == "one":
            sender, recipient = rng.choice([(a, b), (b, a)])
            await store(conn, SendRequest(sender, f"s{step}", recipient_id=recipient))
        elif action == "batch":
            await send_messages(
                conn,
                [
                    SendRequest(rng.choice([a, b]), f"b{step}.{i}", conversation_id=conversation)
                    for i in range(rng.randint(1, 5))
                ],
                UNLIMITED,
            )
        else:  # a mark at any message, older than the current one too
            reader = rng.choice([a, b])
            await mark_read(
                conn, reader, conversation, rng.choice(await message_ids(conn, conversation))
            )
        for reader in (a, b):
            shown, counted = await unread_pair(conn, conversation, reader)
            assert shown == counted, (step, action)


async def test_concurrent_marks_count_each_message_once(conn: Conn, database_url: str) -> None:
    a, b = (uuid.UUID(u.id) for u in bulk_users(database_url, 2, "unread"))
    stored = await send_messages(
        conn, [SendRequest(a, f"m{i}", recipient_id=b) for i in range(60)], UNLIMITED
    )
    assert isinstance(stored[0], Stored)
    conversation = stored[0].message.conversation_id
    ids = await message_ids(conn, conversation)
    readers = [
        await psycopg.AsyncConnection.connect(database_url, **CONNECT_OPTIONS) for _ in range(8)
    ]
    try:
        for round_ in range(5):
            window = ids[round_ * 12 : round_ * 12 + 12]
            marks = random.Random(round_).sample(window, 8)  # noqa: S311 - not a secret
            await asyncio.gather(
                *(mark_read(r, b, conversation, m) for r, m in zip(readers, marks, strict=True))
            )
            shown, counted = await unread_pair(conn, conversation, b)
            assert shown == counted
    finally:
        for r in readers:
            await r.close()
    await mark_read(conn, b, conversation, ids[-1])
    assert await unread_pair(conn, conversation, b) == (0, 0)
