"""The six scenarios of the benchmark. Each returns plain data for the report."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any, Literal, get_args

import httpx

from bench.harness import (
    BenchChat,
    EchoServer,
    LoadSummary,
    Measured,
    drive,
    pairs_of,
    seed_conversation,
    seed_users,
    settle,
    start_chat,
)
from bench.loadgen import Assignment
from bench.wsclient import receive_backlogs

P99_BUDGET_MS = 25.0
Floor = Literal["echo", "durable"]


@dataclass(frozen=True)
class Sizes:
    """How big each scenario runs: the full suite, or --quick (under two minutes)."""

    duration_s: float
    latency_clients: tuple[int, ...]
    latency_rates: tuple[int, ...]
    rate_steps: tuple[int, ...]
    idle_connections: int
    backlogs: tuple[int, ...]
    storm_clients: int
    storm_backlog: int
    history_depth: int
    samples: int

    @classmethod
    def full(cls) -> Sizes:
        return cls(
            10,
            (100, 1000, 10000),
            (500, 1000, 2000),
            (250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000, 4000, 5000),
            10000,
            (1000, 10000),
            1000,
            100,
            1_000_000,
            300,
        )

    @classmethod
    def quick(cls) -> Sizes:
        return cls(2, (100, 500), (500,), (1000,), 300, (1000,), 100, 100, 10_000, 50)


def _row(summary: LoadSummary, **extra: Any) -> dict[str, Any]:
    return {**summary.as_dict(), **extra}


def _passes(summary: LoadSummary) -> bool:
    delivered_all = summary.lost == 0 and summary.duplicated == 0 and summary.out_of_order == 0
    return delivered_all and summary.latency_ms["p99"] <= P99_BUDGET_MS


def delivery_latency(database_url: str, sizes: Sizes) -> list[dict[str, Any]]:
    """1. Sender -> recipient latency at several connection counts and fixed total rates."""
    rows = []
    server = start_chat(database_url)
    try:
        for clients in sizes.latency_clients:
            users = seed_users(database_url, clients)
            for rate in sizes.latency_rates:
                summary = drive(
                    server.ws_url, pairs_of(users), rate, sizes.duration_s, server.process_pid
                )
                rows.append(_row(summary, scenario="latency", workers=1))
    finally:
        server.stop()
    return rows


def crowded_floors(database_url: str, sizes: Sizes) -> list[dict[str, Any]]:
    """6c. Both floors at scenario 1's largest connection count and rates: what any relay on
    this machine gets with that many sockets open, for the chat's row to be read against."""
    clients = max(sizes.latency_clients)
    users = seed_users(database_url, clients)
    rows = []
    for floor in get_args(Floor):
        server = _start_floor(database_url, floor)
        try:
            for rate in sizes.latency_rates:
                summary = drive(
                    server.ws_url,
                    pairs_of(users, echo=True),
                    rate,
                    sizes.duration_s,
                    server.process_pid,
                )
                rows.append(_row(summary, scenario=floor, workers=1))
        finally:
            server.stop()
    return rows


def highest_rate(
    database_url: str, sizes: Sizes, workers: int, *, floor: Floor | None = None
) -> list[dict[str, Any]]:
    """2 and 6. Steps up the offered rate at 400 connections until p99 > 25 ms (or loss), on
    the chat, or on a floor: the bare echo relay, or the durable one (it commits each message)."""
    users = seed_users(database_url, 400)
    rows = []
    server: Any
    if floor is None:
        server = start_chat(database_url, workers)
    else:
        server = _start_floor(database_url, floor)
    try:
        for rate in sizes.rate_steps:
            summary = drive(
                server.ws_url,
                pairs_of(users, echo=floor is not None),
                rate,
                sizes.duration_s,
                server.process_pid,
            )
            rows.append(
                _row(summary, scenario=floor or "rate", workers=workers, passed=_passes(summary))
            )
            if summary.latency_ms["p99"] > 4 * P99_BUDGET_MS:
                break
    finally:
        server.stop()
    return rows


def _start_floor(database_url: str, floor: Floor) -> EchoServer:
    return EchoServer(database_url if floor == "durable" else None).start()


def idle_connections(database_url: str, sizes: Sizes) -> dict[str, Any]:
    """3. Server RSS per idle, authenticated connection, and the floor's on granian alone."""
    users = seed_users(database_url, sizes.idle_connections)
    chat = _idle_rss(start_chat(database_url), [u.token for u in users], sizes)
    floor = _idle_rss(EchoServer().start(), [u.id for u in users], sizes)
    return {"scenario": "idle", **chat, "floor_kib_per_connection": floor["kib_per_connection"]}


def _idle_rss(server: BenchChat | EchoServer, tokens: list[str], sizes: Sizes) -> dict[str, Any]:
    try:
        time.sleep(1)  # let start-up settle
        before = Measured(server.process_pid).rss_bytes()
        clients = [Assignment(i, f"idle{i}", token, None) for i, token in enumerate(tokens)]
        hold = sizes.duration_s + sizes.idle_connections / 1000
        summary = drive(server.ws_url, clients, 0, hold, server.process_pid)
        after = summary.server_rss_mb * 2**20
        connected = sizes.idle_connections - summary.connect_failures
    finally:
        server.stop()
    return {
        "connections": connected,
        "rss_before_mb": round(before / 2**20, 1),
        "rss_after_mb": round(after / 2**20, 1),
        "kib_per_connection": round((after - before) / max(connected, 1) / 1024, 2),
    }


