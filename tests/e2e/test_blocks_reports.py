"""Blocking and reporting (contract section 5), end to end; blocks across two processes."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.clients import Socket, User
from tests.support.server import CHAT, ChatServer
from tests.support.services import SECRET


async def opened(http: httpx.AsyncClient, user: User, other: User) -> str:
    response = await http.post(
        "/conversations", json={"participantId": other.id}, headers=user.headers
    )
    assert response.status_code in (200, 201), response.text
    conversation: str = response.json()["id"]
    return conversation


def code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


async def ws_send(socket: Socket, data: dict[str, Any]) -> dict[str, Any]:
    return await socket.request("message:send", data)


async def test_a_block_stops_sends_both_ways_until_unblocked(
    server: ChatServer, http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    conversation = await opened(http, alice, bob)
    kept = await http.post(
        f"/conversations/{conversation}/messages", json={"content": "before"}, headers=bob.headers
    )
    assert kept.status_code == 201
    a, b = await Socket.open(server.ws_url, alice), await Socket.open(server.ws_url, bob)
    await a.ready()
    await b.ready()

    assert (await http.put(f"/users/{bob.id}/block", headers=alice.headers)).status_code == 204
    assert (await http.put(f"/users/{bob.id}/block", headers=alice.headers)).status_code == 204
    listed = await http.get("/users/blocked", headers=alice.headers)
    assert [u["id"] for u in listed.json()] == [bob.id]

    for sender, other, socket in ((alice, bob, a), (bob, alice, b)):
        by_id = await ws_send(socket, {"recipientId": other.id, "content": "hi"})
        by_conversation = await ws_send(socket, {"conversationId": conversation, "content": "hi"})
        for refused in (by_id, by_conversation):
            assert refused["event"] == "error"
            assert refused["data"]["code"] == "BLOCKED"
        rest = await http.post(
            f"/conversations/{conversation}/messages",
            json={"content": "hi"},
            headers=sender.headers,
        )
        assert code(rest) == (403, "BLOCKED")
        reopened = await http.post(
            "/conversations", json={"participantId": other.id}, headers=sender.headers
        )
        assert code(reopened) == (403, "BLOCKED")

    await b.ws.send(json.dumps({"event": "typing:start", "data": {"conversationId": conversation}}))
    assert [f for f in await a.silent(0.5) if f["event"] == "typing"] == []
    history = await http.get(f"/conversations/{conversation}/messages", headers=bob.headers)
    assert [m["content"] for m in history.json()["items"]] == ["before"]  # what was, stays

    assert (await http.delete(f"/users/{bob.id}/block", headers=alice.headers)).status_code == 204
    assert (await http.delete(f"/users/{bob.id}/block", headers=alice.headers)).status_code == 204
    assert (await http.get("/users/blocked", headers=alice.headers)).json() == []
    again = await ws_send(b, {"recipientId": alice.id, "content": "after"})
    assert again["event"] == "reply"
    assert (await a.next_event("message:received"))["data"]["content"] == "after"
    await a.close()
    await b.close()


async def test_a_block_of_oneself_or_of_nobody_is_refused(
    http: httpx.AsyncClient, alice: User
) -> None:
    assert code(await http.put(f"/users/{alice.id}/block", headers=alice.headers)) == (
        400,
        "VALIDATION_ERROR",
    )
    assert code(await http.put(f"/users/{uuid.uuid4()}/block", headers=alice.headers)) == (
        404,
        "NOT_FOUND",
    )
    assert (await http.put(f"/users/{alice.id}/block")).status_code == 401


@pytest.fixture
def second_node(database_url: str, redis_url: str) -> Iterator[ChatServer]:
    node = ChatServer(database_url=database_url, redis_url=redis_url, workers=2)
    yield node.start()
    node.stop()


@pytest.mark.slow
async def test_a_block_and_an_unblock_hold_on_every_node_at_once(
    server: ChatServer, second_node: ChatServer, http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    """Blocked and unblocked through one node, sending through the other: no node keeps a
    copy of the blocks that could lag behind."""
    sockets = [await Socket.open(second_node.ws_url, bob) for _ in range(4)]  # both workers
    for socket in sockets:
        await socket.ready()
    for round_ in range(3):
        blocked = await http.put(f"/users/{bob.id}/block", headers=alice.headers)
        assert blocked.status_code == 204
        for socket in sockets:
            refused = await ws_send(socket, {"recipientId": alice.id, "content": f"no {round_}"})
            assert refused["data"]["code"] == "BLOCKED", refused
        await http.delete(f"/users/{bob.id}/block", headers=alice.headers)
        for socket in sockets:
            sent = await ws_send(socket, {"recipientId": alice.id, "content": f"yes {round_}"})
            assert sent["event"] == "reply", sent
    for socket in sockets:
        await socket.close()


def chat_reports(database_url: str) -> list[dict[str, Any]]:
    env = {**os.environ, "DATABASE_URL": database_url, "CHAT_JWT_SECRET": SECRET}
    done = subprocess.run(
        [CHAT, "reports"], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


async def test_a_report_keeps_the_message_as_it_was(
    server: ChatServer,
    database_url: str,
    http: httpx.AsyncClient,
    alice: User,
    bob: User,
    carol: User,
) -> None:
    a = await Socket.open(server.ws_url, alice)
    await a.ready()
    words = f"nasty words {uuid.uuid4().hex}"
    sent = (await a.send_to(bob, words))["data"]
    other = (await a.send_to(bob, "also this"))["data"]
    base = f"/conversations/{sent['conversationId']}/messages"

    first = await http.post(
        f"{base}/{sent['id']}/report", json={"reason": "abuse"}, headers=bob.headers
    )
    assert first.status_code == 202, first.text
    second = await http.post(
        f"{base}/{other['id']}/report", json={"reason": "spam"}, headers=bob.headers
    )
    assert second.status_code == 202
    await a.request("message:edit", {"messageId": sent["id"], "content": "nice words"})
    await a.request("message:delete", {"messageId": sent["id"]})

    mine = [r for r in chat_reports(database_url) if r["reporterId"] == bob.id]
    assert [r["id"] for r in mine] == [second.json()["id"], first.json()["id"]]  # newest first
    reported = mine[1]
    assert reported["content"] == words  # as it was, after the edit and the delete
    assert (reported["messageId"], reported["senderId"], reported["reason"]) == (
        sent["id"],
        alice.id,
        "abuse",
    )
    assert reported["createdAt"] is not None

    own = await http.post(
        f"{base}/{other['id']}/report", json={"reason": "x"}, headers=alice.headers
    )
    assert code(own) == (400, "VALIDATION_ERROR")
    outsider = await http.post(
        f"{base}/{other['id']}/report", json={"reason": "x"}, headers=carol.headers
    )
    assert code(outsider) == (403, "FORBIDDEN")
    unknown = await http.post(
        f"{base}/{uuid.uuid4()}/report", json={"reason": "x"}, headers=bob.headers
    )
    assert code(unknown) == (404, "NOT_FOUND")
    for reason in ("", "x" * 1001):
        bad = await http.post(
            f"{base}/{other['id']}/report", json={"reason": reason}, headers=bob.headers
        )
        assert code(bad) == (400, "VALIDATION_ERROR")
    await a.close()
