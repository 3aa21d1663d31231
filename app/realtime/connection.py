"""One WebSocket connection's outgoing stream.

Everything the connection is sent goes through one queue and one pump (`run`, awaited by
the WebSocket handler), so frames leave in order. Logged events carry the user's `seq`; the
pump sends each seq once, in order: an event it already sent is dropped, and a jump (an
event published out of order, or lost by the fan-out) is filled from the replay log first.
The seam between backlog and live delivery is the same rule: subscribe, send the backlog,
then live events above it. A message sent on this connection takes its place in the stream
as the `reply` carrying its seq.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from typing import TYPE_CHECKING

import msgspec

from app.realtime.frames import encode_data, frame

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from uuid import UUID

    from app.services.replay import ReplayService

log = logging.getLogger("chat.connection")

MAX_QUEUED = 2000  # a connection this far behind is closed; it reconnects and replays
TRANSIENT_DROP_AT = 100  # typing events are dropped first, once this many frames wait
CLOSE_TOO_SLOW = 1013


class Logged(msgspec.Struct, frozen=True):
    seq: int
    frame: str
    origin: str | None = None


class Reply(msgspec.Struct, frozen=True):
    frame: str
    seq: int | None = None


class Transient(msgspec.Struct, frozen=True):
    frame: str


class CatchUp(msgspec.Struct, frozen=True):
    until: int | None = None  # None: up to the log's head


class Sync(msgspec.Struct, frozen=True):
    """A client's `sync`: resend the log's events in (since, until], then reply."""

    since: int
    until: int
    ref: str | int | None = None


class Close(msgspec.Struct, frozen=True):
    code: int
    reason: str = ""


Outgoing = Logged | Reply | Transient | CatchUp | Sync | Close


class ReadyData(msgspec.Struct, rename="camel"):
    user_id: UUID
    last_seq: int


class SyncReply(msgspec.Struct, rename="camel"):
    last_seq: int


class Connection:
    def __init__(
        self,
        user_id: UUID,
        write: Callable[[str], Awaitable[None]],
        replay: ReplayService,
    ) -> None:
        self.id = uuid.uuid4().hex
        self.user_id = user_id
        self.last_sent = 0
        self.live = False  # True once the backlog is sent and session:ready is out
        self.observed_head: int | None = None  # the hub's periodic check uses this
        self._write = write
        self._replay = replay
        self._queue: deque[Outgoing] = deque()
        self._wake = asyncio.Event()
        self._replies: dict[int, str] = {}  # reply frames by seq, until they are sent
        self._send_idle = asyncio.Event()
        self._send_idle.set()
        self._closing = False

    # -- what producers call -------------------------------------------------------------

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
            self._queue.append(Close(CLOSE_TOO_SLOW, "too far behind; reconnect with since"))
            self._closing = True
        else:
            self._queue.append(item)
        self._wake.set()

    def send_started(self) -> None:
        """The reader is storing a message from this connection."""
        self._send_idle.clear()

    def send_finished(self, reply: Reply | None) -> None:
        """The send is stored (or failed); its reply, if any, joins the stream. A reply with a
        seq goes out exactly where that seq falls in the stream."""
        if reply is not None:
            if reply.seq is not None:
                self._replies[reply.seq] = reply.frame
            self.offer(reply)
        self._send_idle.set()

    async def close_when_idle(self, code: int, reason: str = "server shutting down") -> None:
        """Closes after the send in flight (if any) has its reply queued."""
        await self._send_idle.wait()
        self.offer(Close(code, reason))

    # -- the pump ------------------------------------------------------------------------

    async def run(self, since: int | None) -> Close:
        """Sends the backlog, then session:ready, then everything offered, until a Close is
        offered; returns it (closing the socket is the caller's: it must stop reading first)."""
        head = await self._replay.head(self.user_id)
        start = head.acked_seq if since is None else since
        self.last_sent = max(0, min(start, head.last_seq))
        await self._send_idle.wait()
        await self._catch_up(head.last_seq)
        ready = ReadyData(self.user_id, self.last_sent)
        await self._write(frame("session:ready", encode_data(ready)))
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
        if isinstance(item, Logged):
            await self._handle_logged(item)
        elif isinstance(item, Reply):
            await self._handle_reply(item)
        elif isinstance(item, Transient):
            await self._write(item.frame)
        elif isinstance(item, Sync):
            await self._sync(item)
        else:
            await self._send_idle.wait()
            until = item.until
            if until is None:
                until = (await self._replay.head(self.user_id)).last_seq
            await self._catch_up(until)

    async def _handle_logged(self, item: Logged) -> None:
        if item.seq <= self.last_sent:
            return
        if item.seq > self.last_sent + 1 or item.origin == self.id:
            await self._send_idle.wait()  # so a send of ours in flight has its reply noted
        await self._catch_up(item.seq - 1)
        # this connection's own message goes out as its reply, not as message:received
        await self._write(self._replies.pop(item.seq, "") or item.frame)
        self.last_sent = item.seq

    async def _handle_reply(self, item: Reply) -> None:
        if item.seq is None:
            await self._write(item.frame)
            return
        text = self._replies.pop(item.seq, None)
        if text is None:
            return  # already sent in its place in the stream
        if item.seq > self.last_sent:
            await self._catch_up(item.seq - 1)
            self.last_sent = item.seq
        await self._write(text)

    async def _sync(self, item: Sync) -> None:
        await self._send_idle.wait()
        await self._send_range(item.since, item.until)
        self.last_sent = max(self.last_sent, item.until)
        reply = SyncReply(max(item.until, self.last_sent))
        await self._write(frame("reply", encode_data(reply), ref=item.ref))

    async def _send_range(self, since: int, until: int) -> int:
        """Sends the log's events in (since, until] as they are; returns the last seq sent."""
        last = since
        while last < until:
            page = await self._replay.page(self.user_id, last, until)
            if not page.seqs:
                break
            for seq, text in zip(page.seqs, page.frames, strict=True):
                await self._write(text)
                last = seq
        return last

    async def _catch_up(self, until: int) -> None:
        """Fills (last_sent, until] from the replay log (this connection's own sends go out as
        their replies)."""
        while self.last_sent < until:
            page = await self._replay.page(self.user_id, self.last_sent, until)
            if not page.seqs:
                log.warning("replay log shorter than expected", extra={"until": until})
                return
            for seq, text in zip(page.seqs, page.frames, strict=True):
                await self._write(self._replies.pop(seq, "") or text)
                self.last_sent = seq
