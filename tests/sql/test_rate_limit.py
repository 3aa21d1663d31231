"""The per-user message limit, counted by the send and edit statements on the sender's outbox
head (migration 0012): a sliding-window counter."""

from __future__ import annotations

import math
import uuid
from typing import Any

import psycopg
import pytest

from app.db.messages import SendRequest, Stored, retry_after, send_message, send_messages
from app.domain.errors import RateLimited
from app.domain.rules import SendLimit
from tests.support.accounts import bulk_users

Conn = psycopg.AsyncConnection[tuple[Any, ...]]
MINUTE = 60


def new_users(database_url: str, count: int) -> list[uuid.UUID]:
    return [uuid.UUID(u.id) for u in bulk_users(database_url, count, "rate")]


async def test_a_lone_send_over_the_limit_is_refused_with_a_wait(
    conn: Conn, database_url: str
) -> None:
    a, b = new_users(database_url, 2)
    limit = SendLimit(3, MINUTE)
    outcomes = [
        await send_message(conn, SendRequest(a, f"m{i}", recipient_id=b), limit) for i in range(5)
    ]
    assert [type(o) for o in outcomes] == [Stored, Stored, Stored, RateLimited, RateLimited]
    refused = outcomes[3]
    assert isinstance(refused, RateLimited)
    assert 1 <= refused.retry_after <= 2 * MINUTE
    # the recipient's own limit is untouched by what they received
    assert isinstance(
        await send_message(conn, SendRequest(b, "back", recipient_id=a), limit), Stored
    )


async def test_a_resend_does_not_count_even_over_the_limit(conn: Conn, database_url: str) -> None:
    a, b = new_users(database_url, 2)
    limit = SendLimit(2, MINUTE)
    first = await send_message(
        conn, SendRequest(a, "hi", recipient_id=b, client_message_id="x"), limit
    )
    assert isinstance(first, Stored)
    for _ in range(3):
        again = await send_message(
            conn, SendRequest(a, "hi", recipient_id=b, client_message_id="x"), limit
        )
        assert isinstance(again, Stored)
        assert again.message.id == first.message.id
    assert isinstance(
        await send_message(conn, SendRequest(a, "two", recipient_id=b), limit), Stored
    )
    assert isinstance(
        await send_message(conn, SendRequest(a, "three", recipient_id=b), limit), RateLimited
    )
    # over the limit, a resend still answers the original
    late = await send_message(
        conn, SendRequest(a, "hi", recipient_id=b, client_message_id="x"), limit
    )
    assert isinstance(late, Stored)
    assert late.message.id == first.message.id


async def test_a_batch_counts_each_senders_sends_in_order(conn: Conn, database_url: str) -> None:
    a, b, c = new_users(database_url, 3)
    limit = SendLimit(3, MINUTE)
    requests = [SendRequest(a, f"a{i}", recipient_id=b) for i in range(5)] + [
        SendRequest(c, "c", recipient_id=b)
    ]
    outcomes = await send_messages(conn, requests, limit)
    assert [type(o) for o in outcomes] == [Stored] * 3 + [RateLimited] * 2 + [Stored]
    assert [o.message.content for o in outcomes if isinstance(o, Stored)] == ["a0", "a1", "a2", "c"]
    # what the batch counted, a lone send sees
    assert isinstance(
        await send_message(conn, SendRequest(a, "more", recipient_id=b), limit), RateLimited
    )


async def test_a_limit_of_zero_allows_nothing(conn: Conn, database_url: str) -> None:
    a, b = new_users(database_url, 2)
    refused = await send_message(conn, SendRequest(a, "hi", recipient_id=b), SendLimit(0, MINUTE))
    assert isinstance(refused, RateLimited)
    assert refused.retry_after == MINUTE


@pytest.mark.parametrize(
    ("window_offset", "count", "previous"),
    [(0, 4, 0), (0, 0, 10), (0, 3, 8), (-1, 10, 0), (-1, 6, 7), (-2, 10, 10), (0, 10, 0)],
)
async def test_room_and_wait_follow_the_sliding_window_counter(
    conn: Conn, database_url: str, window_offset: int, count: int, previous: int
) -> None:
    """A head's counts as they stand, against the formula: the previous window's count scaled
    by the share of it the moving window still covers, plus the current count."""
    (user,) = new_users(database_url, 1)
    amount, seconds = 10, MINUTE
    await conn.execute("BEGIN")  # one now() for the counts, the room and the wait
    await conn.execute(
        "UPDATE outbox_heads SET rate_window = rate_window_now(%s) + %s, rate_count = %s,"
        " rate_previous = %s WHERE user_id = %s",
        (seconds, window_offset, count, previous, user),
    )
    cur = await conn.execute(
        "SELECT rate_elapsed_now(%(s)s), rate_room(h, %(a)s, %(s)s),"
        " rate_retry_after(h, %(a)s, %(s)s) FROM outbox_heads h WHERE user_id = %(u)s",
        {"a": amount, "s": seconds, "u": user},
    )
    row = await cur.fetchone()
    await conn.execute("ROLLBACK")
    assert row is not None
    elapsed, room, wait = row
    current = count if window_offset == 0 else 0
    before = {0: previous, -1: count}.get(window_offset, 0)
    used = before * (1 - elapsed) + current
    assert room == max(0, math.floor(amount - used + 1e-9))
    if room == 0:  # after the wait, the window has room for one
        later = elapsed + wait / seconds
        if later < 1:
            assert before * (1 - later) + current + 1 <= amount + 1e-9
        else:
            assert current * (2 - later) + 1 <= amount + 1e-9
        assert wait <= 2 * seconds


async def test_a_user_without_a_head_waits_one_second(conn: Conn, database_url: str) -> None:
    assert await retry_after(conn, uuid.uuid4(), SendLimit(1, MINUTE)) == 1
