"""Each user's outbox (their replay log): reading it, acking it, and the receipts that acks and
reads append to it."""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID  # noqa: TC003 - a field type of a Struct

import msgspec

from app.db.messages import message_from_row
from app.db.pool import fetch_retrying
from app.db.queries import SQL
from app.domain.events import (
    Event,
    LogData,
    LogEvent,
    MessageDeleted,
    ReadMarkMoved,
    StatusChange,
)
from app.domain.models import MessageStatus

if TYPE_CHECKING:
    from collections.abc import Sequence

    from app.db.pool import Conn


class PageRequest(NamedTuple):
    """A page of one user's outbox: the events with `since < seq <= until`."""

    user_id: UUID
    since: int
    until: int


_EVENTS = {event.value: event for event in Event}


def _event_from_row(row: Sequence[Any]) -> LogEvent:
    """An outbox row joined with its message: (n, seq, event, status, unread_count, the
    message's columns...). Each event says the message as it is now: a replayed
    message:received of a deleted message is its tombstone."""
    event = _EVENTS[row[2]]
    message = message_from_row(row, 5)
    data: LogData = message
    if event is Event.MESSAGE_STATUS:
        announced = MessageStatus(row[3])
        read_at = message.read_at if announced is MessageStatus.READ else None
        data = StatusChange(
            message.id, message.conversation_id, announced, message.delivered_at, read_at
        )
    elif event is Event.MESSAGE_DELETED:
        assert message.deleted_at is not None  # noqa: S101 - a deletion is never undone
        data = MessageDeleted(message.id, message.conversation_id, message.deleted_at)
    elif event is Event.CONVERSATION_READ:
        data = ReadMarkMoved(message.conversation_id, message.id, row[4])
    return LogEvent(row[1], event, data)


async def outbox_pages(
    conn: Conn, requests: Sequence[PageRequest], limit: int
) -> list[list[LogEvent]]:
    """One page per request, in order, each of at most `limit` events, oldest first."""
    params = {
        "user_ids": [request.user_id for request in requests],
        "sinces": [request.since for request in requests],
        "untils": [request.until for request in requests],
        "limit": limit,
    }
    # binary: a replay loads thousands of rows, and uuids and times load faster that way
    cur = await conn.execute(SQL["outbox_pages"], params, binary=True)
    pages: list[list[LogEvent]] = [[] for _ in requests]
    for n, rows in groupby(await cur.fetchall(), key=lambda row: row[0]):
        pages[n - 1] = [_event_from_row(row) for row in rows]
    return pages


class OutboxHead(msgspec.Struct, frozen=True):
    last_seq: int
    acked_seq: int


async def outbox_heads(conn: Conn, user_ids: list[UUID]) -> dict[UUID, OutboxHead]:
    cur = await conn.execute(SQL["outbox_heads"], {"user_ids": user_ids})
    return {row[0]: OutboxHead(row[1], row[2]) for row in await cur.fetchall()}


class Receipt(msgspec.Struct, frozen=True):
    """A status event appended to a sender's outbox: who gets it, its seq, what it says."""

    sender_id: UUID
    seq: int
    change: StatusChange


def _receipts(rows: Sequence[Sequence[Any]]) -> list[Receipt]:
    return [
        Receipt(row[0], row[1], StatusChange(row[2], row[3], MessageStatus(row[4]), row[5], row[6]))
        for row in rows
    ]


async def ack_and_deliver(conn: Conn, user_id: UUID, seq: int) -> list[Receipt]:
    params = {"user_id": user_id, "seq": seq}
    return _receipts(await fetch_retrying(conn, SQL["ack_and_deliver"], params))


class ReadMark(msgspec.Struct, frozen=True):
    """What a read mark appended: a status event per message that became read (to its
    sender), and the reader's own conversation:read with its seq, if the mark moved."""

    receipts: list[Receipt]
    moved: ReadMarkMoved | None
    seq: int | None  # of `moved`, in the reader's outbox


async def mark_read(
    conn: Conn, user_id: UUID, conversation_id: UUID, up_to_message_id: UUID
) -> ReadMark:
    params = {
        "user_id": user_id,
        "conversation_id": conversation_id,
        "up_to_message_id": up_to_message_id,
    }
    rows = await fetch_retrying(conn, SQL["mark_read"], params)
    receipts = _receipts([row[1:8] for row in rows if row[0] == "status"])
    moved = [row for row in rows if row[0] == "read"]
    if not moved:
        return ReadMark(receipts, None, None)
    _, _, seq, message_id, conversation, *_, unread = moved[0]
    return ReadMark(receipts, ReadMarkMoved(conversation, message_id, unread), seq)
