"""`python -m bench.db_cost`: what one send costs PostgreSQL, by batch size.

Runs the service's own send statements (`send_message` for one, `send_messages` for a batch)
straight through psycopg, on one connection set up as the service's are, 200 pairs of users,
and reads the CPU time of that connection's PostgreSQL backend from /proc (the server runs on
this machine). This is the database's share of the send path, with no server, Redis or
generator taking CPU beside it.

`speed_check()` is a short form of it that `python -m bench` runs before and after its
scenarios: the machine's speed for the database changes by the hour here, and a report
carries the reading it was made at.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
import uuid
from typing import Any

import psycopg

from app.db.messages import SendRequest, send_message, send_messages
from app.db.pool import CONNECT_OPTIONS
from bench.harness import drop_database, fresh_database, seed_users
from tests.support.sends import UNLIMITED

BATCHES = (1, 2, 8, 32, 128)
MESSAGES = 4000
SPEED_CHECK_MESSAGES = 1000


def backend_cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: PTH123, SIM115
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    url: str, pairs: list[tuple[uuid.UUID, uuid.UUID]], batch: int, messages: int = MESSAGES
) -> dict[str, Any]:
    async with await psycopg.AsyncConnection.connect(url, **CONNECT_OPTIONS) as conn:
        cur = await conn.execute("SELECT pg_backend_pid()")
        row = await cur.fetchone()
        assert row is not None
        pid = int(row[0])
        await send_messages(
            conn, [SendRequest(a, "warm-up", recipient_id=b) for a, b in pairs], UNLIMITED
        )
        cpu, started, python = backend_cpu_seconds(pid), time.perf_counter(), time.process_time()
        for first in range(0, messages, batch):
            requests = [
                SendRequest(a, f"message {first + i}, hello there", recipient_id=b)
                for i, (a, b) in enumerate(random.choices(pairs, k=batch))  # noqa: S311 - not secret
            ]
            if batch == 1:
                await send_message(conn, requests[0], UNLIMITED)
            else:
                await send_messages(conn, requests, UNLIMITED)
        elapsed = time.perf_counter() - started
        return {
            "batch": batch,
            "msg_per_s": round(messages / elapsed),
            "postgres_cpu_ms_per_msg": round(1000 * (backend_cpu_seconds(pid) - cpu) / messages, 3),
            "python_cpu_ms_per_msg": round(1000 * (time.process_time() - python) / messages, 3),
        }


def seed_pairs(url: str) -> list[tuple[uuid.UUID, uuid.UUID]]:
    users = [uuid.UUID(u.id) for u in seed_users(url, 400)]
    return list(zip(users[::2], users[1::2], strict=True))


def speed_check() -> dict[str, float]:
    """PostgreSQL's CPU per lone send and per send in batches of 32, on a database of its own."""
    name, url = fresh_database()
    try:
        pairs = seed_pairs(url)
        lone = asyncio.run(measure(url, pairs, 1, SPEED_CHECK_MESSAGES))
        batched = asyncio.run(measure(url, pairs, 32, SPEED_CHECK_MESSAGES))
    finally:
        drop_database(name)
    return {
        "lone_send_postgres_cpu_ms": lone["postgres_cpu_ms_per_msg"],
        "batch_32_postgres_cpu_ms": batched["postgres_cpu_ms_per_msg"],
    }


def main() -> int:
    name, url = fresh_database()
    try:
        pairs = seed_pairs(url)
        print("| batch | msg/s, one connection | PostgreSQL CPU ms/msg | Python CPU ms/msg |")
        print("|---|---|---|---|")
        for batch in BATCHES:
            r = asyncio.run(measure(url, pairs, batch))
            print(
                f"| {r['batch']} | {r['msg_per_s']} | {r['postgres_cpu_ms_per_msg']} "
                f"| {r['python_cpu_ms_per_msg']} |",
                flush=True,
            )
    finally:
        drop_database(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
