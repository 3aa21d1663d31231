"""Direct messaging end to end: real WebSocket clients, a real server, real PostgreSQL and Redis.

The seven functional success criteria of the seed milestone, and the send path's edges.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests.support.clients import Socket, User, register
from tests.support.server import ChatServer

# -- 1. two authenticated users exchange messages in real time ---------------------------


async def test_live_exchange_both_ways(server: ChatServer, alice: User, bob: User) -> None:
    a, b = await Socket.open(server.ws_url, alice), await Socket.open(server.ws_url, bob)
    a2 = await Socket.open(server.ws_url, alice)  # alice's second device
    for s in (a, b, a2):
        ready = await s.ready()
        assert ready["data"]["lastSeq"] == 0
    reply = await a.send_to(bob, "Hello", senderId=bob.id)  # a senderId in the payload is ignored
    message = reply["data"]
    assert isinstance(message, dict)
    assert message["senderId"] == alice.id
    assert message["recipientId"] == bob.id
    assert message["content"] == "Hello"
    assert message["status"] == "sent"
    assert reply["seq"] == 1

    got = await b.next_event("message:received")
    assert got["data"] == message
    assert got["seq"] == 1
    mirrored = await a2.next_event("message:received")
    assert mirrored["data"]["id"] == message["id"]
    assert mirrored["seq"] == 1
    assert [f for f in await a.silent(0.3) if f["event"] == "message:received"] == []  # not echoed

    back = await b.request(
        "message:send", {"conversationId": message["conversationId"], "content": "Hi Alice"}
    )
    assert back["event"] == "reply"
    received = await a.next_event("message:received")
    assert received["data"]["content"] == "Hi Alice"
    assert received["seq"] == 2
    for s in (a, b, a2):
        await s.close()


# -- 2. messages persist and survive a server restart -------------------------------------


@pytest.fixture
def own_server(database_url: str, redis_url: str) -> Iterator[ChatServer]:
    chat = ChatServer(database_url=database_url, redis_url=redis_url).start()
    yield chat
    chat.kill()


async def test_messages_survive_a_restart(own_server: ChatServer) -> None:
    async with httpx.AsyncClient(base_url=own_server.base_url) as http:
        alice, bob = await register(http, "alice"), await register(http, "bob")
    a = await Socket.open(own_server.ws_url, alice)
    await a.ready()
    reply = await a.send_to(bob, "persist me")
    await a.close()
    assert own_server.stop() == 0
    own_server.start()
    async with httpx.AsyncClient(base_url=own_server.base_url) as http:
        history = await http.get(
            f"/conversations/{reply['data']['conversationId']}/messages", headers=bob.headers
        )
    assert history.status_code == 200
    assert [m["content"] for m in history.json()["items"]] == ["persist me"]
    b = await Socket.open(own_server.ws_url, bob)
    got = await b.next_event("message:received")
    assert got["data"]["id"] == reply["data"]["id"]
    await b.close()


async def test_live_delivery_without_redis(database_url: str) -> None:
    """`chat serve` with no REDIS_URL (one worker, the README's default) delivers in-process."""
    chat = ChatServer(database_url=database_url, redis_url=None).start()
    try:
        async with httpx.AsyncClient(base_url=chat.base_url) as http:
            alice, bob = await register(http, "alice"), await register(http, "bob")
        a, b = await Socket.open(chat.ws_url, alice), await Socket.open(chat.ws_url, bob)
        await a.ready()
        await b.ready()
        reply = await a.send_to(bob, "no broker here")
        got = await b.next_event("message:received")
        assert got["data"]["id"] == reply["data"]["id"]
        assert got["seq"] == 1
        await b.close()  # bob leaves and comes back: the stream picks up where it was
        second = await a.send_to(bob, "while away")
        b = await Socket.open(chat.ws_url, bob, since=1)
        again = await b.next_event("message:received")
        assert (again["data"]["id"], again["seq"]) == (second["data"]["id"], 2)
        await a.close()
        await b.close()
    finally:
        chat.kill()


# -- 3. offline users get queued messages on reconnect, in order, before session:ready -------


async def test_offline_queue_is_delivered_in_order_before_ready(
    server: ChatServer, alice: User, bob: User
) -> None:
    a = await Socket.open(server.ws_url, alice)
    await a.ready()
    sent = [(await a.send_to(bob, f"queued {i}"))["data"]["id"] for i in range(5)]
    b = await Socket.open(server.ws_url, bob)
    frames = [await b.next() for _ in range(6)]
    assert [f["event"] for f in frames] == ["message:received"] * 5 + ["session:ready"]
    assert [f["data"]["id"] for f in frames[:5]] == sent
    assert [f["seq"] for f in frames[:5]] == [1, 2, 3, 4, 5]
    assert frames[5]["data"] == {"userId": bob.id, "lastSeq": 5}

    # without an ack, a reconnect replays the same events; after acking 3, only 4 and 5
    await b.close()
    b = await Socket.open(server.ws_url, bob)
    again = [await b.next() for _ in range(6)]
    assert [f.get("seq") for f in again[:5]] == [1, 2, 3, 4, 5]
    await b.ws.send(json.dumps({"event": "ack", "data": {"seq": 3}}))
    await asyncio.sleep(0.3)
    await b.close()
    b = await Socket.open(server.ws_url, bob)
    after_ack = [await b.next() for _ in range(3)]
    assert [f.get("seq") for f in after_ack] == [4, 5, None]
    assert after_ack[2]["event"] == "session:ready"
    # `since` overrides the acked position
    await b.close()
    b = await Socket.open(server.ws_url, bob, since=1)
    with_since = [await b.next() for _ in range(5)]
    assert [f.get("seq") for f in with_since] == [2, 3, 4, 5, None]
    for s in (a, b):
        await s.close()


async def test_sync_replays_on_demand(server: ChatServer, alice: User, bob: User) -> None:
    a = await Socket.open(server.ws_url, alice)
    await a.ready()
    for i in range(3):
        await a.send_to(bob, f"sync {i}")
    b = await Socket.open(server.ws_url, bob)
    await b.ready()
    await b.ws.send(json.dumps({"event": "sync", "data": {"since": 1}, "ref": "s1"}))
    frames = [await b.next() for _ in range(3)]
    assert [(f["event"], f.get("seq")) for f in frames] == [
        ("message:received", 2),
        ("message:received", 3),
        ("reply", None),
    ]
    assert frames[2]["ref"] == "s1"
    assert frames[2]["data"] == {"lastSeq": 3}
    await a.close()
    await b.close()


# -- 4. history loads chronologically, 50 per page ------------------------------------------


async def test_history_pagination(http: httpx.AsyncClient, alice: User, bob: User) -> None:
    opened = await http.post(
        "/conversations", json={"participantId": bob.id}, headers=alice.headers
    )
    conversation = opened.json()["id"]
    url = f"/conversations/{conversation}/messages"
    for i in range(120):
        sender = alice if i % 2 == 0 else bob
        sent = await http.post(url, json={"content": f"m{i:03d}"}, headers=sender.headers)
        assert sent.status_code == 201, sent.text

    async def page(**params: str | int) -> dict[str, Any]:
        response = await http.get(url, params=params, headers=alice.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def contents(body: dict[str, Any]) -> list[str]:
        return [m["content"] for m in body["items"]]

    first = await page()
    assert (first["total"], first["limit"], first["offset"]) == (120, 50, 0)
    assert contents(first) == [f"m{i:03d}" for i in range(50)]
    assert contents(await page(offset=50)) == [f"m{i:03d}" for i in range(50, 100)]
    assert contents(await page(offset=100)) == [f"m{i:03d}" for i in range(100, 120)]
    assert contents(await page(offset=500)) == []
    assert contents(await page(**{"from": "newest"})) == [f"m{i:03d}" for i in range(70, 120)]
    newest_offset: dict[str, str | int] = {"from": "newest", "offset": 100}
    assert contents(await page(**newest_offset)) == [f"m{i:03d}" for i in range(20)]
    assert contents(await page(limit=10)) == [f"m{i:03d}" for i in range(10)]

    anchor = first["items"][40]["id"]
    before = await page(before=anchor, limit=5)
    assert contents(before) == [f"m{i:03d}" for i in range(35, 40)]
    assert before["offset"] is None
    assert contents(await page(after=anchor, limit=5)) == [f"m{i:03d}" for i in range(41, 46)]
    assert contents(await page(before=first["items"][0]["id"])) == []

    for bad in (
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"before": "nope"},
        {"before": anchor, "offset": 0},
        {"before": anchor, "after": anchor},
        {"from": "middle"},
    ):
        response = await http.get(url, params=bad, headers=alice.headers)
        assert response.status_code == 400, (bad, response.text)
        assert response.json()["code"] == "VALIDATION_ERROR"
    unknown = await http.get(url, params={"before": str(uuid.uuid4())}, headers=alice.headers)
    assert unknown.status_code == 404


# -- 5. conversations are created automatically, in canonical order ------------------------


async def test_first_message_creates_the_conversation_in_canonical_order(
    server: ChatServer, http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    a = await Socket.open(server.ws_url, alice)
    await a.ready()
    reply = await a.send_to(bob, "first contact")
    conversation_id = reply["data"]["conversationId"]
    view = await http.get(f"/conversations/{conversation_id}", headers=bob.headers)
    assert view.status_code == 200
    participants = [p["userId"] for p in view.json()["participants"]]
    assert participants == sorted([alice.id, bob.id])
    assert {p["username"] for p in view.json()["participants"]} == {alice.username, bob.username}
    again = await http.post("/conversations", json={"participantId": alice.id}, headers=bob.headers)
    assert again.status_code == 200
    assert again.json()["id"] == conversation_id
    await a.close()


async def test_open_conversation_rules(http: httpx.AsyncClient, alice: User, bob: User) -> None:
    created = await http.post(
        "/conversations", json={"participantId": bob.id}, headers=alice.headers
    )
    assert created.status_code == 201
    body = created.json()
    assert body["lastMessage"] is None
    assert body["unreadCount"] == 0
    myself = await http.post(
        "/conversations", json={"participantId": alice.id}, headers=alice.headers
    )
    assert (myself.status_code, myself.json()["code"]) == (400, "VALIDATION_ERROR")
    nobody = await http.post(
        "/conversations", json={"participantId": str(uuid.uuid4())}, headers=alice.headers
    )
    assert (nobody.status_code, nobody.json()["code"]) == (404, "NOT_FOUND")
    bad = await http.post("/conversations", json={"participantId": "x"}, headers=alice.headers)
    assert bad.status_code == 400


async def test_concurrent_first_messages_make_one_conversation(
    server: ChatServer, http: httpx.AsyncClient
) -> None:
    pairs = [(await register(http, "p"), await register(http, "q")) for _ in range(8)]
    sockets = {}
    for left, right in pairs:
        for user in (left, right):
            sockets[user.id] = await Socket.open(server.ws_url, user)
            await sockets[user.id].ready()
    replies = await asyncio.gather(
        *(sockets[left.id].send_to(right, "hi from left") for left, right in pairs),
        *(sockets[right.id].send_to(left, "hi from right") for left, right in pairs),
    )
    for index in range(len(pairs)):
        left_reply, right_reply = replies[index], replies[index + len(pairs)]
        assert left_reply["data"]["conversationId"] == right_reply["data"]["conversationId"]
    for s in sockets.values():
        await s.close()


# -- 6. non-participants get 403 on every path --------------------------------------------


async def test_non_participant_is_forbidden_everywhere(
    server: ChatServer, http: httpx.AsyncClient, alice: User, bob: User, carol: User
) -> None:
    a = await Socket.open(server.ws_url, alice)
    await a.ready()
    reply = await a.send_to(bob, "private")
    conversation = reply["data"]["conversationId"]
    message_id = reply["data"]["id"]
    checks = [
        http.get(f"/conversations/{conversation}", headers=carol.headers),
        http.get(f"/conversations/{conversation}/messages", headers=carol.headers),
        http.post(
            f"/conversations/{conversation}/messages", json={"content": "x"}, headers=carol.headers
        ),
        http.post(
            f"/conversations/{conversation}/read",
            json={"upToMessageId": message_id},
            headers=carol.headers,
        ),
    ]
    for response in await asyncio.gather(*checks):
        assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN"), response.text
    unknown = str(uuid.uuid4())
    for response in await asyncio.gather(
        http.get(f"/conversations/{unknown}", headers=carol.headers),
        http.get(f"/conversations/{unknown}/messages", headers=carol.headers),
        http.post(
            f"/conversations/{unknown}/messages", json={"content": "x"}, headers=carol.headers
        ),
    ):
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")

    c = await Socket.open(server.ws_url, carol)
    await c.ready()
    send = await c.request("message:send", {"conversationId": conversation, "content": "let me in"})
    assert (send["event"], send["data"]["code"]) == ("error", "FORBIDDEN")
    read = await c.request(
        "message:read", {"conversationId": conversation, "upToMessageId": message_id}
    )
    assert (read["event"], read["data"]["code"]) == ("error", "FORBIDDEN")
    await c.ws.send(json.dumps({"event": "typing:start", "data": {"conversationId": conversation}}))
    assert await c.silent(0.3) == []  # ignored, and nobody is told
    assert all(f["event"] != "typing" for f in await a.silent(0.3))
    history = await http.get(f"/conversations/{conversation}/messages", headers=alice.headers)
    assert [m["content"] for m in history.json()["items"]] == ["private"]
    await a.close()
    await c.close()


# -- 7. rate limiting: the 11th message in a minute is refused; others are unaffected -------


@pytest.fixture
def strict_server(database_url: str, redis_url: str) -> Iterator[ChatServer]:
    chat = ChatServer(
        database_url=database_url, redis_url=redis_url, rate_limit="10/minute"
    ).start()
    yield chat
    chat.kill()


async def test_rate_limit(strict_server: ChatServer) -> None:
    async with httpx.AsyncClient(base_url=strict_server.base_url) as http:
        alice, bob, carol = [await register(http, n) for n in ("alice", "bob", "carol")]
        a = await Socket.open(strict_server.ws_url, alice)
        await a.ready()
        first = await a.send_to(bob, "m0", clientMessageId="once")
        resend = await a.send_to(bob, "m0 again", clientMessageId="once")  # not counted
        assert resend["data"]["id"] == first["data"]["id"]
        for i in range(1, 10):  # nine more fit in the ten (send_to fails on an error)
            await a.send_to(bob, f"m{i}")
        at_the_limit = await a.send_to(bob, "m0 once more", clientMessageId="once")
        assert at_the_limit["data"]["id"] == first["data"]["id"]
        refused = await a.request("message:send", {"recipientId": bob.id, "content": "eleventh"})
        assert refused["event"] == "error"
        assert refused["data"]["code"] == "RATE_LIMITED"
        assert 0 < refused["data"]["retryAfter"] <= 60

        conversation = first["data"]["conversationId"]
        rest = await http.post(
            f"/conversations/{conversation}/messages",
            json={"content": "via rest"},
            headers=alice.headers,
        )
        assert rest.status_code == 429
        assert rest.json()["code"] == "RATE_LIMITED"
        assert 0 < int(rest.headers["Retry-After"]) <= 60
        assert rest.json()["retryAfter"] == int(rest.headers["Retry-After"])

        other = await http.post(
            f"/conversations/{conversation}/messages",
            json={"content": "bob is fine"},
            headers=bob.headers,
        )
        assert other.status_code == 201
        c = await Socket.open(strict_server.ws_url, carol)
        await c.ready()
        await c.send_to(bob, "carol is fine")
        history = await http.get(f"/conversations/{conversation}/messages", headers=bob.headers)
        assert history.json()["total"] == 11  # ten from alice, one from bob; nothing refused stored
        await a.close()
        await c.close()


# -- the send path's edges ----------------------------------------------------------------------


async def test_idempotent_resend(
    server: ChatServer, http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    a, b = await Socket.open(server.ws_url, alice), await Socket.open(server.ws_url, bob)
    await a.ready()
    await b.ready()
    first = await a.send_to(bob, "once", clientMessageId="client-1")
    again = await a.send_to(bob, "different content", clientMessageId="client-1")
    assert again["data"] == first["data"]
    assert again["seq"] == first["seq"]
    received = [f for f in await b.silent(0.5) if f["event"] == "message:received"]
    assert len(received) == 1
    conversation = first["data"]["conversationId"]
    url = f"/conversations/{conversation}/messages"
    rest = await http.post(
        url, json={"content": "x", "clientMessageId": "client-1"}, headers=alice.headers
    )
    assert rest.status_code == 200
    assert rest.json()["id"] == first["data"]["id"]
    new = await http.post(
        url, json={"content": "y", "clientMessageId": "client-2"}, headers=alice.headers
    )
    assert new.status_code == 201
    # the same clientMessageId from another sender is another message
    theirs = await http.post(
        url, json={"content": "z", "clientMessageId": "client-1"}, headers=bob.headers
    )
    assert theirs.status_code == 201
    assert (await http.get(url, headers=alice.headers)).json()["total"] == 3
    await a.close()
    await b.close()


async def test_concurrent_identical_resends_store_one_message(
    server: ChatServer, http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    opened = await http.post(
        "/conversations", json={"participantId": bob.id}, headers=alice.headers
    )
    url = f"/conversations/{opened.json()['id']}/messages"
    responses = await asyncio.gather(
        *(
            http.post(
                url, json={"content": "dup", "clientMessageId": "race"}, headers=alice.headers
            )
            for _ in range(8)
        )
    )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in responses}) == 1


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"content": ""}, "VALIDATION_ERROR"),
        ({"content": "   \n "}, "VALIDATION_ERROR"),
        ({"content": "nul\u0000inside"}, "VALIDATION_ERROR"),
        ({"content": "x" * 5001}, "VALIDATION_ERROR"),
        ({"content": "ok", "clientMessageId": ""}, "VALIDATION_ERROR"),
        ({"content": "ok", "clientMessageId": "x" * 65}, "VALIDATION_ERROR"),
        ({"content": 5}, "VALIDATION_ERROR"),
    ],
)
async def test_rest_send_validation(
    http: httpx.AsyncClient, alice: User, bob: User, data: dict[str, object], code: str
) -> None:
    opened = await http.post(
        "/conversations", json={"participantId": bob.id}, headers=alice.headers
    )
    url = f"/conversations/{opened.json()['id']}/messages"
    response = await http.post(url, json=data, headers=alice.headers)
    assert (response.status_code, response.json()["code"]) == (400, code), response.text
    assert (await http.get(url, headers=alice.headers)).json()["total"] == 0


