"""Starting what is measured (chat servers, the echo floor), seeding data, driving load."""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
import psycopg
from hdrh.histogram import HdrHistogram
from psycopg import sql

from app.db.migrate import migrate
from app.db.queries import parse_queries
from bench.loadgen import (
    CONNECT_TIMEOUT_S,
    MAX_LATENCY_US,
    Assignment,
    LoadPlan,
    LoadResult,
    run_plan,
)
from tests.support.accounts import start_sessions, token_for
from tests.support.services import ADMIN_URL, with_database

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult

SEED = parse_queries((Path(__file__).with_name("seed.sql")).read_text())
GENERATORS = 2
OTHER_CPU_GROUPS = ("postgresql", "redis", "generator")
START_DELAY_NS = 500_000_000  # from "all live" to the first send
DRAIN_S = 3.0  # how long clients keep listening after the last send


def fresh_database() -> tuple[str, str]:
    name = f"chat_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_database(ADMIN_URL, name)
    migrate(url)
    return name, url


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class User:
    id: str
    token: str


def seed_users(database_url: str, count: int) -> list[User]:
    """`count` new users. Their tables are analyzed at once, as autovacuum would do within a
    minute: a server that prepared its statements while the tables were small keeps plans that
    scan them whole (10,000 log heads read per batch of sends) until new statistics arrive."""
    prefix = f"b{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(SEED["seed_users"], {"prefix": prefix, "count": count}).fetchall()
        sessions = start_sessions(conn, [str(row[0]) for row in rows])
        conn.execute("ANALYZE users, outbox_heads, outbox_acks, sessions")
    return [
        User(str(row[0]), token_for(str(row[0]), session, ttl=86400))
        for row, session in zip(rows, sessions, strict=True)
    ]


def seed_conversation(database_url: str, sender: User, recipient: User, count: int) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            SEED["seed_conversation"],
            {"sender": sender.id, "recipient": recipient.id, "count": count},
        ).fetchone()
        conn.execute("ANALYZE messages")
    assert row is not None
    return str(row[0])


def settle(database_url: str) -> None:
    """What autovacuum would have done to the tables before anyone read them again: a bulk load
    (or the scenario before) leaves dead rows, unset hint bits, an empty visibility map and a
    GIN pending list, and what runs next would measure their cleanup, not its own work.
    Like autovacuum, it leaves alone the tables nothing has changed: statistics that say
    `messages` is empty make every statement prepared on them scan it whole as it fills."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        for (table,) in conn.execute(SEED["tables_changed"]).fetchall():
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
        conn.execute("SELECT gin_clean_pending_list('messages_search_vector')")
        conn.execute("CHECKPOINT")


class Measured:
    """CPU and RSS of a server's whole process tree."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)

    def processes(self) -> list[psutil.Process]:
        return [self.root, *self.root.children(recursive=True)]

    def cpu_seconds(self) -> float:
        total = 0.0
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def rss_bytes(self) -> int:
        total = 0
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
        return total


class OtherCpu:
    """CPU of what shares the box with the server: PostgreSQL (backends and its background
    processes), Redis, and this run's load generator (the bench's own child processes but
    the server's)."""

    def __init__(self, server: Measured | None) -> None:
        self._server = {p.pid for p in server.processes()} if server else set()
        self._before = self._snapshot()

    def percent(self, wall_s: float) -> dict[str, float]:
        after = self._snapshot()
        used = dict.fromkeys(OTHER_CPU_GROUPS, 0.0)
        for (group, pid), seconds in after.items():
            used[group] += seconds - self._before.get((group, pid), 0.0)
        return {group: round(seconds / wall_s * 100, 1) for group, seconds in used.items()}

    def _snapshot(self) -> dict[tuple[str, int], float]:
        groups = {"postgres": "postgresql", "redis-server": "redis"}
        found: dict[tuple[str, int], float] = {}
        candidates = [(p, groups.get(p.info["name"])) for p in psutil.process_iter(["name"])]
        candidates += [
            (p, "generator")
            for p in psutil.Process().children(recursive=True)
            if p.pid not in self._server
        ]
        for process, group in candidates:
            if group is not None:
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    found[group, process.pid] = times.user + times.system
        return found


@dataclass
class LoadSummary:
    offered_rate: float
    connections: int
    duration_s: float
    sent: int
    received: int
    lost: int
    duplicated: int
    out_of_order: int
    replies: int
    errors: int
    error_codes: dict[str, int]
    close_codes: dict[str, int]
    connect_failures: int
    throughput: float
    latency_ms: dict[str, float]
    server_cpu_percent: float
    server_rss_mb: float
    other_cpu_percent: dict[str, float]
    # CPU milliseconds per delivered message, by process group, in the same window
    cpu_ms_per_message: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def pairs_of(users: list[User], *, echo: bool = False) -> list[Assignment]:
    """Clients in pairs, each sending to the other (the echo relay is addressed by user id)."""
    clients = []
    for index, user in enumerate(users):
        peer = users[index + 1] if index % 2 == 0 else users[index - 1]
        clients.append(Assignment(index, user.id, user.id if echo else user.token, peer.id))
    return clients


