"""One WebSocket connection's outgoing stream.

Everything the connection is sent goes through one queue and one pump (`run`, awaited by
the WebSocket handler), so frames leave in order. Outbox events carry the user's `seq`; the
pump sends each seq once, in order: an event it already sent is dropped, and a jump (an
event published out of order, or lost by the fan-out) is filled from the outbox first.
The seam between backlog and live delivery is the same rule: subscribe, send the backlog,
then live events above it.

A request that appends to the user's outbox (a send, say) is answered with a `reply` that
carries the event's seq: that reply takes the event's place in this connection's stream.
The hub does not deliver the event to the connection that asked (`Delivery.origin`), and
whenever the stream reaches a seq it holds a reply for, from live delivery or from the
outbox, it sends the reply instead. The outbox is read only while no request of this
connection is in flight, so a reply is always held before its seq can be read back.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING

import msgspec

from app.domain.errors import Unauthorized
from app.domain.events import Event, SessionReady, SyncDone, error_frame, frame
from app.lib.metrics import REPLAYED_EVENTS, SEND_DURATION
from app.realtime.closes import CloseCode
from app.services.ports import ConnectionId

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from uuid import UUID

    from app.services.outbox import OutboxService

log = logging.getLogger("chat.connection")

MAX_QUEUED = 2000  # a connection this far behind is closed; it reconnects and replays
TRANSIENT_DROP_AT = 100  # typing events are dropped first, once this many frames wait


class Logged(msgspec.Struct, frozen=True):
    """An outbox event, delivered live."""

    seq: int
    frame: str


class Reply(msgspec.Struct, frozen=True):
    """The answer to one of this connection's requests; with a seq, it is that event's.
    `asked_at` (perf_counter) times a send: from its frame's arrival to its reply's write."""

    frame: str
    seq: int | None = None
    asked_at: float | None = None


class Transient(msgspec.Struct, frozen=True):
    """An event that is not logged (typing): sent when its turn comes, dropped first."""

    frame: str


class CatchUp(msgspec.Struct, frozen=True):
    """Fill the stream from the outbox up to `until` (None: its head)."""

    until: int | None = None


class Sync(msgspec.Struct, frozen=True):
    """A client's `sync`: resend the outbox's events in (since, until], then reply."""

    since: int
    until: int
    ref: str | int | None = None


class Close(msgspec.Struct, frozen=True):
    code: int
    reason: str = ""


Outgoing = Logged | Reply | Transient | CatchUp | Sync | Close


class Connection:
    def __init__(
        self,
        user_id: UUID,
        write: Callable[[str], Awaitable[None]],
        outbox: OutboxService,
    ) -> None:
        self.id = ConnectionId(uuid.uuid4().hex)
        self.user_id = user_id
        self.session_id: UUID | None = None  # set once authenticated
        self.last_sent = 0
        self.live = False  # True once the backlog is sent and session:ready is out
        self.observed_head: int | None = None  # the delivery check's last look at the head
        self._write = write
        self._outbox = outbox
        self._queue: deque[Outgoing] = deque()
        self._wake = asyncio.Event()
        self._replies: dict[int, Reply] = {}  # replies by seq, until they are sent
        self._idle = asyncio.Event()  # no request of this connection is in flight
        self._idle.set()
        self._closing = False

    # -- what producers call -------------------------------------------------------------

    def unauthorized(self, message: str, reason: str) -> None:
        """An UNAUTHORIZED error, then close 4401: its token expired or its session ended."""
        self.offer(Reply(error_frame(Unauthorized(message))))
        self.offer(Close(CloseCode.UNAUTHORIZED, reason))

    def offer(self, item: Outgoing) -> None:
        if self._closing:
            return
        if isinstance(item, Transient) and len(self._queue) >= TRANSIENT_DROP_AT:
            return
        if len(self._queue) >= MAX_QUEUED:
            log.warning(
                "connection too far behind, closing it", extra={"user_id": str(self.user_id)}
            )
            self._queue.clear()
            self._queue.append(Close(CloseCode.TRY_AGAIN, "too far behind; reconnect with since"))
            self._closing = True
        else:
            self._queue.append(item)
        self._wake.set()

    def request_started(self) -> None:
        """The reader is handling a request that may append to the outbox."""
        self._idle.clear()

    def request_finished(self, reply: Reply | None) -> None:
        """The request is done (or failed); its reply, if any, joins the stream."""
        if reply is not None:
            if reply.seq is not None:
                self._replies[reply.seq] = reply
            self.offer(reply)
        self._idle.set()

    async def close_when_idle(self, code: int, reason: str = "server shutting down") -> None:
        """Closes after the request in flight (if any) has its reply queued."""
        await self._idle.wait()
        self.offer(Close(code, reason))

    # -- the pump ------------------------------------------------------------------------

    async def run(self, since: int | None) -> Close:
        """Sends the backlog, then session:ready, then everything offered, until a Close is
        offered; returns it (closing the socket is the caller's: it must stop reading first)."""
        head = await self._outbox.head(self.user_id)
        start = head.acked_seq if since is None else since
        self.last_sent = max(0, min(start, head.last_seq))
        await self._catch_up(head.last_seq)
        await self._write(frame(Event.SESSION_READY, SessionReady(self.user_id, self.last_sent)))
        self.live = True
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                item = self._queue.popleft()
                if isinstance(item, Close):
                    return item
                await self._handle(item)

    async def _handle(self, item: Logged | Reply | Transient | CatchUp | Sync) -> None:
        match item:
            case Logged():
                if item.seq > self.last_sent:
                    await self._catch_up(item.seq - 1)
                    await self._send(item.seq, item.frame)
            case Reply(seq=None):
                await self._write_reply(item)
            case Reply(seq=int(seq)):
                if seq in self._replies:  # else it went out in its place already
                    await self._catch_up(seq - 1)
                    await self._send(seq, item.frame)
            case Transient():
                await self._write(item.frame)
            case Sync():
                await self._sync(item)
            case CatchUp(until=until):
                if until is None:
                    until = (await self._outbox.head(self.user_id)).last_seq
                await self._catch_up(until)

    async def _send(self, seq: int, text: str) -> None:
        """Sends the event `seq` (as its reply, when this connection asked for it)."""
        reply = self._replies.pop(seq, None)
        if reply is None:
            await self._write(text)
        else:
            await self._write_reply(reply)
        self.last_sent = max(self.last_sent, seq)

    async def _write_reply(self, reply: Reply) -> None:
        await self._write(reply.frame)
        if reply.asked_at is not None:
            SEND_DURATION.observe(time.perf_counter() - reply.asked_at)

    async def _catch_up(self, until: int) -> None:
        """Fills (last_sent, until] from the outbox."""
        if self.last_sent >= until:
            return
        await self._idle.wait()
        while self.last_sent < until:
            page = await self._outbox.page(self.user_id, self.last_sent, until)
            if not page.seqs:
                log.warning("outbox shorter than expected", extra={"until": until})
                return
            REPLAYED_EVENTS.inc(len(page.seqs))
            for seq, text in zip(page.seqs, page.frames, strict=True):
                await self._send(seq, text)

    async def _sync(self, item: Sync) -> None:
        """Resends (since, until] as stored, whatever this connection sent before."""
        await self._idle.wait()
        last = item.since
        while last < item.until:
            page = await self._outbox.page(self.user_id, last, item.until)
            if not page.seqs:
                break
            REPLAYED_EVENTS.inc(len(page.seqs))
            for seq, text in zip(page.seqs, page.frames, strict=True):
                await self._write(text)
                last = seq
        self.last_sent = max(self.last_sent, item.until)
        done = SyncDone(self.last_sent)
        await self._write(frame(Event.REPLY, done, ref=item.ref))
