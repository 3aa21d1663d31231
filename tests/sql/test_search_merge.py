"""Each worker merges the search index's pending list on a clock, so that no send has to.
Against a database of this module's own, so that the test server's workers (which merge it
too) stay out of the counts."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import psycopg
import pytest

from app.db.messages import SEARCH_MERGE_LOCK_KEY, SendRequest, send_params
from app.db.pool import Database
from app.db.queries import SQL
from app.services.search import SearchService
from tests.support.accounts import insert_user_pair
from tests.support.sends import UNLIMITED
from tests.support.services import (
    create_database,
    drop_database,
    free_port,
    migrated_database,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

MERGE_DIRECTLY = "SELECT gin_clean_pending_list('messages_search_vector')"


@pytest.fixture
def database_url() -> Iterator[str]:
    with migrated_database() as url:
        yield url


@pytest.fixture
async def search(database_url: str) -> AsyncIterator[SearchService]:
    db = Database(database_url)
    await db.open()
    try:
        yield SearchService(db)
    finally:
        await db.close()


def send_some(database_url: str, count: int = 20) -> None:
    """Stored messages whose words wait in the index's pending list."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        low, high = insert_user_pair(conn, "merge")
        for n in range(count):
            request = SendRequest(low, f"lunch at noon, table {n}", recipient_id=high)
            conn.execute(SQL["send_messages"], send_params([request], UNLIMITED))


def pending_pages(database_url: str) -> int:
    """Merges the list directly: how many pages it still had."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(MERGE_DIRECTLY).fetchone()
    assert row is not None
    return int(row[0])


async def test_a_merge_empties_the_pending_list(database_url: str, search: SearchService) -> None:
    send_some(database_url)

    pages = await search.merge_new_messages()

    assert pages is not None
    assert pages > 0
    assert pending_pages(database_url) == 0


async def test_a_merge_skips_while_another_connection_merges(
    database_url: str, search: SearchService
) -> None:
    send_some(database_url)
    with psycopg.connect(database_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (SEARCH_MERGE_LOCK_KEY,))

        assert await search.merge_new_messages() is None

    assert pending_pages(database_url) > 0


class CountingSearch(SearchService):
    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.attempts = 0
        self.merged = asyncio.Event()

    async def merge_new_messages(self) -> int | None:
        self.attempts += 1
        pages = await super().merge_new_messages()
        if pages:
            self.merged.set()
        return pages


async def test_the_clock_merges_what_sends_add(database_url: str) -> None:
    send_some(database_url)
    db = Database(database_url)
    await db.open()
    search = CountingSearch(db)
    clock = asyncio.create_task(search.keep_merging(every_seconds=0.01))
    try:
        await asyncio.wait_for(search.merged.wait(), timeout=10)
    finally:
        clock.cancel()
        await db.close()
    assert pending_pages(database_url) == 0


async def test_the_clock_keeps_going_while_the_database_is_away() -> None:
    db = Database(f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere", timeout=0.05)
    await db.open()
    search = CountingSearch(db)
    clock = asyncio.create_task(search.keep_merging(every_seconds=0.01))
    try:
        async with asyncio.timeout(10):
            while search.attempts < 3:
                await asyncio.sleep(0.05)
        assert not clock.done()
    finally:
        clock.cancel()
        await db.close()


async def test_the_clock_stops_with_a_warning_on_an_error_it_cannot_fix(
    caplog: pytest.LogCaptureFixture,
) -> None:
    name, url = create_database()  # no schema: no index to merge
    db = Database(url)
    await db.open()
    try:
        with caplog.at_level(logging.WARNING, logger="chat.search"):
            await asyncio.wait_for(SearchService(db).keep_merging(every_seconds=0.01), timeout=10)
    finally:
        await db.close()
        drop_database(name)
    assert "search index merges stopped" in caplog.text
