"""Sends read the tables they touch by index, whatever the statistics say.

Each connection keeps the plans of its prepared statements (and of the foreign-key checks they
fire). A plan that reads a table sequentially reads all of it for every send: `messages` as it
fills after an analyze that found it empty; the log heads or the conversations whenever the
planner thinks a few hundred rows are cheaper to read than an index. These tests connect as
the service does (`CONNECT_OPTIONS`) and count the rows read by sequential scans.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

from app.db.messages import SendRequest, send_messages
from app.db.pool import CONNECT_OPTIONS
from tests.support.accounts import bulk_users
from tests.support.sends import UNLIMITED, store
from tests.support.services import migrated_database

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.clients import User

SENDS = 400
USERS = 400
BATCH = 4
SEND_PATH_TABLES = ("messages", "conversations", "outbox_heads", "outbox", "users")


@pytest.fixture
def empty_database_url() -> Iterator[str]:
    with migrated_database() as url:
        yield url


async def connect_as_the_service(url: str) -> psycopg.AsyncConnection[Any]:
    # prepare_threshold=0: every statement runs on its cached plan from the first send
    return await psycopg.AsyncConnection.connect(url, **CONNECT_OPTIONS, prepare_threshold=0)


async def rows_read_by_scans(conn: psycopg.AsyncConnection[Any]) -> dict[str, int]:
    await conn.execute("SELECT pg_stat_force_next_flush()")
    cur = await conn.execute(
        "SELECT relname, seq_tup_read FROM pg_stat_user_tables WHERE relname = ANY(%s)",
        [list(SEND_PATH_TABLES)],
    )
    return {str(name): int(read) for name, read in await cur.fetchall()}


def request(
    sender: User, recipient: User, content: str, client_id: str | None = None
) -> SendRequest:
    return SendRequest(
        uuid.UUID(sender.id),
        content,
        recipient_id=uuid.UUID(recipient.id),
        client_message_id=client_id,
    )


async def test_sends_do_not_scan_messages_after_an_empty_analyze(
    empty_database_url: str,
) -> None:
    alice, bob = bulk_users(empty_database_url, 2)
    async with await connect_as_the_service(empty_database_url) as conn:
        await conn.execute("ANALYZE")
        before = await rows_read_by_scans(conn)
        for i in range(SENDS):
            sender, recipient = (alice, bob) if i % 2 == 0 else (bob, alice)
            stored = await store(conn, request(sender, recipient, f"message {i}", f"m{i}"))
            assert stored is not None and stored.is_new
        read = (await rows_read_by_scans(conn))["messages"] - before["messages"]
    # a sequential read per send would read about SENDS**2 / 2 rows (80,000)
    assert read < SENDS, f"sends read {read} rows of messages sequentially"


async def test_sends_and_batches_read_no_table_sequentially(empty_database_url: str) -> None:
    users = bulk_users(empty_database_url, USERS)
    async with await connect_as_the_service(empty_database_url) as conn:
        await conn.execute("ANALYZE")  # a few hundred rows: a scan looks cheap to the planner
        before = await rows_read_by_scans(conn)
        for i in range(SENDS):  # one at a time, then in batches, each to the user after
            stored = await store(conn, request(users[i], users[(i + 1) % USERS], "hi"))
            assert stored is not None and stored.is_new
        for first in range(0, SENDS, BATCH):
            batch = [
                request(users[i], users[(i + 1) % USERS], "hi again")
                for i in range(first, first + BATCH)
            ]
            assert len(await send_messages(conn, batch, UNLIMITED)) == BATCH
        after = await rows_read_by_scans(conn)
    read = {table: after[table] - before[table] for table in SEND_PATH_TABLES}
    # a scan per send reads a whole table: USERS rows of users or heads, each time
    assert all(rows < USERS for rows in read.values()), f"rows read by scans: {read}"
