"""The conversation list's order and the conversation row's update (migration 0013): the
activity indexes hold the minute of the last message, so most updates are HOT, and the list
is still ordered by updated_at exactly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from app.db.conversations import conversations_of_user
from app.db.messages import SendRequest
from tests.support.accounts import bulk_users
from tests.support.sends import store

Conn = psycopg.AsyncConnection[tuple[Any, ...]]

# last activity of each of the user's conversations, across minute boundaries and out of order
OFFSETS_S = [59, 60, 1, 150, 119, 61, 0, 179]


async def test_the_list_is_ordered_by_last_activity_across_minutes(
    conn: Conn, database_url: str
) -> None:
    me, *others = (uuid.UUID(u.id) for u in bulk_users(database_url, 9, "activity"))
    start = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    ids = []
    for other, offset in zip(others, OFFSETS_S, strict=True):
        stored = await store(conn, SendRequest(other, "hi", recipient_id=me))
        conversation = stored.message.conversation_id
        await conn.execute(
            "UPDATE conversations SET updated_at = %s WHERE id = %s",
            (start + timedelta(seconds=offset), conversation),
        )
        ids.append((offset, conversation))
    newest_first = [c for _, c in sorted(ids, key=lambda pair: pair[0], reverse=True)]

    listed, total = await conversations_of_user(conn, me, limit=20, offset=0)
    assert [c.id for c in listed] == newest_first
    assert total == len(others)
    page, _ = await conversations_of_user(conn, me, limit=3, offset=2)
    assert [c.id for c in page] == newest_first[2:5]


async def test_messages_within_a_minute_update_the_conversation_in_place(
    conn: Conn, database_url: str
) -> None:
    a, b = (uuid.UUID(u.id) for u in bulk_users(database_url, 2, "hot"))
    await store(conn, SendRequest(a, "first", recipient_id=b))

    async def updates() -> tuple[int, int]:
        await conn.execute("SELECT pg_stat_force_next_flush()")
        cur = await conn.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
            " WHERE relname = 'conversations'"
        )
        row = await cur.fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    before = await updates()
    for i in range(20):
        await store(conn, SendRequest(a if i % 2 else b, f"m{i}", recipient_id=b if i % 2 else a))
    after = await updates()
    updated, hot = after[0] - before[0], after[1] - before[1]
    assert updated == 20
    assert hot >= 19  # all but the first of a new minute, should one begin meanwhile
