"""The floor: a bare WebSocket relay on granian with no database, no auth, no Redis.

It speaks just enough of the chat protocol for the same load generator: `?token=` names the
connection, `session:ready` follows the accept, and a `message:send` is forwarded to the
named recipient as `message:received`. `?backlog=N` sends N message frames, of a stored
message's size, before `session:ready`: the floor for replay. Every figure of the chat service
can be read as a ratio to this one.

With `ECHO_DATABASE_URL` set it is the durable floor: each message is first committed to
PostgreSQL, and only then forwarded and answered. The messages that arrive while a batch is
written go together in the next one (one INSERT, one commit), with the chat's own batcher,
batch size and pool size: what a relay that keeps every message must at least do.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from psycopg_pool import AsyncConnectionPool

from app.db.group_commit import IN_FLIGHT, MAX_BATCH
from app.db.queries import parse_queries
from app.lib.batching import Batcher
from app.lib.collector import settle_collector

if TYPE_CHECKING:
    import asyncio

Scope = dict[str, Any]
SQL = parse_queries(Path(__file__).with_name("floor.sql").read_text())
POOL_SIZE = 8  # the chat's own (app.db.pool.Database)
Stored = tuple[str, str, str]  # sender, recipient, body
connections: dict[str, Any] = {}
pool: AsyncConnectionPool | None = None
stores: Batcher[Stored, None] | None = None


async def app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    query = parse_qs(scope["query_string"].decode())
    name = query.get("token", [""])[0]
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    connections[name] = send
    for seq in range(1, int(query.get("backlog", ["0"])[0]) + 1):
        await send({"type": "websocket.send", "text": _backlog_frame(name, seq)})
    await send({"type": "websocket.send", "text": '{"event":"session:ready","data":{}}'})
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            frame = json.loads(message.get("text") or message.get("bytes") or b"{}")
            data = frame.get("data", {})
            if stores is not None:
                await stores.submit(
                    (name, str(data.get("recipientId", "")), str(data.get("content", "")))
                )
            target = connections.get(data.get("recipientId", ""))
            out = json.dumps({"event": "message:received", "data": {"senderId": name, **data}})
            if target is not None:
                await target({"type": "websocket.send", "text": out})
            await send(
                {
                    "type": "websocket.send",
                    "text": json.dumps({"event": "reply", "ref": frame.get("ref")}),
                }
            )
    finally:
        connections.pop(name, None)


async def _lifespan(receive: Any, send: Any) -> None:
    young_collections: asyncio.Task[None] | None = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await _open_database()
            young_collections = settle_collector()  # the floor's collector is set up as the chat's
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if young_collections is not None:
                young_collections.cancel()
            if pool is not None:
                await pool.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _open_database() -> None:
    global pool, stores  # noqa: PLW0603 - one pool per worker process, made at startup
    url = os.environ.get("ECHO_DATABASE_URL")
    if not url:
        return
    pool = AsyncConnectionPool(url, max_size=POOL_SIZE, open=False, kwargs={"autocommit": True})
    await pool.open(wait=True)
    async with pool.connection() as conn:
        await conn.execute(SQL["create_floor_messages"])
    stores = Batcher(_store_batch, MAX_BATCH, IN_FLIGHT)


async def _store_batch(batch: list[Stored]) -> list[None]:
    assert pool is not None  # the batcher is made with the pool
    senders, recipients, bodies = (list(column) for column in zip(*batch, strict=True))
    params = {"senders": senders, "recipients": recipients, "bodies": bodies}
    async with pool.connection() as conn:
        await conn.execute(SQL["store_floor_messages"], params)
    return [None] * len(batch)


def _backlog_frame(name: str, seq: int) -> str:
    """A frame like a replayed message:received, encoded per frame as the chat does."""
    message = {
        "id": f"00000000-0000-4000-8000-{seq:012d}",
        "conversationId": "00000000-0000-4000-8000-000000000000",
        "senderId": "00000000-0000-4000-8000-000000000001",
        "recipientId": name,
        "content": f"backlog message {seq}",
        "status": "sent",
        "createdAt": "2026-11-24T12:00:00.000000Z",
        "deliveredAt": None,
        "readAt": None,
        "clientMessageId": None,
    }
    return json.dumps({"event": "message:received", "data": message, "seq": seq})
