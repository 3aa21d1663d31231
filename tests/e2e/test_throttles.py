"""Throttles shared by every node through Redis (contract sections 1 and 6): failed logins per
username, `/auth/*` per client address, and `/chat` connections per user."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import websockets

from tests.e2e.test_auth import assert_error
from tests.support.clients import PASSWORD, Socket, User, register
from tests.support.server import ChatServer

LIMITS = {
    "CHAT_LOGIN_RATE_LIMIT": "3/minute",
    "CHAT_AUTH_RATE_LIMIT": "8/minute",
    "CHAT_MAX_CONNECTIONS_PER_USER": "3",
}


def limited_node(database_url: str, redis_url: str) -> ChatServer:
    return ChatServer(database_url=database_url, redis_url=redis_url, extra_env=LIMITS)


@pytest.fixture(scope="module")
def nodes(database_url: str, redis_url: str) -> Iterator[tuple[ChatServer, ChatServer]]:
    """Two nodes with low limits. Each test comes from addresses of its own (the nodes trust
    X-Forwarded-For from this machine, as behind a proxy), so the address limit is its own."""
    pair = (
        limited_node(database_url, redis_url).start(),
        limited_node(database_url, redis_url).start(),
    )
    yield pair
    for node in pair:
        node.stop()


def from_address(node: ChatServer, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=node.base_url, headers={"X-Forwarded-For": address})


def new_address() -> str:
    return f"198.51.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


def assert_rate_limited(response: httpx.Response) -> None:
    body = assert_error(response, 429, "RATE_LIMITED")
    assert isinstance(body["retryAfter"], int) and 0 < body["retryAfter"] <= 60
    assert response.headers["retry-after"] == str(body["retryAfter"])


async def test_failed_logins_lock_the_username_on_every_node(
    nodes: tuple[ChatServer, ChatServer],
) -> None:
    first, second = nodes
    async with from_address(first, new_address()) as a, from_address(second, new_address()) as b:
        victim = await register(a, "victim")
        bystander = await register(a, "bystander")
        wrong = {"username": victim.username, "password": "not-the-password"}
        for http in (a, b, a):
            assert_error(await http.post("/auth/login", json=wrong), 401, "UNAUTHORIZED")
        assert_rate_limited(await b.post("/auth/login", json=wrong))
        # the right password is refused too while over, and the key ignores case
        right = {"username": victim.username.upper(), "password": PASSWORD}
        assert_rate_limited(await a.post("/auth/login", json=right))
        # other usernames are untouched
        other = {"username": bystander.username, "password": PASSWORD}
        assert (await b.post("/auth/login", json=other)).status_code == 200


async def test_successful_logins_do_not_count(nodes: tuple[ChatServer, ChatServer]) -> None:
    async with from_address(nodes[0], new_address()) as http:
        user = await register(http, "often")
        for _ in range(5):
            body = {"username": user.username, "password": PASSWORD}
            assert (await http.post("/auth/login", json=body)).status_code == 200


async def test_auth_requests_are_limited_per_client_address(
    nodes: tuple[ChatServer, ChatServer],
) -> None:
    first, second = nodes
    address = new_address()
    async with from_address(first, address) as a, from_address(second, address) as b:
        for i, http in enumerate((a, b, a, b, a, b, a, b)):
            body = {"username": f"nobody{i}{uuid.uuid4().hex[:8]}", "password": "whatever-it-is"}
            assert (await http.post("/auth/login", json=body)).status_code == 401
        assert_rate_limited(await a.post("/auth/register", json=body))
        assert_rate_limited(await b.post("/auth/refresh", json={"refreshToken": "x"}))
        # the rest of the API is not an /auth route; another address is not this one
        assert (await a.get("/health")).status_code == 200
        elsewhere = await a.post(
            "/auth/login", json=body, headers={"X-Forwarded-For": new_address()}
        )
        assert elsewhere.status_code == 401


async def open_chat(url: str, user: User) -> tuple[websockets.ClientConnection, dict[str, object]]:
    ws = await websockets.connect(f"{url}?token={user.token}", open_timeout=5)
    return ws, json.loads(await asyncio.wait_for(ws.recv(), 5))


async def test_connections_per_user_are_capped_across_nodes(
    nodes: tuple[ChatServer, ChatServer],
) -> None:
    first, second = nodes
    async with from_address(first, new_address()) as http:
        user, other = await register(http, "many"), await register(http, "other")
    held = [await open_chat(url, user) for url in (first.ws_url, second.ws_url, first.ws_url)]
    assert all(frame["event"] == "session:ready" for _, frame in held)

    refused, frame = await open_chat(second.ws_url, user)
    assert frame["event"] == "error" and frame["data"]["code"] == "TOO_MANY_CONNECTIONS"  # type: ignore[index]
    await asyncio.wait_for(refused.wait_closed(), 5)
    assert refused.close_code == 1008
    # another user is not affected
    theirs, frame = await open_chat(second.ws_url, other)
    assert frame["event"] == "session:ready"
    await theirs.close()

    # a closed connection frees its slot, on the other node too
    await held[0][0].close()
    deadline = time.monotonic() + 2
    while True:
        again, frame = await open_chat(second.ws_url, user)
        if frame["event"] == "session:ready" or time.monotonic() > deadline:
            break
        await again.close()
        await asyncio.sleep(0.1)
    assert frame["event"] == "session:ready"
    for ws, _ in (*held[1:], (again, frame)):
        await ws.close()


async def test_a_dead_process_frees_its_connections_within_seconds(
    nodes: tuple[ChatServer, ChatServer], database_url: str, redis_url: str
) -> None:
    first = nodes[0]
    dying = limited_node(database_url, redis_url).start()
    async with from_address(first, new_address()) as http:
        user = await register(http, "dying")
    sockets = [await Socket.open(dying.ws_url, user) for _ in range(3)]
    for socket in sockets:
        await socket.ready()
    _, frame = await open_chat(first.ws_url, user)
    assert frame["event"] == "error"
    dying.kill()  # holding all three, without a chance to give them back

    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        ws, frame = await open_chat(first.ws_url, user)
        await ws.close()
        if frame["event"] == "session:ready":
            break
        await asyncio.sleep(0.2)
    assert frame["event"] == "session:ready"
