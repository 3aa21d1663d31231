"""Read marks on every device (contract section 4, conversation:read): a phone and a laptop
agree on unread counts, live and after a reconnect."""

from __future__ import annotations

import httpx

from tests.support.clients import Socket, User
from tests.support.server import ChatServer


async def test_a_read_mark_reaches_the_readers_other_devices(
    server: ChatServer, http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    a = await Socket.open(server.ws_url, alice)
    phone = await Socket.open(server.ws_url, bob)
    laptop = await Socket.open(server.ws_url, bob)
    for socket in (a, phone, laptop):
        await socket.ready()
    sent = [(await a.send_to(bob, f"m{n}"))["data"] for n in range(3)]
    conversation = sent[0]["conversationId"]
    for socket in (phone, laptop):
        assert len([await socket.next_event("message:received") for _ in range(3)]) == 3

    reply = await phone.request(
        "message:read", {"conversationId": conversation, "upToMessageId": sent[1]["id"]}
    )
    assert reply["data"] == {"updated": 2}
    assert reply["seq"] == 4  # bob's outbox: three received, then his read mark
    moved = await laptop.next_event("conversation:read")
    assert moved == {
        "event": "conversation:read",
        "seq": 4,
        "data": {"conversationId": conversation, "upToMessageId": sent[1]["id"], "unreadCount": 1},
    }

    rest = await http.post(
        f"/conversations/{conversation}/read",
        json={"upToMessageId": sent[2]["id"]},
        headers=bob.headers,
    )
    assert rest.json() == {"updated": 1}
    for socket in (phone, laptop):
        event = await socket.next_event("conversation:read")
        assert (event["seq"], event["data"]["unreadCount"]) == (5, 0)

    backwards = await phone.request(
        "message:read", {"conversationId": conversation, "upToMessageId": sent[0]["id"]}
    )
    assert backwards["data"] == {"updated": 0}
    assert "seq" not in backwards  # the mark did not move: nothing logged
    assert [f for f in await laptop.silent(0.4) if f["event"] == "conversation:read"] == []

    replayed = await Socket.open(server.ws_url, bob, since=3)  # a device that was away
    await replayed.ready()
    marks = [f for f in replayed.received if f["event"] == "conversation:read"]
    assert [(f["seq"], f["data"]["unreadCount"]) for f in marks] == [(4, 1), (5, 0)]
    view = await http.get(f"/conversations/{conversation}", headers=bob.headers)
    assert view.json()["unreadCount"] == 0
    for socket in (a, phone, laptop, replayed):
        await socket.close()


async def test_a_deleted_unread_message_leaves_the_count(
    server: ChatServer, http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    a = await Socket.open(server.ws_url, alice)
    await a.ready()
    sent = [(await a.send_to(bob, f"m{n}"))["data"] for n in range(4)]
    conversation = sent[0]["conversationId"]
    await http.post(
        f"/conversations/{conversation}/read",
        json={"upToMessageId": sent[1]["id"]},
        headers=bob.headers,
    )
    await a.request("message:delete", {"messageId": sent[0]["id"]})  # read already
    await a.request("message:delete", {"messageId": sent[2]["id"]})  # unread
    view = await http.get(f"/conversations/{conversation}", headers=bob.headers)
    assert view.json()["unreadCount"] == 1
    b = await Socket.open(server.ws_url, bob)
    await b.ready()
    reply = await b.request(
        "message:read", {"conversationId": conversation, "upToMessageId": sent[3]["id"]}
    )
    assert reply["data"] == {"updated": 1}  # the tombstone is not marked read
    view = await http.get(f"/conversations/{conversation}", headers=bob.headers)
    assert view.json()["unreadCount"] == 0
    await a.close()
    await b.close()
