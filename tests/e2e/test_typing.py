"""Typing indicators: start, stop, expiry, disconnect, and foreign conversations."""

from __future__ import annotations

import asyncio
import json

from tests.support.clients import Socket, User
from tests.support.server import ChatServer


async def open_pair(server: ChatServer, alice: User, bob: User) -> tuple[Socket, Socket, str]:
    a, b = await Socket.open(server.ws_url, alice), await Socket.open(server.ws_url, bob)
    await a.ready()
    await b.ready()
    reply = await a.request("message:send", {"recipientId": bob.id, "content": "hey"})
    await b.next_event("message:received")
    return a, b, reply["data"]["conversationId"]


async def typing(socket: Socket, event: str, conversation: str) -> None:
    await socket.ws.send(json.dumps({"event": event, "data": {"conversationId": conversation}}))


async def test_start_and_stop(server: ChatServer, alice: User, bob: User) -> None:
    a, b, conversation = await open_pair(server, alice, bob)
    await typing(a, "typing:start", conversation)
    started = await b.next_event("typing")
    assert started["data"] == {"conversationId": conversation, "userId": alice.id, "isTyping": True}
    assert "seq" not in started
    await typing(a, "typing:stop", conversation)
    stopped = await b.next_event("typing")
    assert stopped["data"]["isTyping"] is False
    assert [f for f in await a.silent(0.3) if f["event"] == "typing"] == []  # not to the typist
    await a.close()
    await b.close()


async def test_expires_five_seconds_after_the_last_start(
    server: ChatServer, alice: User, bob: User
) -> None:
    a, b, conversation = await open_pair(server, alice, bob)
    await typing(a, "typing:start", conversation)
    assert (await b.next_event("typing"))["data"]["isTyping"] is True
    assert [f for f in await b.silent(3.5) if f["event"] == "typing"] == []
    expired = await b.next_event("typing", timeout=4)
    assert expired["data"]["isTyping"] is False
    await a.close()
    await b.close()


async def test_disconnect_stops_typing(server: ChatServer, alice: User, bob: User) -> None:
    a, b, conversation = await open_pair(server, alice, bob)
    await typing(a, "typing:start", conversation)
    assert (await b.next_event("typing"))["data"]["isTyping"] is True
    await a.close()
    gone = await b.next_event("typing", timeout=3)
    assert gone["data"] == {"conversationId": conversation, "userId": alice.id, "isTyping": False}
    await b.close()


async def test_typing_is_not_replayed(server: ChatServer, alice: User, bob: User) -> None:
    a, b, conversation = await open_pair(server, alice, bob)
    await b.close()
    await typing(a, "typing:start", conversation)
    await asyncio.sleep(0.5)  # sent, and gone, while bob was away
    b = await Socket.open(server.ws_url, bob, since=0)
    frames = await b.silent(0.5)
    assert [f["event"] for f in frames] == ["message:received", "session:ready"]
    await a.close()
    await b.close()