def drive(
    url: str,
    clients: list[Assignment],
    rate: float,
    duration_s: float,
    server_pid: int | None,
    protocol: str = "chat",
) -> LoadSummary:
    """Connects every client, waits until all are live, then offers `rate` messages/s in all,
    spread over the sending clients, for `duration_s`."""
    senders = sum(1 for c in clients if c.peer_id is not None) or 1
    interval = senders / rate if rate > 0 else duration_s * 10
    drain_s = min(DRAIN_S, duration_s)  # a short (--quick) run waits less for stragglers
    measured = Measured(server_pid) if server_pid else None
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(GENERATORS) as pool:
        ready, go = manager.Queue(), manager.Queue()
        plans = [
            LoadPlan(
                url, clients[i::GENERATORS], interval, duration_s, ready, go, drain_s, protocol
            )
            for i in range(GENERATORS)
        ]
        pending = pool.map_async(run_plan, plans)
        for _ in plans:  # the barrier: every client connected (or given up on)
            _wait_until_live(ready, pending)
        start_at = time.monotonic_ns() + START_DELAY_NS
        for _ in plans:
            go.put(start_at)
        time.sleep(max(0.0, (start_at - time.monotonic_ns()) / 1e9))
        cpu_before = measured.cpu_seconds() if measured else 0.0
        others = OtherCpu(measured)
        wall_before = time.monotonic()
        time.sleep(duration_s)
        cpu = (measured.cpu_seconds() - cpu_before) if measured else 0.0
        wall = time.monotonic() - wall_before
        other_cpu = others.percent(wall)
        rss = measured.rss_bytes() if measured else 0
        results: list[LoadResult] = pending.get(timeout=duration_s + drain_s + 120)
    return summarize(results, rate, len(clients), duration_s, cpu / wall * 100, rss, other_cpu)


def _wait_until_live(ready: queue.Queue[None], pending: AsyncResult[Any]) -> None:
    """One generator's word that its clients are live. A client gives up after at most two
    of CONNECT_TIMEOUT_S (the handshake, then session:ready); a generator that ended before
    its word raises its own error here, not an empty queue minutes later."""
    deadline = time.monotonic() + 2 * CONNECT_TIMEOUT_S + 60
    while True:
        try:
            return ready.get(timeout=1)
        except queue.Empty:
            if pending.ready():
                pending.get()  # raises the generator's error
                raise RuntimeError("a load generator ended before its clients were live") from None
            if time.monotonic() > deadline:
                raise


def summarize(
    results: list[LoadResult],
    rate: float,
    connections: int,
    duration_s: float,
    cpu: float,
    rss: int,
    other_cpu: dict[str, float],
) -> LoadSummary:
    histogram = HdrHistogram(1, MAX_LATENCY_US, 3)
    for result in results:
        histogram.add(HdrHistogram.decode(result.histogram))
    expected: dict[str, int] = {}
    seen: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    error_codes: Counter[str] = Counter()
    close_codes: Counter[str] = Counter()
    for result in results:
        expected.update(result.expected)
        seen.update(result.seen)
        rejected.update(result.rejected)
        error_codes.update(result.error_codes)
        close_codes.update(result.close_codes)
    received = sum(r.received for r in results)
    return LoadSummary(
        offered_rate=rate,
        connections=connections,
        duration_s=duration_s,
        sent=sum(r.sent for r in results),
        received=received,
        # a send answered with an error was refused, not lost
        lost=sum(max(0, n - seen[k] - rejected[k]) for k, n in expected.items()),
        duplicated=sum(r.duplicated for r in results),
        out_of_order=sum(r.out_of_order for r in results),
        replies=sum(r.replies for r in results),
        errors=sum(r.errors for r in results),
        error_codes=dict(error_codes),
        close_codes=dict(close_codes),
        connect_failures=sum(r.connect_failures for r in results),
        throughput=received / duration_s,
        latency_ms={
            "p50": histogram.get_value_at_percentile(50) / 1000,
            "p95": histogram.get_value_at_percentile(95) / 1000,
            "p99": histogram.get_value_at_percentile(99) / 1000,
            "p99.9": histogram.get_value_at_percentile(99.9) / 1000,
            "max": histogram.get_max_value() / 1000,
        },
        server_cpu_percent=round(cpu, 1),
        server_rss_mb=round(rss / 2**20, 1),
        other_cpu_percent=other_cpu,
        cpu_ms_per_message=cpu_per_message({"server": cpu, **other_cpu}, received / duration_s),
    )


def cpu_per_message(percent: dict[str, float], throughput: float) -> dict[str, float]:
    """CPU % of each group over a window, as CPU milliseconds per message delivered in it."""
    if throughput <= 0:
        return {}
    return {group: round(share * 10 / throughput, 3) for group, share in percent.items()}
