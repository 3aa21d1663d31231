"""Sends stay index reads when the tables were analyzed empty.

Each connection keeps the plans of its prepared statements (and of the foreign-key checks they
fire). Made while statistics say `messages` is empty, a plan that reads it sequentially would
read the whole table for every send as it fills, until autovacuum analyzes it again.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

from app.db.messages import SendRequest, send_message
from tests.support.accounts import bulk_users
from tests.support.services import migrated_database

if TYPE_CHECKING:
    from collections.abc import Iterator

SENDS = 400


@pytest.fixture
def empty_database_url() -> Iterator[str]:
    with migrated_database() as url:
        yield url


async def messages_read_by_scans(conn: psycopg.AsyncConnection[Any]) -> int:
    await conn.execute("SELECT pg_stat_force_next_flush()")
    await conn.commit()
    cur = await conn.execute(
        "SELECT seq_tup_read FROM pg_stat_user_tables WHERE relname = 'messages'"
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_sends_do_not_scan_messages_after_an_empty_analyze(
    empty_database_url: str,
) -> None:
    alice, bob = bulk_users(empty_database_url, 2)
    async with await psycopg.AsyncConnection.connect(
        empty_database_url, autocommit=True, prepare_threshold=0
    ) as conn:
        await conn.execute("ANALYZE")
        before = await messages_read_by_scans(conn)
        for i in range(SENDS):
            sender, recipient = (alice, bob) if i % 2 == 0 else (bob, alice)
            stored = await send_message(
                conn,
                SendRequest(
                    uuid.UUID(sender.id),
                    f"message {i}",
                    recipient_id=uuid.UUID(recipient.id),
                    client_message_id=f"m{i}",
                ),
            )
            assert stored is not None and stored.is_new
        read = await messages_read_by_scans(conn) - before
    # a sequential read per send would read about SENDS**2 / 2 rows (80,000)
    assert read < SENDS, f"sends read {read} rows of messages sequentially"
