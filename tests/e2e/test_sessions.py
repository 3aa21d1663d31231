"""Sessions (contract section 6): refresh with rotation and reuse detection, logout, the list
of sessions, ending one from another, WebSocket tickets, and revocation on every node."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
import websockets

from tests.e2e.test_auth import assert_error
from tests.support.clients import PASSWORD, Socket, User
from tests.support.server import ChatServer


async def login(http: httpx.AsyncClient, user: User, agent: str = "test") -> dict[str, Any]:
    response = await http.post(
        "/auth/login",
        json={"username": user.username, "password": PASSWORD},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def assert_refused(url: str) -> None:
    """The /chat connection gets an UNAUTHORIZED error and is closed with 4401."""
    async with websockets.connect(url, open_timeout=5) as ws:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        await asyncio.wait_for(ws.wait_closed(), 5)
    assert frame["event"] == "error" and frame["data"]["code"] == "UNAUTHORIZED"
    assert ws.close_code == 4401


async def test_login_returns_a_pair_and_refresh_rotates(
    http: httpx.AsyncClient, alice: User
) -> None:
    tokens = await login(http, alice)
    assert tokens["tokenType"] == "bearer"
    assert tokens["expiresIn"] > 0 and tokens["refreshExpiresIn"] == 2592000
    assert tokens["refreshToken"] != tokens["accessToken"]

    renewed = await http.post("/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()
    assert fresh["refreshToken"] != tokens["refreshToken"]
    assert (await http.get("/users/me", headers=bearer(fresh))).json()["id"] == alice.id
    # the old access token belongs to the same live session: it still works
    assert (await http.get("/users/me", headers=bearer(tokens))).status_code == 200
    assert "no-store" in renewed.headers["cache-control"]


async def test_reusing_a_rotated_refresh_token_ends_the_session(
    http: httpx.AsyncClient, alice: User
) -> None:
    stolen = await login(http, alice)
    legit = (await http.post("/auth/refresh", json={"refreshToken": stolen["refreshToken"]})).json()
    other = await login(http, alice)  # another device of alice's

    reuse = await http.post("/auth/refresh", json={"refreshToken": stolen["refreshToken"]})
    assert_error(reuse, 401, "UNAUTHORIZED")
    # the whole session is over: its newest refresh token and its access tokens too
    again = await http.post("/auth/refresh", json={"refreshToken": legit["refreshToken"]})
    assert_error(again, 401, "UNAUTHORIZED")
    assert_error(await http.get("/users/me", headers=bearer(legit)), 401, "UNAUTHORIZED")
    assert (await http.get("/users/me", headers=bearer(other))).status_code == 200


async def test_unknown_and_malformed_refresh_tokens(http: httpx.AsyncClient) -> None:
    assert_error(
        await http.post("/auth/refresh", json={"refreshToken": "x" * 43}), 401, "UNAUTHORIZED"
    )
    assert_error(
        await http.post("/auth/refresh", json={"refreshToken": ""}), 400, "VALIDATION_ERROR"
    )
    assert_error(await http.post("/auth/refresh", json={}), 400, "VALIDATION_ERROR")


async def test_logout_ends_only_that_session(http: httpx.AsyncClient, alice: User) -> None:
    phone, laptop = await login(http, alice, "phone"), await login(http, alice, "laptop")
    out = await http.post("/auth/logout", headers=bearer(phone))
    assert out.status_code == 204
    assert_error(await http.get("/users/me", headers=bearer(phone)), 401, "UNAUTHORIZED")
    refresh = await http.post("/auth/refresh", json={"refreshToken": phone["refreshToken"]})
    assert_error(refresh, 401, "UNAUTHORIZED")
    assert (await http.get("/users/me", headers=bearer(laptop))).status_code == 200
    assert_error(await http.post("/auth/logout", headers=bearer(phone)), 401, "UNAUTHORIZED")


async def test_sessions_list_and_ending_one_from_another(
    http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    phone, laptop = await login(http, alice, "phone"), await login(http, alice, "laptop")
    listed = await http.get("/auth/sessions", headers=bearer(laptop))
    assert listed.status_code == 200
    items = listed.json()
    assert [s["userAgent"] for s in items[:2]] == ["laptop", "phone"]  # newest first
    assert set(items[0]) == {"id", "createdAt", "lastSeenAt", "userAgent", "current"}
    assert [s["current"] for s in items].count(True) == 1 and items[0]["current"] is True
    phone_id = items[1]["id"]

    # bob cannot end alice's session; an unknown id is 404 too
    assert_error(
        await http.delete(f"/auth/sessions/{phone_id}", headers=bob.headers), 404, "NOT_FOUND"
    )
    ended = await http.delete(f"/auth/sessions/{phone_id}", headers=bearer(laptop))
    assert ended.status_code == 204
    assert_error(await http.get("/users/me", headers=bearer(phone)), 401, "UNAUTHORIZED")
    remaining = (await http.get("/auth/sessions", headers=bearer(laptop))).json()
    assert phone_id not in [s["id"] for s in remaining]
    again = await http.delete(f"/auth/sessions/{phone_id}", headers=bearer(laptop))
    assert_error(again, 404, "NOT_FOUND")


async def test_a_ticket_works_once_for_its_session(
    server: ChatServer, http: httpx.AsyncClient, alice: User
) -> None:
    tokens = await login(http, alice)
    issued = await http.post("/auth/ws-ticket", headers=bearer(tokens))
    assert issued.status_code == 200
    ticket = issued.json()
    assert 0 < ticket["expiresIn"] <= 60 and ticket["ticket"]
    assert_error(await http.post("/auth/ws-ticket"), 401, "UNAUTHORIZED")

    url = f"{server.ws_url}?ticket={ticket['ticket']}"
    async with websockets.connect(url, open_timeout=5) as ws:
        ready = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ready["event"] == "session:ready" and ready["data"]["userId"] == alice.id
    await assert_refused(url)  # a second use
    await assert_refused(f"{server.ws_url}?ticket=not-a-ticket")


async def test_a_ticket_of_an_ended_session_is_refused(
    server: ChatServer, http: httpx.AsyncClient, alice: User
) -> None:
    tokens = await login(http, alice)
    ticket = (await http.post("/auth/ws-ticket", headers=bearer(tokens))).json()["ticket"]
    assert (await http.post("/auth/logout", headers=bearer(tokens))).status_code == 204
    await assert_refused(f"{server.ws_url}?ticket={ticket}")


async def test_an_expired_ticket_is_refused(
    server: ChatServer, http: httpx.AsyncClient, alice: User, database_url: str
) -> None:
    tokens = await login(http, alice)
    ticket = (await http.post("/auth/ws-ticket", headers=bearer(tokens))).json()["ticket"]
    with psycopg.connect(database_url, autocommit=True) as conn:  # as if 60 s had passed
        conn.execute("UPDATE ws_tickets SET expires_at = now() - interval '1 second'")
    await assert_refused(f"{server.ws_url}?ticket={ticket}")


@pytest.fixture
def second_node(server: ChatServer, database_url: str, redis_url: str) -> Iterator[ChatServer]:
    node = ChatServer(database_url=database_url, redis_url=redis_url).start()
    yield node
    node.stop()


async def test_ending_a_session_reaches_every_node_within_five_seconds(
    server: ChatServer, second_node: ChatServer, http: httpx.AsyncClient, alice: User, bob: User
) -> None:
    doomed, kept = await login(http, alice, "doomed"), await login(http, alice, "kept")
    # the doomed session's access token is known live on the other node (its cache warm)
    async with httpx.AsyncClient(base_url=second_node.base_url, timeout=10) as there:
        assert (await there.get("/users/me", headers=bearer(doomed))).status_code == 200
        doomed_socket = await Socket.open(
            second_node.ws_url, User(alice.id, alice.username, doomed["accessToken"])
        )
        kept_socket = await Socket.open(
            second_node.ws_url, User(alice.id, alice.username, kept["accessToken"])
        )
        await doomed_socket.ready()
        await kept_socket.ready()

        started = time.monotonic()
        assert (await http.post("/auth/logout", headers=bearer(doomed))).status_code == 204
        error = await doomed_socket.next_event("error", timeout=5)
        assert error["data"]["code"] == "UNAUTHORIZED"
        await asyncio.wait_for(doomed_socket.ws.wait_closed(), 5 - (time.monotonic() - started))
        assert doomed_socket.ws.close_code == 4401
        assert_error(await there.get("/users/me", headers=bearer(doomed)), 401, "UNAUTHORIZED")
        await assert_refused(f"{second_node.ws_url}?token={doomed['accessToken']}")

        # the user's other session is untouched, on either node
        reply = await kept_socket.request(
            "message:send", {"recipientId": bob.id, "content": "still here"}
        )
        assert reply["event"] == "reply"
        assert (await there.get("/users/me", headers=bearer(kept))).status_code == 200
        await kept_socket.close()
