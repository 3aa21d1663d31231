"""The bench's WebSocket client: picows (frames parsed in C) and msgspec.

The generator shares the two cores with the server and PostgreSQL, so every microsecond it
spends on a frame is taken from what it measures. In a reconnect storm, 100,000 frames come
into one process, and `websockets` with `json` made the bare relay's storm markedly slower
than these do. A frame is read once, in its listener's callback, into the one
field the bench looks at first.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, TypeVar, cast

import msgspec
from picows import WSCloseCode, WSError, WSListener, WSMsgType, ws_connect

if TYPE_CHECKING:
    from collections.abc import Callable

    from picows import WSFrame, WSTransport

CONNECT_ERRORS = (OSError, WSError, TimeoutError)
MAX_FRAME = 2**30
CLOSE_WAIT_S = 5.0
BACKLOG_TIMEOUT_S = 120.0


class FrameData(msgspec.Struct):
    content: str = ""
    code: str = "?"


class Frame(msgspec.Struct):
    """The fields of a server frame the bench reads; the rest are skipped unparsed."""

    event: str = ""
    data: FrameData | None = None


_decode = msgspec.json.Decoder(Frame).decode
C = TypeVar("C", bound="Client")


def decode_frame(payload: bytes | memoryview) -> Frame:
    try:
        return _decode(payload)
    except msgspec.DecodeError:  # a frame whose data is not an object: its event is enough
        return Frame(msgspec.json.decode(payload).get("event", ""))


class Client(WSListener):
    """A connection's listener: `on_text` gets each text frame; a server's close is answered
    and its code kept; a subclass calls `session_ready` when its session is live."""

    def __init__(self) -> None:
        self.transport: WSTransport | None = None
        self.close_code: int | None = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.TEXT:
            self.on_text(frame.get_payload_as_memoryview())
        elif frame.msg_type == WSMsgType.CLOSE:
            self.close_code = frame.get_close_code().value
            transport.send_close(WSCloseCode.OK)
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:  # noqa: ARG002
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before the session was ready"))

    def session_ready(self) -> None:
        if not self.ready.done():
            self.ready.set_result(None)

    def on_text(self, payload: memoryview) -> None:
        raise NotImplementedError

    @property
    def open(self) -> bool:
        return self.transport is not None and not self.transport.is_disconnected

    def send_text(self, text: bytes) -> None:
        assert self.transport is not None
        self.transport.send(WSMsgType.TEXT, text)

    async def close(self) -> None:
        """Closes from this side and waits for the server's answer (a while, at most)."""
        if self.transport is None or not self.open:
            return
        self.transport.send_close(WSCloseCode.OK)
        try:
            await asyncio.wait_for(self.transport.wait_disconnected(), CLOSE_WAIT_S)
        except TimeoutError:
            self.transport.disconnect()


async def connect(
    new_client: Callable[[], C],
    url: str,
    timeout: float,  # noqa: ASYNC109 - the handshake's own, passed to picows
) -> C:
    """Opens a connection with a listener from `new_client` (frames may come in with the
    handshake's answer, so the listener is whole before it)."""
    _, listener = await ws_connect(
        new_client, url, websocket_handshake_timeout=timeout, max_frame_size=MAX_FRAME
    )
    return cast("C", listener)


class BacklogCounter(Client):
    """Counts the frames before session:ready: the backlog."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def on_text(self, payload: memoryview) -> None:
        if decode_frame(payload).event == "session:ready":
            self.session_ready()
        else:
            self.count += 1


async def _backlog(url: str) -> BacklogCounter:
    counter = await connect(BacklogCounter, url, BACKLOG_TIMEOUT_S)
    with contextlib.suppress(ConnectionError):  # closed early: its count says how far it got
        await counter.ready
    return counter


async def receive_backlogs(urls: list[str]) -> tuple[float, list[int]]:
    """Connects to every url at once; returns the time until the last session was ready
    (the clients close after it) and each backlog's frame count."""
    started = time.perf_counter()
    counters = await asyncio.gather(*(_backlog(url) for url in urls))
    seconds = time.perf_counter() - started
    await asyncio.gather(*(counter.close() for counter in counters))
    return seconds, [counter.count for counter in counters]
