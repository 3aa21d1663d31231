"""The per-user replay log: reading it, acking it, and the receipts that acks and reads append."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID  # noqa: TC003 - a field type of a Struct

import msgspec

from app.db.pool import fetch_retrying
from app.db.queries import SQL
from app.domain.models import MessageStatus, StatusChange

if TYPE_CHECKING:
    from collections.abc import Sequence

    from app.db.pool import Conn


class LogPage(NamedTuple):
    """Events of a user's replay log, oldest first: their seqs, and the frames a connection
    sends for them."""

    seqs: list[int]
    frames: list[str]


class PageRequest(NamedTuple):
    """A page of one user's log: the events with `since < seq <= until`."""

    user_id: UUID
    since: int
    until: int


async def log_pages(conn: Conn, requests: Sequence[PageRequest], limit: int) -> list[LogPage]:
    """One page per request, in order, each of at most `limit` events."""
    params = {
        "user_ids": [request.user_id for request in requests],
        "sinces": [request.since for request in requests],
        "untils": [request.until for request in requests],
        "limit": limit,
    }
    cur = await conn.execute(SQL["log_pages"], params)
    return [
        LogPage([], []) if seqs is None else LogPage(seqs, frames.split("\n"))
        for _, seqs, frames in await cur.fetchall()
    ]


class LogHead(msgspec.Struct, frozen=True):
    last_seq: int
    acked_seq: int


async def log_heads(conn: Conn, user_ids: list[UUID]) -> dict[UUID, LogHead]:
    cur = await conn.execute(SQL["log_heads"], {"user_ids": user_ids})
    return {row[0]: LogHead(row[1], row[2]) for row in await cur.fetchall()}


class Receipt(msgspec.Struct, frozen=True):
    """A status event appended to a sender's log: who gets it, its seq, what it says."""

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


async def mark_read(
    conn: Conn, user_id: UUID, conversation_id: UUID, up_to_message_id: UUID
) -> list[Receipt]:
    params = {
        "user_id": user_id,
        "conversation_id": conversation_id,
        "up_to_message_id": up_to_message_id,
    }
    return _receipts(await fetch_retrying(conn, SQL["mark_read"], params))