def replay(database_url: str, sizes: Sizes) -> list[dict[str, Any]]:
    """4. Time to receive a backlog of missed messages, and a reconnect storm; each also from
    the echo relay sending as many frames (the floor)."""
    rows = []
    floor = EchoServer().start()
    server = start_chat(database_url)
    try:
        for backlog in sizes.backlogs:
            sender, recipient = seed_users(database_url, 2)
            seed_conversation(database_url, sender, recipient, backlog)
            seconds, (count,) = asyncio.run(
                receive_backlogs([f"{server.ws_url}?token={recipient.token}"])
            )
            floor_seconds, _ = asyncio.run(
                receive_backlogs([f"{floor.ws_url}?token={recipient.id}&backlog={backlog}"])
            )
            rows.append(
                {
                    "scenario": "replay",
                    "backlog": backlog,
                    "received": count,
                    "ms": round(seconds * 1000, 1),
                    "floor_ms": round(floor_seconds * 1000, 1),
                }
            )
        users = seed_users(database_url, sizes.storm_clients + 1)
        for recipient in users[1:]:
            seed_conversation(database_url, users[0], recipient, sizes.storm_backlog)
        seconds, counts = asyncio.run(
            receive_backlogs([f"{server.ws_url}?token={u.token}" for u in users[1:]])
        )
        floor_seconds, _ = asyncio.run(
            receive_backlogs(
                [f"{floor.ws_url}?token={u.id}&backlog={sizes.storm_backlog}" for u in users[1:]]
            )
        )
        rows.append(
            {
                "scenario": "storm",
                "clients": sizes.storm_clients,
                "backlog_each": sizes.storm_backlog,
                "complete": sum(1 for c in counts if c == sizes.storm_backlog),
                "ms": round(seconds * 1000, 1),
                "floor_ms": round(floor_seconds * 1000, 1),
            }
        )
    finally:
        server.stop()
        floor.stop()
    return rows


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {
        "p50": at(0.5),
        "p99": at(0.99),
        "max": round(ordered[-1] * 1000, 2),
        "mean": round(statistics.mean(ordered) * 1000, 2),
    }


def history(database_url: str, sizes: Sizes) -> list[dict[str, Any]]:
    """5. Page latency at depth, and search latency, over one very long conversation; and the
    floor: the same client's GET on the echo relay, which does no work."""
    sender, recipient = seed_users(database_url, 2)
    conversation = seed_conversation(database_url, sender, recipient, sizes.history_depth)
    settle(database_url)
    rows = [_history_row("floor: GET on the echo relay (no work)", 0, _floor_requests(sizes))]
    server = start_chat(database_url)
    try:
        headers = {"Authorization": f"Bearer {recipient.token}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as http:
            url = f"/conversations/{conversation}/messages"
            deep_anchor = http.get(
                url, params={"offset": sizes.history_depth // 2, "limit": 1}
            ).json()["items"][0]["id"]
            cases: dict[str, tuple[str, dict[str, str | int]]] = {
                "offset 0": (url, {"limit": 50}),
                "latest page (from=newest)": (url, {"from": "newest", "limit": 50}),
                "deep offset (middle)": (url, {"offset": sizes.history_depth // 2, "limit": 50}),
                "keyset before (middle)": (url, {"before": deep_anchor, "limit": 50}),
                "conversation list (1M unread)": ("/conversations", {}),
                "search: common word": ("/messages/search", {"q": "budget"}),
                "search: two words": ("/messages/search", {"q": "invoice check"}),
                "search: word in 1 of 33": ("/messages/search", {"q": "standup"}),
                "search: rare token": ("/messages/search", {"q": str(sizes.history_depth - 7)}),
            }
            for name, (path, params) in cases.items():
                samples = _time_requests(http, path, params, sizes.samples)
                rows.append(_history_row(name, sizes.history_depth, samples))
    finally:
        server.stop()
    return rows


def _floor_requests(sizes: Sizes) -> list[float]:
    floor = EchoServer().start()
    try:
        with httpx.Client(base_url=floor.base_url, timeout=30) as http:
            return _time_requests(http, "/", {}, sizes.samples)
    finally:
        floor.stop()


def _time_requests(
    http: httpx.Client, path: str, params: dict[str, str | int], count: int
) -> list[float]:
    """Seconds per request, one at a time; a slow case stops early, with fewer samples."""
    http.get(path, params=params)  # warm
    samples: list[float] = []
    budget_ends = time.monotonic() + 20
    for _ in range(count):
        if samples and time.monotonic() > budget_ends:
            break
        started = time.perf_counter()
        response = http.get(path, params=params)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return samples


def _history_row(case: str, depth: int, samples: list[float]) -> dict[str, Any]:
    return {
        "scenario": "history",
        "case": case,
        "depth": depth,
        "samples": len(samples),
        **_percentiles(samples),
    }
