"""Every event the server sends, its payload type, and the one encoder of every frame.

A frame is `{"event", "data", "ref"?, "seq"?}` (contract section 4). The events in `LOGGED`
are kept in each user's outbox and carry that user's `seq`. Whatever path a frame leaves by
(published live, a reply to a request), `frame()` writes it; replayed from the outbox, a page
of them at once, `log_frames()`.
"""

from __future__ import annotations

import enum
from datetime import datetime  # noqa: TC003 - msgspec needs the runtime type
from typing import Any
from uuid import UUID  # noqa: TC003 - msgspec needs the runtime type

import msgspec

from app.domain.errors import ChatError, RateLimited
from app.domain.models import CamelStruct, Message, MessageStatus


class Event(enum.StrEnum):
    SESSION_READY = "session:ready"
    MESSAGE_RECEIVED = "message:received"
    MESSAGE_STATUS = "message:status"
    MESSAGE_EDITED = "message:edited"
    MESSAGE_DELETED = "message:deleted"
    CONVERSATION_READ = "conversation:read"
    TYPING = "typing"
    REPLY = "reply"
    ERROR = "error"


# The events of a user's outbox: each has a seq, and replay sends it again.
LOGGED = frozenset(
    {
        Event.MESSAGE_RECEIVED,
        Event.MESSAGE_STATUS,
        Event.MESSAGE_EDITED,
        Event.MESSAGE_DELETED,
        Event.CONVERSATION_READ,
    }
)


class StatusChange(CamelStruct, frozen=True):
    """`message:status`: what the sender of a message is told when it is delivered or read."""

    message_id: UUID
    conversation_id: UUID
    status: MessageStatus
    delivered_at: datetime | None
    read_at: datetime | None


class MessageDeleted(CamelStruct, frozen=True):
    """`message:deleted`: to both participants; the message is a tombstone from now on."""

    message_id: UUID
    conversation_id: UUID
    deleted_at: datetime


class ReadMarkMoved(CamelStruct, frozen=True):
    """`conversation:read`: to the reader's own connections, when their read mark moves."""

    conversation_id: UUID
    up_to_message_id: UUID
    unread_count: int


# What an outbox event says, by its kind: message:received and message:edited say the
# message (as it is now), the others their own Struct above.
LogData = Message | StatusChange | MessageDeleted | ReadMarkMoved


class LogEvent(msgspec.Struct, frozen=True):
    """One event of a user's outbox, with its seq in that user's log."""

    seq: int
    event: Event
    data: LogData


class Typing(CamelStruct, frozen=True):
    """`typing`: to the other participant; never logged."""

    conversation_id: UUID
    user_id: UUID
    is_typing: bool


class ErrorData(CamelStruct, frozen=True, omit_defaults=True):
    """`error`: a request failed, or the connection is about to close."""

    code: str
    message: str
    retry_after: int | None = None
    details: dict[str, Any] | None = None


class SessionReady(CamelStruct, frozen=True):
    """`session:ready`: the backlog is sent and live delivery has started."""

    user_id: UUID
    last_seq: int


# The data of replies: to `sync` (after the events it asked for), and to `message:read` (its
# REST twin answers the same body).
class SyncDone(CamelStruct, frozen=True):
    last_seq: int


class Updated(CamelStruct, frozen=True):
    updated: int


class _Frame(msgspec.Struct, omit_defaults=True):
    event: str
    data: object
    ref: str | int | None = None
    seq: int | None = None


_ENCODER = msgspec.json.Encoder()


def encode_data(data: object) -> msgspec.Raw:
    """A payload encoded once, to go into several frames (one per user it is delivered to)."""
    return msgspec.Raw(_ENCODER.encode(data))


def frame(
    event: Event, data: object, *, seq: int | None = None, ref: str | int | None = None
) -> str:
    """The frame of one event: `data` is its payload, or the payload already encoded."""
    return _ENCODER.encode(_Frame(event, data, ref, seq)).decode()


def log_frames(events: list[LogEvent]) -> list[str]:
    """The frames of outbox events, as `frame()` writes each, encoded in one call (a replay
    sends thousands): compact JSON holds no newline, so the lines are the frames."""
    lines = _ENCODER.encode_lines([_Frame(e.event, e.data, None, e.seq) for e in events])
    return lines.decode().split("\n")[:-1]


def error_frame(error: ChatError, ref: str | int | None = None) -> str:
    """The `error` frame for a failure (contract section 3)."""
    retry_after = error.retry_after if isinstance(error, RateLimited) else None
    return frame(
        Event.ERROR, ErrorData(error.code, error.message, retry_after, error.details), ref=ref
    )
