"""The floor: a bare WebSocket relay on granian with no database, no auth, no Redis.

It speaks just enough of the chat protocol for the same load generator: `?token=` names the
connection, `session:ready` follows the accept, and a `message:send` is forwarded to the named recipient as `message:received`.
`?backlog=N` sends N message frames, of a stored message's size, before `session:ready`: the
floor for replay. Every figure of the chat service can be read as a ratio to this one.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

Scope = dict[str, Any]
connections: dict[str, Any] = {}


async def app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
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
