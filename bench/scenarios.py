"""The six scenarios of the benchmark. Each returns plain data for the report."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal, get_args

from bench.harness import LoadSummary, Measured, drive, pairs_of, seed_users
from bench.loadgen import Assignment
from bench.servers import BenchChat, EchoServer, PeerServer, peer_missing, start_chat

P99_BUDGET_MS = 25.0
FAR_PAST_STEPS = 2  # steps in a row with p99 over 4x the budget that end a rate scan
Floor = Literal["echo", "durable"]
PEER: Literal["socketio"] = "socketio"  # the Socket.IO + PostgreSQL relay (bench/peers/)
PEER_IDLE_CONNECTIONS = 2000


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
    database_url: str,
    sizes: Sizes,
    workers: int,
    *,
    floor: Floor | Literal["socketio"] | None = None,
) -> list[dict[str, Any]]:
    """2, 6 and 7. Steps up the offered rate at 400 connections, on the chat, on a floor (the
    bare echo relay, or the durable one, which commits each message), or on the Socket.IO
    peer, until two steps in a row are far past the budget (one may be a lone stall: a
    checkpoint, an autovacuum)."""
    users = seed_users(database_url, 400)
    rows = []
    server: Any
    if floor is None:
        server = start_chat(database_url, workers)
    elif floor == PEER:
        server = PeerServer(database_url).start()
    else:
        server = _start_floor(database_url, floor)
    protocol = getattr(server, "protocol", "chat")
    far_past = 0
    try:
        for rate in sizes.rate_steps:
            summary = drive(
                server.ws_url,
                pairs_of(users, echo=floor in get_args(Floor)),
                rate,
                sizes.duration_s,
                server.process_pid,
                protocol,
            )
            rows.append(
                _row(summary, scenario=floor or "rate", workers=workers, passed=_passes(summary))
            )
            far_past = far_past + 1 if summary.latency_ms["p99"] > 4 * P99_BUDGET_MS else 0
            if far_past == FAR_PAST_STEPS:
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


def peer(database_url: str, sizes: Sizes) -> dict[str, Any]:
    """7. The Socket.IO peer: the same rate steps as scenario 2, and its idle memory."""
    missing = peer_missing()
    if missing is not None:
        return {"skipped": missing}
    rate = highest_rate(database_url, sizes, 1, floor=PEER)
    # at 10,000 the peer's clients did not all get through its handshake within the
    # generator's patience (10 minutes); its idle memory is read at a count it holds
    users = seed_users(database_url, min(sizes.idle_connections, PEER_IDLE_CONNECTIONS))
    idle = _idle_rss(PeerServer(database_url).start(), [u.token for u in users], sizes)
    return {"rate": rate, "idle": idle}


def _idle_rss(
    server: BenchChat | EchoServer | PeerServer, tokens: list[str], sizes: Sizes
) -> dict[str, Any]:
    try:
        time.sleep(1)  # let start-up settle
        before = Measured(server.process_pid).rss_bytes()
        clients = [Assignment(i, f"idle{i}", token, None) for i, token in enumerate(tokens)]
        hold = sizes.duration_s + sizes.idle_connections / 1000
        protocol = getattr(server, "protocol", "chat")
        summary = drive(server.ws_url, clients, 0, hold, server.process_pid, protocol)
        after = summary.server_rss_mb * 2**20
        connected = len(tokens) - summary.connect_failures
    finally:
        server.stop()
    return {
        "connections": connected,
        "rss_before_mb": round(before / 2**20, 1),
        "rss_after_mb": round(after / 2**20, 1),
        "kib_per_connection": round((after - before) / max(connected, 1) / 1024, 2),
    }
