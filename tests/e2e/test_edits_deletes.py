"""Edits with versions and deletion for everyone (contract section 5), end to end: real
WebSocket clients, a real server, PostgreSQL and Redis."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.clients import Socket, User, register
from tests.support.server import ChatServer


async def connected(server: ChatServer, *users: User) -> list[Socket]:
    sockets = [await Socket.open(server.ws_url, user) for user in users]
    for socket in sockets:
        await socket.ready()
    return sockets


async def edit(socket: Socket, message_id: str, content: str) -> dict[str, Any]:
    return await socket.request("message:edit", {"messageId": message_id, "content": content})


async def delete(socket: Socket, message_id: str) -> dict[str, Any]:
    return await socket.request("message:delete", {"messageId": message_id})


def seqs(frames: list[dict[str, Any]]) -> list[int]:
    return [f["seq"] for f in frames if "seq" in f]


async def test_an_edit_reaches_both_sides_live_and_changes_what_is_shown(
    server: ChatServer, http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    a, a_laptop, b = await connected(server, alice, alice, bob)
    word = f"zebra{uuid.uuid4().hex[:8]}"
    sent = (await a.send_to(bob, f"first draft {word}"))["data"]
    await b.next_event("message:received")
    await a_laptop.next_event("message:received")

    reply = await edit(a, sent["id"], "second draft, kiwis")
    assert reply["event"] == "reply"
    edited = reply["data"]
    assert (edited["id"], edited["content"]) == (sent["id"], "second draft, kiwis")
    assert edited["editedAt"] is not None
    assert edited["deletedAt"] is None
    assert reply["seq"] == 2  # alice's outbox: the send, then the edit

    for socket, seq in ((b, 2), (a_laptop, 2)):
        event = await socket.next_event("message:edited")
        assert event["data"] == edited
        assert event["seq"] == seq

    conversation = sent["conversationId"]
    history = await http.get(f"/conversations/{conversation}/messages", headers=bob.headers)
    assert [m["content"] for m in history.json()["items"]] == ["second draft, kiwis"]
    listed = await http.get("/conversations", headers=bob.headers)
    [item] = [c for c in listed.json()["items"] if c["id"] == conversation]
    assert item["lastMessage"]["content"] == "second draft, kiwis"
    found = await http.get("/messages/search", params={"q": "kiwi"}, headers=bob.headers)
    assert [m["id"] for m in found.json()["items"]] == [sent["id"]]
    gone = await http.get("/messages/search", params={"q": word}, headers=bob.headers)
    assert gone.json()["items"] == []
    for socket in (a, a_laptop, b):
        await socket.close()


async def test_versions_list_the_content_over_time(
    server: ChatServer, http: httpx.AsyncClient, alice: User, bob: User, carol: User
) -> None:
    (a,) = await connected(server, alice)
    sent = (await a.send_to(bob, "v1"))["data"]
    await edit(a, sent["id"], "v2")
    latest = (await edit(a, sent["id"], "v3"))["data"]
    path = f"/conversations/{sent['conversationId']}/messages/{sent['id']}/versions"
    for reader in (alice, bob):
        versions = (await http.get(path, headers=reader.headers)).json()["items"]
        assert [v["content"] for v in versions] == ["v1", "v2", "v3"]
        assert versions[0]["at"] == sent["createdAt"]
        assert versions[-1]["at"] == latest["editedAt"]
        assert versions == sorted(versions, key=lambda v: v["at"])
    assert (await http.get(path, headers=carol.headers)).status_code == 403
    unknown = f"/conversations/{sent['conversationId']}/messages/{uuid.uuid4()}/versions"
    assert (await http.get(unknown, headers=alice.headers)).status_code == 404
    await a.close()


async def test_editing_to_the_same_content_changes_nothing(
    server: ChatServer, alice: User, bob: User
) -> None:
    a, b = await connected(server, alice, bob)
    sent = (await a.send_to(bob, "unchanged"))["data"]
    await b.next_event("message:received")
    reply = await edit(a, sent["id"], "unchanged")
    assert reply["event"] == "reply"
    assert "seq" not in reply
    assert reply["data"]["editedAt"] is None
    assert [f for f in await b.silent(0.4) if f["event"] == "message:edited"] == []
    await a.close()
    await b.close()


async def test_edits_over_rest_and_what_they_refuse(
    server: ChatServer, http: httpx.AsyncClient, alice: User, bob: User, carol: User
) -> None:
    a, b = await connected(server, alice, bob)
    sent = (await a.send_to(bob, "hello"))["data"]
    path = f"/conversations/{sent['conversationId']}/messages/{sent['id']}"
    patched = await http.patch(path, json={"content": "hello there"}, headers=alice.headers)
    assert patched.status_code == 200, patched.text
    assert patched.json()["content"] == "hello there"
    assert (await b.next_event("message:edited"))["data"] == patched.json()

    def code(response: httpx.Response) -> tuple[int, str]:
        return response.status_code, response.json()["code"]

    assert code(await http.patch(path, json={"content": "mine now"}, headers=bob.headers)) == (
        403,
        "FORBIDDEN",
    )
    assert code(await http.patch(path, json={"content": "x"}, headers=carol.headers)) == (
        403,
        "FORBIDDEN",
    )
    assert code(
        await http.patch(
            f"/conversations/{sent['conversationId']}/messages/{uuid.uuid4()}",
            json={"content": "x"},
            headers=alice.headers,
        )
    ) == (404, "NOT_FOUND")
    for bad in ("", "   ", "x" * 5001):
        response = await http.patch(path, json={"content": bad}, headers=alice.headers)
        assert code(response) == (400, "VALIDATION_ERROR")
    by_bob = await edit(b, sent["id"], "mine")
    assert by_bob["event"] == "error"
    assert by_bob["data"]["code"] == "FORBIDDEN"
    assert (await delete(a, sent["id"]))["event"] == "reply"
    assert code(await http.patch(path, json={"content": "back"}, headers=alice.headers)) == (
        409,
        "CONFLICT",
    )
    history = await http.get(
        f"/conversations/{sent['conversationId']}/messages", headers=alice.headers
    )
    assert history.json()["items"][0]["content"] == ""  # the failed edits changed nothing
    await a.close()
    await b.close()


async def test_a_delete_leaves_a_tombstone_in_place(
    server: ChatServer, http: httpx.AsyncClient, alice: User, bob: User, carol: User
) -> None:
    a, b = await connected(server, alice, bob)
    first = (await a.send_to(bob, "one"))["data"]
    doomed = (await a.send_to(bob, f"two {uuid.uuid4().hex}"))["data"]
    await a.send_to(bob, "three")
    conversation = first["conversationId"]
    before = await http.get(f"/conversations/{conversation}", headers=bob.headers)
    assert before.json()["unreadCount"] == 3

    reply = await delete(a, doomed["id"])
    tombstone = reply["data"]
    assert (tombstone["id"], tombstone["content"]) == (doomed["id"], "")
    assert tombstone["deletedAt"] is not None
    assert reply["seq"] == 4  # three sends, then the delete
    deleted = await b.next_event("message:deleted")
    assert deleted["data"] == {
        "messageId": doomed["id"],
        "conversationId": conversation,
        "deletedAt": tombstone["deletedAt"],
    }
    assert deleted["seq"] == 4

    page = await http.get(f"/conversations/{conversation}/messages", headers=bob.headers)
    assert [m["content"] for m in page.json()["items"]] == ["one", "", "three"]
    assert page.json()["total"] == 3
    after = await http.get(f"/conversations/{conversation}", headers=bob.headers)
    assert after.json()["unreadCount"] == 2
    found = await http.get("/messages/search", params={"q": "two"}, headers=bob.headers)
    assert doomed["id"] not in [m["id"] for m in found.json()["items"]]
    versions = await http.get(
        f"/conversations/{conversation}/messages/{doomed['id']}/versions", headers=bob.headers
    )
    assert versions.json() == {"items": []}

    again = await delete(a, doomed["id"])  # the same tombstone, nothing logged
    assert again["data"] == tombstone
    assert "seq" not in again
    assert [f for f in await b.silent(0.4) if f["event"] == "message:deleted"] == []
    rest = await http.delete(
        f"/conversations/{conversation}/messages/{doomed['id']}", headers=alice.headers
    )
    assert (rest.status_code, rest.json()) == (200, tombstone)
    for outsider in (bob, carol):
        refused = await http.delete(
            f"/conversations/{conversation}/messages/{first['id']}", headers=outsider.headers
        )
        assert refused.status_code == 403
    last = (await a.send_to(bob, "four"))["data"]
    await delete(a, last["id"])
    listed = await http.get(f"/conversations/{conversation}", headers=bob.headers)
    assert listed.json()["lastMessage"] == {
        "id": last["id"],
        "content": "",
        "senderId": alice.id,
        "createdAt": last["createdAt"],
    }
    await a.close()
    await b.close()


async def test_an_offline_user_replays_edits_and_deletes_as_they_are_now(
    server: ChatServer, alice: User, bob: User
) -> None:
    (a,) = await connected(server, alice)
    kept = (await a.send_to(bob, "keep me"))["data"]
    gone = (await a.send_to(bob, "forget me"))["data"]
    await edit(a, kept["id"], "kept, edited")
    await delete(a, gone["id"])
    (b,) = await connected(server, bob)  # the backlog came before session:ready
    frames = [f for f in b.received if f["event"] != "session:ready"]
    assert [(f["event"], f["seq"]) for f in frames] == [
        ("message:received", 1),
        ("message:received", 2),
        ("message:edited", 3),
        ("message:deleted", 4),
    ]
    assert frames[0]["data"]["content"] == "kept, edited"  # each says the message as it is now
    assert frames[1]["data"]["content"] == ""
    assert frames[1]["data"]["deletedAt"] is not None
    assert frames[2]["data"]["content"] == "kept, edited"
    assert frames[3]["data"]["messageId"] == gone["id"]
    await a.close()
    await b.close()


@pytest.fixture
def limited(database_url: str, redis_url: str) -> Iterator[ChatServer]:
    server = ChatServer(database_url=database_url, redis_url=redis_url, rate_limit="3/minute")
    yield server.start()
    server.stop()


async def test_edits_count_against_the_send_rate_limit(limited: ChatServer) -> None:
    async with httpx.AsyncClient(base_url=limited.base_url) as http:
        alice, bob = await register(http), await register(http)
    (a,) = await connected(limited, alice)
    sent = (await a.send_to(bob, "one"))["data"]
    assert (await edit(a, sent["id"], "two"))["event"] == "reply"
    assert (await edit(a, sent["id"], "two"))["event"] == "reply"  # unchanged: not counted
    assert (await edit(a, sent["id"], "three"))["event"] == "reply"
    limited_edit = await edit(a, sent["id"], "four")
    assert limited_edit["data"]["code"] == "RATE_LIMITED"
    assert limited_edit["data"]["retryAfter"] >= 1
    await a.close()


async def test_seqs_stay_contiguous_through_every_kind_of_event(
    server: ChatServer, alice: User, bob: User
) -> None:
    a, b = await connected(server, alice, bob)
    for n in range(3):
        sent = (await a.send_to(bob, f"m{n}"))["data"]
        await edit(a, sent["id"], f"m{n}, edited")
        if n == 1:
            await delete(a, sent["id"])
        reply = await b.send_to(alice, f"r{n}")
        await b.request(
            "message:read",
            {"conversationId": sent["conversationId"], "upToMessageId": reply["data"]["id"]},
        )
    await a.silent(0.5)
    await b.silent(0.5)
    for socket in (a, b):
        got = seqs(socket.received)
        assert got == list(range(1, len(got) + 1)), got
    await a.close()
    await b.close()


def database_dump(database_url: str) -> str:
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    return subprocess.run(
        ["pg_dump", "--data-only", database_url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


@pytest.mark.slow
async def test_a_deleted_message_leaves_no_trace_in_the_database(
    server: ChatServer, database_url: str, alice: User, bob: User
) -> None:
    original, edited = f"secret{uuid.uuid4().hex}", f"hushhush{uuid.uuid4().hex}"
    a, b = await connected(server, alice, bob)
    sent = (await a.send_to(bob, f"the plan: {original}"))["data"]
    await edit(a, sent["id"], f"the plan now: {edited}")
    await b.next_event("message:edited")
    dump = database_dump(database_url)
    assert original in dump  # kept as a version until the delete
    assert edited in dump
    await delete(a, sent["id"])
    await b.next_event("message:deleted")
    dump = database_dump(database_url)
    assert original not in dump
    assert edited not in dump
    (late,) = await connected(server, bob)  # and replay carries the tombstone
    assert all(original not in str(f) and edited not in str(f) for f in late.received)
    for socket in (a, b, late):
        await socket.close()
