"""The open-loop load generator: one process drives many WebSocket clients.

Senders send on a fixed schedule, and each message carries its *intended* send time
(`time.monotonic_ns`, shared by every process on the host), so a server that falls behind
cannot hide its delay (no coordinated omission). Recipients record latency from the intended
time in an HdrHistogram and count lost, duplicated and out-of-order messages per sender.
The same client speaks to the chat service and to the bare echo relay (the floor).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import websockets
from hdrh.histogram import HdrHistogram

MAX_LATENCY_US = 120_000_000


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
    start_at_ns: int  # common start on the monotonic clock
    drain_s: float = 3.0


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


class _Recorder:
    def __init__(self) -> None:
        self.histogram = HdrHistogram(1, MAX_LATENCY_US, 3)
        self.seen: dict[str, set[int]] = {}
        self.last: dict[str, int] = {}
        self.received = self.duplicated = self.out_of_order = 0
        self.replies = self.errors = 0

    def frame(self, raw: str | bytes) -> None:
        now = time.monotonic_ns()
        frame = json.loads(raw)
        event = frame.get("event")
        if event == "reply":
            self.replies += 1
            return
        if event == "error":
            self.errors += 1
            return
        if event != "message:received":
            return
        intended, sender, counter = frame["data"]["content"].split(":", 2)
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


async def _client(
    plan: LoadPlan, who: Assignment, recorder: _Recorder, sent: dict[str, int]
) -> bool:
    try:
        ws = await websockets.connect(
            f"{plan.url}?token={who.token}&since={who.since}",
            max_size=None,
            open_timeout=60,
            ping_interval=None,
        )
    except (OSError, websockets.WebSocketException, TimeoutError):
        return False

    async def read() -> None:
        try:
            async for raw in ws:
                recorder.frame(raw)
        except websockets.ConnectionClosed:
            pass

    reader = asyncio.create_task(read())
    if who.peer_id is not None:
        await _send_on_schedule(plan, who, ws, sent)
    else:
        await asyncio.sleep(
            max(0.0, (plan.start_at_ns - time.monotonic_ns()) / 1e9) + plan.duration_s
        )
    await asyncio.sleep(plan.drain_s)
    await ws.close()
    await reader
    return True


async def _send_on_schedule(
    plan: LoadPlan, who: Assignment, ws: websockets.ClientConnection, sent: dict[str, int]
) -> None:
    # stagger senders across the interval so the offered load is smooth
    offset_ns = int(plan.interval_s * 1e9 * ((who.index * 0.618033988749895) % 1.0))
    interval_ns = int(plan.interval_s * 1e9)
    end_ns = plan.start_at_ns + int(plan.duration_s * 1e9)
    key = str(who.index)
    k = 0
    while True:
        intended = plan.start_at_ns + offset_ns + k * interval_ns
        if intended >= end_ns:
            return
        delay = (intended - time.monotonic_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
        content = f"{intended}:{key}:{k}"
        frame = {"event": "message:send", "data": {"recipientId": who.peer_id, "content": content}}
        try:
            await ws.send(json.dumps(frame))
        except websockets.ConnectionClosed:
            return
        sent[key] = k + 1
        k += 1


async def _run(plan: LoadPlan) -> LoadResult:
    recorder = _Recorder()
    sent: dict[str, int] = {}
    outcomes = await asyncio.gather(*(_client(plan, who, recorder, sent) for who in plan.clients))
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
    )


def run_plan(plan: LoadPlan) -> LoadResult:
    """Entry point of a generator process."""
    try:
        import uvloop  # noqa: PLC0415 - optional, faster when present

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(_run(plan))
