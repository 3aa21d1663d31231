"""The open-loop load generator: one process drives many WebSocket clients.

Senders send on a fixed schedule, and each message carries its *intended* send time
(`time.monotonic_ns`, shared by every process on the host), so a server that falls behind
cannot hide its delay (no coordinated omission). Recipients record latency from the intended
time in an HdrHistogram and count lost, duplicated and out-of-order messages per sender.
The same client speaks to the chat service and to the bare echo relay (the floor).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec
from hdrh.histogram import HdrHistogram

from bench.wsclient import CONNECT_ERRORS, Client, FrameData, connect, decode_frame

if TYPE_CHECKING:
    from collections.abc import Callable
    from queue import Queue

MAX_LATENCY_US = 120_000_000
CONNECT_TIMEOUT_S = 300.0
_encode = msgspec.json.encode


@dataclass
class Assignment:
    """One client: its user, its token, whom it sends to (None: receive only)."""

    index: int
    user_id: str
    token: str
    peer_id: str | None = None
    # connect past the end of the log: a load client wants live traffic, not earlier runs' backlog
    since: int = 10**15


@dataclass
class LoadPlan:
    url: str  # ws://host:port/path
    clients: list[Assignment]
    interval_s: float  # each sender's interval between messages
    duration_s: float
    # the barrier: this process says on `ready` when all its clients are live, and reads the
    # common start (monotonic ns, shared by processes on one host) from `go`
    ready: Queue[None]
    go: Queue[int]
    drain_s: float
    # "chat": this service's protocol; "socketio": Socket.IO v5 over Engine.IO v4 (the peer)
    protocol: str = "chat"


@dataclass
class LoadResult:
    histogram: bytes
    sent: int = 0
    replies: int = 0
    errors: int = 0
    received: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    expected: dict[str, int] = field(default_factory=dict)  # sender index -> messages sent
    seen: dict[str, int] = field(default_factory=dict)  # sender index -> distinct received
    connect_failures: int = 0
    rejected: dict[str, int] = field(default_factory=dict)  # sender index -> error replies
    error_codes: dict[str, int] = field(default_factory=dict)  # error frame code -> count
    close_codes: dict[str, int] = field(default_factory=dict)  # server close code -> count


class _Recorder:
    def __init__(self) -> None:
        self.histogram = HdrHistogram(1, MAX_LATENCY_US, 3)
        self.seen: dict[str, set[int]] = {}
        self.last: dict[str, int] = {}
        self.received = self.duplicated = self.out_of_order = 0
        self.replies = self.errors = 0
        self.error_codes: Counter[str] = Counter()
        self.close_codes: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()  # sender index -> sends answered with an error

    def frame(self, payload: memoryview, receiver: str) -> str:
        now = time.monotonic_ns()
        frame = decode_frame(payload)
        event = frame.event
        if event == "reply":
            self.replies += 1
            return event
        if event == "error":
            self.errors += 1
            self.error_codes[frame.data.code if frame.data else "?"] += 1
            self.rejected[receiver] += 1  # an error answers this client's own send
            return event
        if event != "message:received" or frame.data is None:
            return event
        self.message(frame.data.content, now)
        return event

    def message(self, content: str, now: int) -> None:
        """A message received: its latency from the intended send time, once, in order."""
        intended, sender, counter = content.split(":", 2)
        n = int(counter)
        seen = self.seen.setdefault(sender, set())
        if n in seen:
            self.duplicated += 1
            return
        seen.add(n)
        if n < self.last.get(sender, -1):
            self.out_of_order += 1
        self.last[sender] = max(n, self.last.get(sender, -1))
        self.received += 1
        self.histogram.record_value(max(1, (now - int(intended)) // 1000))


class _LoadClient(Client):
    """One load client's connection: every frame goes to the run's recorder."""

    def __init__(self, recorder: _Recorder, key: str) -> None:
        super().__init__()
        self.recorder = recorder
        self.key = key

    def on_text(self, payload: memoryview) -> None:
        if self.recorder.frame(payload, self.key) == "session:ready":
            self.session_ready()


class _SocketIoClient(_LoadClient):
    """The same client, speaking Socket.IO v5 over Engine.IO v4 on a bare WebSocket: `0…` is
    the open (answered with the namespace connect and the token), `40…` the connect (live),
    `2` a ping (answered `3`), `42[event, data]` an event, `43id[answer]` an ack."""

    def __init__(self, recorder: _Recorder, key: str, token: str) -> None:
        super().__init__(recorder, key)
        self._connect = b"40" + _encode({"token": token})
        self._acks = 0

    def on_text(self, payload: memoryview) -> None:
        kind = bytes(payload[:2])
        if kind == b"42":
            event, data = _decode_event(payload[2:])
            if event == "message:received":
                self.recorder.message(data.content, time.monotonic_ns())
        elif kind == b"43":
            answer = _decode_ack(bytes(payload[2:]).lstrip(b"0123456789"))
            if answer and answer[0].error is not None:
                self.recorder.errors += 1
                self.recorder.error_codes[answer[0].error.code] += 1
                self.recorder.rejected[self.key] += 1
            else:
                self.recorder.replies += 1
        elif kind == b"2":
            self.send_text(b"3")
        elif kind == b"40":
            self.session_ready()
        elif kind[:1] == b"0":
            self.send_text(self._connect)
        elif kind == b"44":  # the handshake refused: counted as a failed connection
            self.close_code = 4401

    def send_event(self, event: str, data: object) -> None:
        self._acks += 1
        self.send_text(b"42%d" % self._acks + _encode([event, data]))


class _Answer(msgspec.Struct):
    error: FrameData | None = None


_decode_event = msgspec.json.Decoder(tuple[str, FrameData]).decode
_decode_ack = msgspec.json.Decoder(list[_Answer]).decode


class _Start:
    """Counts this process's clients going live; when all have, waits for the common start."""

    def __init__(self, plan: LoadPlan) -> None:
        self._plan = plan
        self._pending = len(plan.clients)
        self.at_ns: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._announce: asyncio.Task[None] | None = None
        if not plan.clients:
            self._announce = asyncio.create_task(self._wait_for_go())

    def settled(self) -> None:
        """One client is live, or has been given up on."""
        self._pending -= 1
        if self._pending == 0:
            self._announce = asyncio.create_task(self._wait_for_go())

    async def _wait_for_go(self) -> None:
        # The generator's own collector pauses would be counted as the server's latency (at
        # 5,000 clients per process a full collection took 225 ms, a young one 30-40 ms): collect
        # once before the start, keep what lives out of later collections, and collect no more
        # until the run is over (`_run`).
        gc.collect()
        gc.freeze()
        gc.disable()
        self._plan.ready.put(None)
        self.at_ns.set_result(await asyncio.to_thread(self._plan.go.get, timeout=CONNECT_TIMEOUT_S))


