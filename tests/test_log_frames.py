"""The replay log's frames, built by PostgreSQL (sql/outbox.sql, log_pages), against the real
database: each is, byte for byte, the frame msgspec writes for the same event on the live
path, whatever the message holds."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg

from app.db.messages import SendRequest, message_from_row, send_message
from app.db.outbox import LogPage, PageRequest, ack_and_deliver, log_pages, mark_read
from app.domain.models import Message, MessageStatus, StatusChange
from app.realtime.frames import encode_data, frame
from tests.support.accounts import bulk_users

Conn = psycopg.AsyncConnection[tuple[Any, ...]]

CONTENTS = [
    "plain",
    'a "quote", a \\ backslash, a / slash',
    "lines\nand\ttabs\r\n",
    "".join(chr(code) for code in range(1, 32)) + "\x7f",
    "é ü 中文 😀 \u2028\u2029 \ufeff",
    '{"event":"not a frame"} \',"seq":1}',
]
CLIENT_IDS = [None, 'k"1"\\é', "line\nbreak", None, "😀", "plain-id"]


def expected_frame(seq: int, event: str, status: str | None, message: Message) -> str:
    """The frame the live path writes for this event (app/realtime/hub.py)."""
    if event == "message:received":
        return frame(event, encode_data(message), seq=seq)
    assert status is not None  # a status event always names the status it announces
    announced = MessageStatus(status)
    change = StatusChange(
        message.id,
        message.conversation_id,
        announced,
        message.delivered_at,
        message.read_at if announced is MessageStatus.READ else None,
    )
    return frame(event, encode_data(change), seq=seq)


async def expected_range(conn: Conn, request: PageRequest) -> LogPage:
    whole = await expected_log(conn, request.user_id)
    kept = [i for i, seq in enumerate(whole.seqs) if request.since < seq <= request.until]
    return LogPage([whole.seqs[i] for i in kept], [whole.frames[i] for i in kept])


async def expected_log(conn: Conn, user_id: uuid.UUID) -> LogPage:
    cur = await conn.execute(
        "SELECT o.seq, o.event, o.status::text, m.id, m.conversation_id, m.sender_id,"
        " m.recipient_id, m.content, m.status, m.created_at, m.delivered_at, m.read_at,"
        " m.client_message_id"
        " FROM outbox o JOIN messages m ON m.id = o.message_id"
        " WHERE o.user_id = %s ORDER BY o.seq",
        [user_id],
    )
    rows = await cur.fetchall()
    frames = [expected_frame(row[0], row[1], row[2], message_from_row(row[3:])) for row in rows]
    return LogPage([row[0] for row in rows], frames)


async def one_page(conn: Conn, user_id: uuid.UUID, since: int, until: int, limit: int) -> LogPage:
    [page] = await log_pages(conn, [PageRequest(user_id, since, until)], limit)
    return page


async def test_log_frames_match_the_live_encoding(conn: Conn, database_url: str) -> None:
    a, b = (uuid.UUID(u.id) for u in bulk_users(database_url, 2, "frames"))
    sent = []
    for content, client_id in zip(CONTENTS, CLIENT_IDS, strict=True):
        stored = await send_message(conn, SendRequest(a, content, b, None, client_id))
        assert stored is not None
        sent.append(stored)
    reply = await send_message(conn, SendRequest(b, "and back", a))
    assert reply is not None
    first, second = sent[0].message.id, sent[1].message.id
    # timestamps on a whole second and on a round fraction, which msgspec writes apart
    await conn.execute(
        "UPDATE messages SET created_at = '2026-01-02 03:04:05+00' WHERE id = %s", [first]
    )
    await conn.execute(
        "UPDATE messages SET created_at = '2026-01-02 03:04:05.12+00' WHERE id = %s", [second]
    )
    fourth = sent[3].recipient_seq
    assert fourth is not None
    delivered = await ack_and_deliver(conn, b, fourth)
    read = await mark_read(conn, b, sent[0].message.conversation_id, sent[1].message.id)
    assert (len(delivered), len(read)) == (4, 2)

    for user in (a, b):
        assert await one_page(conn, user, 0, 1000, 1000) == await expected_log(conn, user)
    a_log = await one_page(conn, a, 0, 1000, 1000)
    assert a_log.seqs == list(range(1, 6 + 1 + 4 + 2 + 1))  # sent, received, delivered, read
    assert {json.loads(f)["event"] for f in a_log.frames} == {"message:received", "message:status"}


async def test_log_frames_keep_to_the_range_and_the_limit(conn: Conn, database_url: str) -> None:
    a, b = (uuid.UUID(u.id) for u in bulk_users(database_url, 2, "frames"))
    for n in range(5):
        assert await send_message(conn, SendRequest(a, f"m{n}", b)) is not None

    assert (await one_page(conn, b, 1, 4, 1000)).seqs == [2, 3, 4]
    assert (await one_page(conn, b, 1, 5, 2)).seqs == [2, 3]
    assert await one_page(conn, b, 5, 9, 1000) == LogPage([], [])
    assert await one_page(conn, b, 3, 3, 1000) == LogPage([], [])
    page = await one_page(conn, b, 0, 5, 1000)
    assert [json.loads(text)["seq"] for text in page.frames] == page.seqs == [1, 2, 3, 4, 5]


async def test_pages_of_many_users_come_in_the_order_asked(conn: Conn, database_url: str) -> None:
    a, b, c = (uuid.UUID(u.id) for u in bulk_users(database_url, 3, "frames"))
    for n in range(3):
        assert await send_message(conn, SendRequest(a, f"to b {n}", b)) is not None
    assert await send_message(conn, SendRequest(c, "to a", a)) is not None

    requests = [
        PageRequest(b, 1, 3),
        PageRequest(c, 0, 9),
        PageRequest(a, 0, 9),
        PageRequest(uuid.uuid4(), 0, 9),  # nobody's log: an empty page
        PageRequest(b, 0, 1),
    ]
    pages = await log_pages(conn, requests, 1000)
    assert [page.seqs for page in pages] == [[2, 3], [1], [1, 2, 3, 4], [], [1]]
    for request, page in zip(requests, pages, strict=True):
        assert page == await expected_range(conn, request)
