"""Delivery and read receipts, forward-only status, and unread counts (contract sections 2, 4)."""

from __future__ import annotations

import json

import httpx

from tests.support.clients import Socket, User
from tests.support.server import ChatServer


async def unread(http: httpx.AsyncClient, user: User, conversation: str) -> int:
    view = await http.get(f"/conversations/{conversation}", headers=user.headers)
    count: int = view.json()["unreadCount"]
    return count


async def test_delivered_then_read_both_ways(
    server: ChatServer, http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    a, b = await Socket.open(server.ws_url, alice), await Socket.open(server.ws_url, bob)
    await a.ready()
    await b.ready()
    sent = await a.send_to(bob, "did you get this?")
    message = sent["data"]
    received = await b.next_event("message:received")
    await b.ws.send(json.dumps({"event": "ack", "data": {"seq": received["seq"]}}))

    delivered = await a.next_event("message:status")
    assert delivered["data"]["messageId"] == message["id"]
    assert delivered["data"]["status"] == "delivered"
    assert delivered["data"]["deliveredAt"] is not None
    assert delivered["data"]["readAt"] is None
    assert delivered["seq"] == sent["seq"] + 1

    read = await b.request(
        "message:read",
        {"conversationId": message["conversationId"], "upToMessageId": message["id"]},
    )
    assert read["event"] == "reply"
    assert read["data"] == {"updated": 1}
    status = await a.next_event("message:status")
    assert status["data"]["status"] == "read"
    assert status["data"]["readAt"] is not None
    assert status["data"]["deliveredAt"] == delivered["data"]["deliveredAt"]

    # a late ack changes nothing: status only moves forward
    await b.ws.send(json.dumps({"event": "ack", "data": {"seq": received["seq"]}}))
    assert [f for f in await a.silent(0.4) if f["event"] == "message:status"] == []
    history = await http.get(
        f"/conversations/{message['conversationId']}/messages", headers=alice.headers
    )
    stored = history.json()["items"][0]
    assert stored["status"] == "read"
    assert stored["readAt"] == status["data"]["readAt"]

    # reading again updates nothing
    again = await b.request(
        "message:read",
        {"conversationId": message["conversationId"], "upToMessageId": message["id"]},
    )
    assert again["data"] == {"updated": 0}
    await a.close()
    await b.close()


async def test_read_before_delivery_sets_both(
    http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    opened = await http.post(
        "/conversations", json={"participantId": bob.id}, headers=alice.headers
    )
    conversation = opened.json()["id"]
    url = f"/conversations/{conversation}/messages"
    ids = [
        (await http.post(url, json={"content": f"n{i}"}, headers=alice.headers)).json()["id"]
        for i in range(4)
    ]
    mine = (await http.post(url, json={"content": "from bob"}, headers=bob.headers)).json()["id"]
    assert await unread(http, bob, conversation) == 4
    assert await unread(http, alice, conversation) == 1

    marked = await http.post(
        f"/conversations/{conversation}/read", json={"upToMessageId": ids[1]}, headers=bob.headers
    )
    assert marked.status_code == 200
    assert marked.json() == {"updated": 2}
    assert await unread(http, bob, conversation) == 2
    items = (await http.get(url, headers=alice.headers)).json()["items"]
    assert [m["status"] for m in items] == ["read", "read", "sent", "sent", "sent"]
    assert items[0]["deliveredAt"] is not None
    assert items[0]["readAt"] is not None

    # up to bob's own later message: everything from alice before it is read
    marked = await http.post(
        f"/conversations/{conversation}/read", json={"upToMessageId": mine}, headers=bob.headers
    )
    assert marked.json() == {"updated": 2}
    assert await unread(http, bob, conversation) == 0
    # an earlier message does not move the watermark back
    back = await http.post(
        f"/conversations/{conversation}/read", json={"upToMessageId": ids[0]}, headers=bob.headers
    )
    assert back.json() == {"updated": 0}
    assert await unread(http, bob, conversation) == 0
    missing = await http.post(
        f"/conversations/{conversation}/read",
        json={"upToMessageId": "00000000-0000-4000-8000-000000000000"},
        headers=bob.headers,
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")


async def test_receipts_reach_an_offline_sender_on_reconnect(
    server: ChatServer, http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    a = await Socket.open(server.ws_url, alice)
    await a.ready()
    sent = await a.send_to(bob, "read this while I am away")
    await a.ws.send(json.dumps({"event": "ack", "data": {"seq": sent["seq"]}}))
    await a.close()

    b = await Socket.open(server.ws_url, bob)
    received = await b.next_event("message:received")
    await b.ws.send(json.dumps({"event": "ack", "data": {"seq": received["seq"]}}))
    conversation = sent["data"]["conversationId"]
    await b.request(
        "message:read", {"conversationId": conversation, "upToMessageId": sent["data"]["id"]}
    )
    await b.close()

    a = await Socket.open(server.ws_url, alice)
    frames = [await a.next() for _ in range(3)]
    assert [(f["event"], f.get("seq")) for f in frames] == [
        ("message:status", sent["seq"] + 1),
        ("message:status", sent["seq"] + 2),
        ("session:ready", None),
    ]
    assert [f["data"].get("status") for f in frames[:2]] == ["delivered", "read"]
    assert frames[0]["data"]["readAt"] is None
    await a.close()


async def test_unread_counts_through_ws_and_rest(
    server: ChatServer, http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    a = await Socket.open(server.ws_url, alice)
    await a.ready()
    replies = [await a.send_to(bob, f"u{i}") for i in range(3)]
    conversation = replies[0]["data"]["conversationId"]
    assert await unread(http, bob, conversation) == 3
    assert await unread(http, alice, conversation) == 0
    b = await Socket.open(server.ws_url, bob)
    await b.ready()
    await b.request(
        "message:read", {"conversationId": conversation, "upToMessageId": replies[0]["data"]["id"]}
    )
    assert await unread(http, bob, conversation) == 2
    await http.post(
        f"/conversations/{conversation}/read",
        json={"upToMessageId": replies[2]["data"]["id"]},
        headers=bob.headers,
    )
    assert await unread(http, bob, conversation) == 0
    await a.close()
    await b.close()
