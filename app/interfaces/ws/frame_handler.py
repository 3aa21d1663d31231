"""Answers the frames of one `/chat` connection, one at a time, in the order received.

A request that appends to the caller's outbox (a send, an edit, a delete, a read mark) is
answered with a reply carrying that event's seq, which takes the event's place in the
connection's stream (app/realtime/connection.py); the rest are answered as they come.

Frames that cost the server work whatever the client spends are bounded: an `ack` goes to the
database only when it moves past what this connection already acked, and no further than what
it was sent; `sync` has a budget per connection (typing's is in app/realtime/typing.py).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from app.domain.errors import ChatError, RateLimited, ValidationFailed
from app.domain.events import Event, Updated, error_frame, frame
from app.interfaces.correlation import new_correlation_id
from app.interfaces.ws.frames import (
    AckFrame,
    ClientFrame,
    DeleteFrame,
    EditFrame,
    FrameError,
    ReadFrame,
    SendFrame,
    SyncFrame,
    TypingStartFrame,
    TypingStopFrame,
    decode_frame,
)
from app.lib.budget import Budget
from app.realtime.connection import Reply, Sync

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from app.interfaces.state import AppState
    from app.realtime.connection import Connection
    from app.services.message_changes import Change
    from app.services.receipts import Read

log = logging.getLogger("chat.ws")

SYNCS_PER_SECOND = 1.0
SYNC_BURST = 5


class FrameHandler:
    def __init__(self, state: AppState, connection: Connection) -> None:
        self._state = state
        self._services = state.services
        self._connection = connection
        self._acked = 0
        self._syncs = Budget(SYNCS_PER_SECOND, SYNC_BURST)

    async def handle(self, raw: str | bytes) -> None:
        ref = None
        try:
            parsed = decode_frame(raw)
            ref = parsed.ref
            await self._dispatch(parsed)
        except FrameError as exc:
            self._connection.offer(Reply(error_frame(exc.error, exc.ref)))
        except ChatError as exc:
            self._connection.offer(Reply(error_frame(exc, ref)))
        except Exception:
            correlation_id = new_correlation_id()
            log.exception("frame failed", extra={"correlation_id": correlation_id})
            error = ChatError(f"internal error (correlation id {correlation_id})")
            self._connection.offer(Reply(error_frame(error, ref)))

    async def _dispatch(self, parsed: ClientFrame) -> None:
        user_id = self._connection.user_id
        origin = self._connection.id
        services = self._services
        match parsed:
            case SendFrame(data=data) if data is not None:
                asked_at = time.perf_counter()
                await self._logged(parsed, self._send(parsed), asked_at)
            case EditFrame(data=data) if data is not None:
                edit = services.changes.edit(user_id, data.message_id, data.content, origin=origin)
                await self._logged(parsed, _as_reply(edit))
            case DeleteFrame(data=data) if data is not None:
                delete = services.changes.delete(user_id, data.message_id, origin=origin)
                await self._logged(parsed, _as_reply(delete))
            case ReadFrame(data=data) if data is not None:
                read = services.receipts.mark_read(
                    user_id, data.conversation_id, data.up_to_message_id, origin
                )
                await self._logged(parsed, _read_reply(read))
            case TypingStartFrame(data=data) if data is not None:
                await self._state.typing.start(self._connection, data.conversation_id)
            case TypingStopFrame(data=data) if data is not None:
                self._state.typing.stop(self._connection, data.conversation_id)
            case AckFrame(data=data) if data is not None:
                await self._ack(data.seq)
            case SyncFrame(data=data) if data is not None:
                await self._sync(parsed, data.since)
            case _:
                raise ValidationFailed.field("data", "data is required")

    async def _ack(self, seq: int) -> None:
        seq = min(seq, self._connection.last_sent)
        if seq > self._acked:
            await self._services.receipts.ack(self._connection.user_id, seq)
            self._acked = seq

    async def _sync(self, parsed: SyncFrame, since: int) -> None:
        retry_after = self._syncs.spend()
        if retry_after is not None:
            raise RateLimited(retry_after, "too many syncs on this connection")
        head = await self._services.outbox.head(self._connection.user_id)
        self._connection.offer(Sync(since, head.last_seq, parsed.ref))

    async def _send(self, parsed: SendFrame) -> tuple[object, int | None]:
        data = parsed.data
        assert data is not None  # noqa: S101 - matched on it
        sent = await self._services.messaging.send(
            self._connection.user_id,
            content=data.content,
            recipient_id=data.recipient_id,
            conversation_id=data.conversation_id,
            client_message_id=data.client_message_id,
            origin=self._connection.id,
        )
        return sent.message, sent.seq

    async def _logged(
        self,
        parsed: ClientFrame,
        request: Awaitable[tuple[object, int | None]],
        asked_at: float | None = None,
    ) -> None:
        """Runs a request that may append to the caller's outbox; its reply (with the seq of
        what it appended, if anything) joins the stream in that seq's place."""
        self._connection.request_started()
        reply = None
        try:
            data, seq = await request
            reply = Reply(frame(Event.REPLY, data, seq=seq, ref=parsed.ref), seq, asked_at)
        finally:
            self._connection.request_finished(reply)


async def _as_reply(change: Awaitable[Change]) -> tuple[object, int | None]:
    done = await change
    return done.message, done.seq


async def _read_reply(read: Awaitable[Read]) -> tuple[object, int | None]:
    done = await read
    return Updated(done.updated), done.seq
