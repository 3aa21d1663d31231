"""The send statement (a lone send is a batch of one) against the real database: a batch
stores what the same sends one by one would, and refuses each bad send on its own."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors

from app.db.messages import SendRequest, Stored, send_message, send_messages
from app.domain.errors import ChatError, Forbidden, NotFound
from tests.support.accounts import bulk_users
from tests.support.sends import UNLIMITED, store

Conn = psycopg.AsyncConnection[tuple[Any, ...]]


async def test_a_batch_numbers_positions_and_seqs_in_arrival_order(
    conn: Conn, database_url: str
) -> None:
    a, b, c = (uuid.UUID(u.id) for u in bulk_users(database_url, 3, "batch"))
    first = await store(conn, SendRequest(a, "before", recipient_id=b))
    assert first is not None
    ab = first.message.conversation_id
    stored = await send_messages(
        conn,
        [
            SendRequest(b, "two", conversation_id=ab),
            SendRequest(a, "one to c", recipient_id=c),  # a new conversation
            SendRequest(a, "three", recipient_id=b, client_message_id="k1"),
            SendRequest(c, "two to a", recipient_id=a),
            SendRequest(c, "not mine", conversation_id=ab),  # c is not in a-b
        ],
        UNLIMITED,
    )
    two, to_c, three, from_c, refused = stored
    assert isinstance(two, Stored)
    assert isinstance(to_c, Stored)
    assert isinstance(three, Stored)
    assert isinstance(from_c, Stored)
    assert isinstance(refused, Forbidden)
    assert [s.message.content for s in (two, to_c, three, from_c)] == [
        "two",
        "one to c",
        "three",
        "two to a",
    ]
    assert (two.message.conversation_id, three.message.conversation_id) == (ab, ab)
    assert to_c.message.conversation_id == from_c.message.conversation_id != ab
    assert [to_c.created_conversation, from_c.created_conversation, two.created_conversation] == [
        True,
        False,
        False,
    ]
    # a's log: "before" was 1; then two, one to c, three, two to a, in that order
    assert [two.recipient_seq, to_c.sender_seq, three.sender_seq, from_c.recipient_seq] == [
        2,
        3,
        4,
        5,
    ]
    assert [two.sender_seq, three.recipient_seq] == [2, 3]  # b's log
    assert [to_c.recipient_seq, from_c.sender_seq] == [1, 2]  # c's log
    assert await positions(conn, ab) == ["before", "two", "three"]
    assert await log_of(conn, a) == ["before", "two", "one to c", "three", "two to a"]


async def test_a_resend_in_a_batch_returns_the_original(conn: Conn, database_url: str) -> None:
    a, b = (uuid.UUID(u.id) for u in bulk_users(database_url, 2, "batch"))
    original = await store(conn, SendRequest(a, "hi", recipient_id=b, client_message_id="m"))
    again, new = await send_messages(
        conn,
        [
            SendRequest(a, "hi, edited", recipient_id=b, client_message_id="m"),
            SendRequest(b, "hello", recipient_id=a),
        ],
        UNLIMITED,
    )
    assert isinstance(again, Stored)
    assert isinstance(new, Stored)
    assert (again.message.id, again.message.content, again.is_new) == (
        original.message.id,
        "hi",
        False,
    )
    assert again.sender_seq == original.sender_seq
    assert new.sender_seq == 2  # b's log: "hi", then "hello"; the resend appended nothing
    assert await log_of(conn, a) == ["hi", "hello"]


async def test_each_bad_send_is_refused_alone(conn: Conn, database_url: str) -> None:
    a, b, c = (uuid.UUID(u.id) for u in bulk_users(database_url, 3, "batch"))
    ab = (await store(conn, SendRequest(a, "first", recipient_id=b))).message.conversation_id
    outcomes = await send_messages(
        conn,
        [
            SendRequest(a, "nobody", recipient_id=uuid.uuid4()),
            SendRequest(a, "ok", recipient_id=b),
            SendRequest(a, "nowhere", conversation_id=uuid.uuid4()),
            SendRequest(c, "not mine", conversation_id=ab),
        ],
        UNLIMITED,
    )
    assert [type(o) for o in outcomes] == [NotFound, Stored, NotFound, Forbidden]
    assert [o.message for o in outcomes if isinstance(o, ChatError)] == [
        "no such user",
        "no such conversation",
        "you are not a participant of this conversation",
    ]
    assert await log_of(conn, a) == ["first", "ok"]
    assert await log_of(conn, c) == []


async def test_a_lone_send_is_refused_as_in_a_batch(conn: Conn, database_url: str) -> None:
    a, b, c = (uuid.UUID(u.id) for u in bulk_users(database_url, 3, "lone"))
    ab = (await store(conn, SendRequest(a, "first", recipient_id=b))).message.conversation_id
    refused = [
        await send_message(conn, request, UNLIMITED)
        for request in (
            SendRequest(a, "nobody", recipient_id=uuid.uuid4()),
            SendRequest(a, "nowhere", conversation_id=uuid.uuid4()),
            SendRequest(c, "not mine", conversation_id=ab),
        )
    ]
    batched = await send_messages(
        conn,
        [
            SendRequest(a, "nobody", recipient_id=uuid.uuid4()),
            SendRequest(a, "nowhere", conversation_id=uuid.uuid4()),
            SendRequest(c, "not mine", conversation_id=ab),
        ],
        UNLIMITED,
    )
    assert [(type(o), str(o)) for o in refused] == [(type(o), str(o)) for o in batched]
    assert [type(o) for o in refused] == [NotFound, NotFound, Forbidden]
    assert await log_of(conn, a) == ["first"]


async def test_a_failing_statement_stores_none_of_its_batch(conn: Conn, database_url: str) -> None:
    """Two sends of one client_message_id in a batch break its unique key: the caller then
    writes the sends one by one, so nothing of the batch may be stored."""
    a, b = (uuid.UUID(u.id) for u in bulk_users(database_url, 2, "batch"))
    with pytest.raises(pg_errors.UniqueViolation):
        await send_messages(
            conn,
            [
                SendRequest(a, "ok", recipient_id=b, client_message_id="twice"),
                SendRequest(a, "again", recipient_id=b, client_message_id="twice"),
            ],
            UNLIMITED,
        )
    assert await log_of(conn, a) == []


async def positions(conn: Conn, conversation_id: uuid.UUID) -> list[str]:
    cur = await conn.execute(
        "SELECT content FROM messages WHERE conversation_id = %s ORDER BY position",
        (conversation_id,),
    )
    return [row[0] for row in await cur.fetchall()]


async def log_of(conn: Conn, user_id: uuid.UUID) -> list[str]:
    cur = await conn.execute(
        "SELECT m.content FROM outbox o JOIN messages m ON m.id = o.message_id"
        " WHERE o.user_id = %s ORDER BY o.seq",
        (user_id,),
    )
    return [row[0] for row in await cur.fetchall()]
