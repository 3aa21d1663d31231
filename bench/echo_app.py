"""The floor: a bare WebSocket relay on granian with no database, no auth, no Redis.

It speaks just enough of the chat protocol for the same load generator: `?token=` names the
connection, `session:ready` follows the accept, and a `message:send` is forwarded to the named recipient as `message:received`.
Every figure of the chat service can be read as a ratio to this one.
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
    name = parse_qs(scope["query_string"].decode()).get("token", [""])[0]
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    connections[name] = send
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