async def test_emoji_content_counts_code_points(
    http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    opened = await http.post(
        "/conversations", json={"participantId": bob.id}, headers=alice.headers
    )
    url = f"/conversations/{opened.json()['id']}/messages"
    ok = await http.post(url, json={"content": "🙂" * 5000}, headers=alice.headers)
    assert ok.status_code == 201
    assert ok.json()["content"] == "🙂" * 5000


BAD_FRAMES = [
    ("not json at all", "BAD_FRAME"),
    ("[]", "BAD_FRAME"),
    ("42", "BAD_FRAME"),
    ('{"data": {}}', "BAD_FRAME"),
    ('{"event": 7}', "BAD_FRAME"),
    ('{"event": "message:explode", "data": {}}', "BAD_FRAME"),
    ('{"event": "message:send"}', "VALIDATION_ERROR"),
    ('{"event": "message:send", "data": {"content": "no target"}}', "VALIDATION_ERROR"),
    (
        '{"event": "message:send", "data": {"recipientId": "nope", "content": "x"}}',
        "VALIDATION_ERROR",
    ),
    (
        '{"event": "message:send", "data": {"recipientId": "RECIPIENT", "content": ""}}',
        "VALIDATION_ERROR",
    ),
    (
        '{"event": "message:send", "data": {"recipientId": "RECIPIENT", "content": "a\\u0000b"}}',
        "VALIDATION_ERROR",
    ),
    (
        '{"event": "message:send", "data": {"recipientId": "SELF", "content": "me"}}',
        "VALIDATION_ERROR",
    ),
    (
        '{"event": "message:send", "data": {"recipientId": "00000000-0000-4000-8000-000000000000", "content": "x"}}',
        "NOT_FOUND",
    ),
    ('{"event": "ack", "data": {"seq": -1}}', "VALIDATION_ERROR"),
    ('{"event": "sync", "data": {"since": "zero"}}', "VALIDATION_ERROR"),
    ('{"event": "message:read", "data": {"conversationId": "x"}}', "VALIDATION_ERROR"),
]


async def test_bad_frames_get_errors_and_the_connection_stays_open(
    server: ChatServer, alice: User, bob: User
) -> None:
    a = await Socket.open(server.ws_url, alice)
    await a.ready()
    for index, (raw, code) in enumerate(BAD_FRAMES):
        text = raw.replace("RECIPIENT", bob.id).replace("SELF", alice.id)
        if text.startswith("{") and '"event"' in text and "explode" not in text:
            text = text[:-1] + f', "ref": "bad{index}"}}'
        await a.send_raw(text)
        error = await a.next_event("error")
        assert error["data"]["code"] == code, (raw, error)
        if '"ref"' in text and code != "BAD_FRAME":
            assert error["ref"] == f"bad{index}"
    await a.send_raw("x" * (65 * 1024))
    too_big = await a.next_event("error")
    assert too_big["data"]["code"] == "PAYLOAD_TOO_LARGE"
    reply = await a.send_to(bob, "still open")
    assert reply["data"]["content"] == "still open"
    await a.close()


async def test_unauthenticated_sockets_are_closed_with_4401(
    server: ChatServer, alice: User
) -> None:
    for url in (server.ws_url, f"{server.ws_url}?token=garbage"):
        ws = await websockets.connect(url)
        frame = json.loads(await ws.recv())
        assert frame["event"] == "error"
        assert frame["data"]["code"] == "UNAUTHORIZED"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4401
    ws = await websockets.connect(server.ws_url, additional_headers=alice.headers)
    assert json.loads(await ws.recv())["event"] == "session:ready"
    await ws.close()


async def test_seam_between_backlog_and_live(server: ChatServer, alice: User, bob: User) -> None:
    """bob connects while alice keeps sending: every message arrives once, in order."""
    a = await Socket.open(server.ws_url, alice)
    await a.ready()
    total = 60
    replied = 0

    async def keep_sending() -> None:
        nonlocal replied
        for i in range(total):
            await a.send_to(bob, f"seam {i}")
            replied += 1

    sender = asyncio.create_task(keep_sending())
    while replied < 10:  # bob connects mid-stream, however fast the sends are
        await asyncio.sleep(0.001)
    b = await Socket.open(server.ws_url, bob)
    seen: list[int] = []
    while len(seen) < total:
        frame = await b.next(10)
        if frame["event"] == "message:received":
            seen.append(frame["seq"])
    await sender
    assert seen == list(range(1, total + 1))
    assert [f for f in await b.silent(0.5) if f["event"] == "message:received"] == []
    ready = [f["data"] for f in b.received if f["event"] == "session:ready"]
    assert len(ready) == 1
    # the backlog ended, and live delivery began, mid-stream
    assert 10 <= ready[0]["lastSeq"] < total
    await a.close()
    await b.close()