async def _client(
    plan: LoadPlan, who: Assignment, recorder: _Recorder, sent: dict[str, int], start: _Start
) -> bool:
    key = str(who.index)
    factory: Callable[[], _LoadClient]
    if plan.protocol == "socketio":
        url = f"{plan.url}?EIO=4&transport=websocket"
        factory = lambda: _SocketIoClient(recorder, key, who.token)  # noqa: E731
    else:
        url = f"{plan.url}?token={who.token}&since={who.since}"
        factory = lambda: _LoadClient(recorder, key)  # noqa: E731
    try:
        client = await connect(factory, url, CONNECT_TIMEOUT_S)
    except CONNECT_ERRORS:
        start.settled()
        return False
    try:
        await asyncio.wait_for(client.ready, CONNECT_TIMEOUT_S)
    except (TimeoutError, ConnectionError):
        start.settled()
        await _close(client, recorder)
        return False
    start.settled()
    start_at_ns = await start.at_ns
    if who.peer_id is not None:
        await _send_on_schedule(plan, who, client, sent, start_at_ns)
    # stay for the whole run: a peer may send to this client up to its very end
    end_ns = start_at_ns + int((plan.duration_s + plan.drain_s) * 1e9)
    await asyncio.sleep(max(0.0, (end_ns - time.monotonic_ns()) / 1e9))
    await _close(client, recorder)
    return True


async def _close(client: _LoadClient, recorder: _Recorder) -> None:
    await client.close()
    if client.close_code not in (None, 1000):
        recorder.close_codes[str(client.close_code)] += 1


async def _send_on_schedule(
    plan: LoadPlan,
    who: Assignment,
    client: _LoadClient,
    sent: dict[str, int],
    start_at_ns: int,
) -> None:
    # stagger senders across the interval so the offered load is smooth
    offset_ns = int(plan.interval_s * 1e9 * ((who.index * 0.618033988749895) % 1.0))
    interval_ns = int(plan.interval_s * 1e9)
    end_ns = start_at_ns + int(plan.duration_s * 1e9)
    key = str(who.index)
    k = 0
    while True:
        intended = start_at_ns + offset_ns + k * interval_ns
        if intended >= end_ns:
            return
        delay = (intended - time.monotonic_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
        if not client.open:
            return
        data = {"recipientId": who.peer_id, "content": f"{intended}:{key}:{k}"}
        if isinstance(client, _SocketIoClient):
            client.send_event("message:send", data)
        else:
            client.send_text(_encode({"event": "message:send", "data": data}))
        sent[key] = k + 1
        k += 1


async def _run(plan: LoadPlan) -> LoadResult:
    recorder = _Recorder()
    sent: dict[str, int] = {}
    start = _Start(plan)
    try:
        outcomes = await asyncio.gather(
            *(_client(plan, who, recorder, sent, start) for who in plan.clients)
        )
    finally:
        gc.unfreeze()
        gc.enable()
    return LoadResult(
        histogram=recorder.histogram.encode(),
        sent=sum(sent.values()),
        replies=recorder.replies,
        errors=recorder.errors,
        received=recorder.received,
        duplicated=recorder.duplicated,
        out_of_order=recorder.out_of_order,
        expected=sent,
        seen={sender: len(ns) for sender, ns in recorder.seen.items()},
        connect_failures=sum(1 for ok in outcomes if not ok),
        rejected=dict(recorder.rejected),
        error_codes=dict(recorder.error_codes),
        close_codes=dict(recorder.close_codes),
    )


def run_plan(plan: LoadPlan) -> LoadResult:
    """Entry point of a generator process."""
    try:
        import uvloop  # noqa: PLC0415 - optional, faster when present

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(_run(plan))
