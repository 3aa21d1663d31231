"""Scenarios 4 and 5: reading what is stored, as a reconnect's replay and as history."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import TYPE_CHECKING, Any

import httpx

from bench.harness import seed_conversation, seed_users, settle
from bench.servers import EchoServer, start_chat
from bench.wsclient import receive_backlogs

if TYPE_CHECKING:
    from bench.scenarios import Sizes


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
