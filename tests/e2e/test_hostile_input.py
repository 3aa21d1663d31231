"""What an attacker sends (contract sections 2, 3 and 7): every bad input is a 4xx with its
code, never a 500; protective headers; idle connections closed; floods of cheap frames bounded."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path

import httpx
import pytest
import websockets

from tests.e2e.test_auth import assert_error
from tests.e2e.test_typing import open_pair, typing
from tests.support.clients import Socket, User
from tests.support.server import ChatServer

DEEP = "[" * 5000 + "]" * 5000


async def test_nul_characters_are_refused(http: httpx.AsyncClient, alice: User) -> None:
    login = await http.post("/auth/login", json={"username": "a\x00b", "password": "p" * 10})
    assert_error(login, 400, "VALIDATION_ERROR")
    found = await http.get("/users", params={"username": "a\x00b"}, headers=alice.headers)
    assert_error(found, 400, "VALIDATION_ERROR")
    search = await http.get("/messages/search", params={"q": "x\x00"}, headers=alice.headers)
    assert_error(search, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/conversations"])
async def test_json_nested_thousands_deep_is_refused(
    http: httpx.AsyncClient, alice: User, path: str
) -> None:
    body = '{"username": ' + DEEP + ', "password": "x", "participantId": ' + DEEP + "}"
    sent = await http.post(
        path, content=body, headers={**alice.headers, "Content-Type": "application/json"}
    )
    assert_error(sent, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/conversations", {"offset": str(2**31)}),
        ("/conversations", {"offset": "-1"}),
        ("/conversations", {"limit": str(2**70)}),
        ("/messages/search", {"q": "hi", "offset": str(2**63)}),
        ("/messages/search", {"q": "hi", "limit": "0"}),
    ],
)
async def test_integers_out_of_range_are_refused(
    http: httpx.AsyncClient, alice: User, path: str, params: dict[str, str]
) -> None:
    assert_error(
        await http.get(path, params=params, headers=alice.headers), 400, "VALIDATION_ERROR"
    )


async def test_whitespace_query_finds_nothing(http: httpx.AsyncClient, alice: User) -> None:
    found = await http.get("/messages/search", params={"q": "   "}, headers=alice.headers)
    assert found.status_code == 200
    assert found.json()["items"] == [] and found.json()["total"] == 0


async def test_a_body_that_is_not_json_is_refused(http: httpx.AsyncClient) -> None:
    # what a cross-site form can post without a preflight
    form = await http.post(
        "/auth/login",
        content='{"username": "someone", "password": "whatever"}',
        headers={"Content-Type": "text/plain"},
    )
    assert_error(form, 415, "UNSUPPORTED_MEDIA_TYPE")
    urlencoded = await http.post("/auth/register", data={"username": "x", "password": "y"})
    assert_error(urlencoded, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_a_wrong_method_names_the_allowed_ones(http: httpx.AsyncClient) -> None:
    wrong = await http.put("/auth/login", json={})
    assert_error(wrong, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in wrong.headers["allow"]


async def test_protective_headers(http: httpx.AsyncClient, alice: User) -> None:
    for response in (
        await http.get("/health"),
        await http.get("/users/me", headers=alice.headers),
        await http.get("/no/such/route"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    login = await http.post("/auth/login", json={"username": alice.username, "password": "x" * 8})
    assert login.headers["cache-control"] == "no-store"


async def test_deep_and_huge_frames_get_bad_frame_and_the_socket_stays(
    server: ChatServer, alice: User, bob: User
) -> None:
    chat = await Socket.open(server.ws_url, alice)
    await chat.ready()
    hostile = [
        '{"event": "message:send", "data": ' + "[" * 30000 + "]" * 30000 + ', "ref": "x"}',
        '{"event": "message:send", "data": {"recipientId": ' + DEEP + "}}",
        '{"event": "ack", "data": {"seq": ' + "9" * 400 + "}}",
        '{"event": "sync", "data": {"since": -1e400}}',
        '{"event": "message:send", "data": {"recipientId": "\\u0000", "content": "\\ud800"}}',
    ]
    for raw in hostile:
        await chat.send_raw(raw)
        error = await chat.next_event("error")
        assert error["data"]["code"] in ("BAD_FRAME", "VALIDATION_ERROR"), (raw[:60], error)
    assert (await chat.send_to(bob, "still open"))["data"]["content"] == "still open"
    await chat.close()


async def test_a_typing_flood_reaches_the_recipient_once_a_second(
    server: ChatServer, alice: User, bob: User
) -> None:
    a, b, conversation = await open_pair(server, alice, bob)
    started = time.monotonic()
    for _ in range(300):
        await typing(a, "typing:start", conversation)
        await typing(a, "typing:stop", conversation)
    await typing(a, "typing:start", conversation)
    events = [f for f in await b.silent(1.0) if f["event"] == "typing"]
    elapsed = time.monotonic() - started
    shown = [f for f in events if f["data"]["isTyping"]]
    assert 1 <= len(shown) <= elapsed + 1, (len(shown), elapsed)
    assert len(events) <= 2 * (elapsed + 1)
    await a.close()
    await b.close()


async def test_a_sync_flood_is_rate_limited(server: ChatServer, alice: User) -> None:
    chat = await Socket.open(server.ws_url, alice)
    await chat.ready()
    replies = [await chat.request("sync", {"since": 0}) for _ in range(12)]
    limited = [r for r in replies if r["event"] == "error"]
    assert limited and all(r["data"]["code"] == "RATE_LIMITED" for r in limited)
    assert len(limited) < 12
    await chat.close()


def test_a_connection_that_sends_nothing_is_closed_within_ten_seconds(
    server: ChatServer,
) -> None:
    for opening in (b"", b"GET /health HTTP/1.1\r\nHost: x\r\n"):  # nothing; headers never end
        with socket.create_connection(("127.0.0.1", server.port), timeout=15) as raw:
            raw.sendall(opening)
            started = time.monotonic()
            try:
                while raw.recv(4096):
                    pass
            except ConnectionResetError:
                pass
            assert time.monotonic() - started < 12


async def test_nothing_secret_reaches_the_log(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    chat = ChatServer(
        database_url=database_url,
        redis_url=redis_url,
        cwd=tmp_path,
        extra_env={"CHAT_LOG_FORMAT": "json"},
    ).start()
    secrets: list[str] = ["a-password-of-mine", "wrong-password-typed"]
    try:
        async with httpx.AsyncClient(base_url=chat.base_url) as http:
            body = {"username": "logcheck" + str(chat.port), "password": secrets[0]}
            assert (await http.post("/auth/register", json=body)).status_code == 201
            wrong = {**body, "password": secrets[1]}
            assert (await http.post("/auth/login", json=wrong)).status_code == 401
            tokens = (await http.post("/auth/login", json=body)).json()
            renewed = (await http.post("/auth/refresh", json=tokens)).json()
            auth = {"Authorization": f"Bearer {renewed['accessToken']}"}
            ticket = (await http.post("/auth/ws-ticket", headers=auth)).json()["ticket"]
            secrets += [tokens["accessToken"], tokens["refreshToken"], renewed["refreshToken"]]
            secrets += [renewed["accessToken"], ticket]
            for url in (
                f"{chat.ws_url}?ticket={ticket}",
                f"{chat.ws_url}?token={tokens['accessToken']}",
            ):
                async with websockets.connect(url) as ws:
                    json.loads(await asyncio.wait_for(ws.recv(), 5))
            await http.post("/auth/logout", headers=auth)
    finally:
        chat.stop()
    assert chat.log_path is not None
    log = chat.log_path.read_text()
    assert "/auth/login" in log  # the access log is there, and it logs paths only
    for secret in secrets:
        assert secret not in log
