"""Messages: the send statement, history pages and search."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID  # noqa: TC003 - a field type of a Struct

import msgspec

from app.db.pool import fetch_retrying
from app.db.queries import SQL
from app.domain.errors import Blocked, ChatError, Forbidden, NotFound, RateLimited
from app.domain.models import Message, MessageStatus

if TYPE_CHECKING:
    from collections.abc import Sequence

    from app.db.pool import Conn
    from app.domain.paging import PositionRange
    from app.domain.rules import SendLimit

MESSAGE_COLUMNS = 12
# How many of a user's newest sent (and received) messages search reads before it turns to the
# full-text index: bounds a common word's cost and a rarer one's index reads.
SEARCH_SCANNED = 30_000
# The advisory lock that lets one connection at a time merge the search index's pending list.
SEARCH_MERGE_LOCK_KEY = 0x53524348  # "SRCH"


_STATUS = {status.value: status for status in MessageStatus}  # a dict lookup beats the call


def message_from_row(row: Sequence[Any], at: int = 0) -> Message:
    """A Message from MESSAGE_COLUMNS columns of a row, from `at`, in the order every query
    selects them. (Replay builds one per event it sends: this avoids slicing the row.)"""
    return Message(
        row[at],
        row[at + 1],
        row[at + 2],
        row[at + 3],
        row[at + 4],
        _STATUS[row[at + 5]],
        row[at + 6],
        row[at + 7],
        row[at + 8],
        row[at + 9],
        row[at + 10],
        row[at + 11],
    )


class Stored(msgspec.Struct, frozen=True):
    """What the send statement returns: the message, and the seq of its event in each outbox."""

    message: Message
    sender_seq: int
    recipient_seq: int | None  # None: an idempotent resend, nothing was appended
    created_conversation: bool

    @property
    def is_new(self) -> bool:
        return self.recipient_seq is not None


class SendRequest(msgspec.Struct, frozen=True):
    """The parameters of the send statement: either recipient_id or conversation_id."""

    sender_id: UUID
    content: str
    recipient_id: UUID | None = None
    conversation_id: UUID | None = None
    client_message_id: str | None = None


REFUSALS: dict[str, ChatError] = {
    "no_conversation": NotFound("no such conversation"),
    "not_participant": Forbidden("you are not a participant of this conversation"),
    "no_user": NotFound("no such user"),
    "blocked": Blocked("you cannot message this user"),
}


def _outcome(row: Sequence[Any]) -> Stored | ChatError:
    """A row of the send statements (less send_messages' idx): the stored message, or why it
    was refused."""
    if row[15] == "rate_limited":
        return RateLimited(0)  # how long to wait, the caller asks (retry_after)
    if row[15] is not None:
        refusal = REFUSALS[row[15]]
        return type(refusal)(refusal.message)
    return Stored(message_from_row(row), row[12], row[13], bool(row[14]))


def limit_params(limit: SendLimit) -> dict[str, int]:
    """The rate limit's parameters of the statements that count against it."""
    return {"rate_amount": limit.amount, "rate_seconds": limit.seconds}


def send_params(requests: Sequence[SendRequest], limit: SendLimit) -> dict[str, Any]:
    """The batch statement's parameters: one array per field, in the requests' order."""
    return {
        "sender_ids": [r.sender_id for r in requests],
        "recipient_ids": [r.recipient_id for r in requests],
        "conversation_ids": [r.conversation_id for r in requests],
        "contents": [r.content for r in requests],
        "client_message_ids": [r.client_message_id for r in requests],
        **limit_params(limit),
    }


async def send_messages(
    conn: Conn, requests: Sequence[SendRequest], limit: SendLimit
) -> list[Stored | ChatError]:
    """Stores the sends in one statement, one transaction: one outcome per request, in order.
    A repeated client_message_id gives the original, and does not count against `limit`. If
    the statement fails, none is stored and the error is raised (the caller then writes them
    one by one)."""
    rows = await fetch_retrying(conn, SQL["send_messages"], send_params(requests, limit))
    outcomes: list[Stored | ChatError] = [NotFound("not sent")] * len(requests)
    for row in rows:
        outcomes[row[0] - 1] = _outcome(row[1:])
    waits: dict[UUID, int] = {}
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, RateLimited):
            sender = requests[index].sender_id
            if sender not in waits:
                waits[sender] = await retry_after(conn, sender, limit)
            outcomes[index] = RateLimited(waits[sender])
    return outcomes


async def send_message(conn: Conn, request: SendRequest, limit: SendLimit) -> Stored | ChatError:
    """One send, in its own statement and transaction: the stored message (the original of a
    repeated client_message_id), or why it was refused."""
    params = {**msgspec.structs.asdict(request), **limit_params(limit)}
    rows = await fetch_retrying(conn, SQL["send_message"], params)
    outcome = _outcome(rows[0])
    if isinstance(outcome, RateLimited):
        return RateLimited(await retry_after(conn, request.sender_id, limit))
    return outcome


async def retry_after(conn: Conn, user_id: UUID, limit: SendLimit) -> int:
    """Seconds until the user's `limit` allows one more send or edit."""
    params = {"user_id": user_id, **limit_params(limit)}
    cur = await conn.execute(SQL["rate_retry_after"], params)
    row = await cur.fetchone()
    return 1 if row is None else int(row[0])


class ConversationSize(msgspec.Struct, frozen=True):
    participant1_id: UUID
    participant2_id: UUID
    message_count: int

    def has(self, user_id: UUID) -> bool:
        return user_id in (self.participant1_id, self.participant2_id)


async def conversation_size(conn: Conn, conversation_id: UUID) -> ConversationSize | None:
    cur = await conn.execute(SQL["conversation_size"], {"conversation_id": conversation_id})
    row = await cur.fetchone()
    return None if row is None else ConversationSize(*row)


async def message_position(conn: Conn, conversation_id: UUID, message_id: UUID) -> int | None:
    cur = await conn.execute(
        SQL["message_position"], {"conversation_id": conversation_id, "message_id": message_id}
    )
    row = await cur.fetchone()
    return None if row is None else int(row[0])


async def history_range(
    conn: Conn, conversation_id: UUID, positions: PositionRange
) -> list[Message]:
    if positions.first > positions.last:
        return []
    cur = await conn.execute(
        SQL["history_range"],
        {"conversation_id": conversation_id, "first": positions.first, "last": positions.last},
    )
    return [message_from_row(row) for row in await cur.fetchall()]


async def search_messages(  # noqa: PLR0913 - the page, and the window tests shrink
    conn: Conn,
    user_id: UUID,
    query: str,
    *,
    limit: int,
    offset: int,
    scanned: int = SEARCH_SCANNED,
) -> tuple[list[Message], int]:
    """The caller's messages matching `query`, best first, and how many match in all."""
    # Never prepared: a generic plan cannot see the words, and for a rare one it reads all the
    # user's messages to intersect them with the word's. Planning each search costs less.
    cur = await conn.execute(
        SQL["search_messages"],
        {"user_id": user_id, "query": query, "limit": limit, "offset": offset, "scanned": scanned},
        prepare=False,
    )
    rows = await cur.fetchall()
    total = int(rows[0][MESSAGE_COLUMNS]) if rows else 0
    return [message_from_row(row) for row in rows], total


async def merge_search_pending(conn: Conn) -> int | None:
    """Merges the search index's pending list into the index: how many of its pages that
    emptied, or None when another connection was merging it."""
    cur = await conn.execute(SQL["merge_search_pending"], {"key": SEARCH_MERGE_LOCK_KEY})
    row = await cur.fetchone()
    return None if row is None or row[0] is None else int(row[0])
