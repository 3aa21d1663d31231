"""Accounts and tokens over real HTTP against a real server (contract sections 2 and 3)."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
import pytest

from tests.support.clients import PASSWORD, User, register
from tests.support.server import ChatServer
from tests.support.services import SECRET


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    body: dict[str, object] = response.json()
    assert body["code"] == code
    assert body["statusCode"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["correlationId"], str) and body["correlationId"]
    assert "Traceback" not in response.text
    return body


async def test_register_login_and_me(http: httpx.AsyncClient) -> None:
    created = await http.post("/auth/register", json={"username": "Dana.Q-1", "password": PASSWORD})
    assert created.status_code == 201
    user = created.json()
    assert set(user) == {"id", "username", "createdAt"}
    assert user["username"] == "Dana.Q-1"

    login = await http.post("/auth/login", json={"username": "dana.q-1", "password": PASSWORD})
    assert login.status_code == 200
    token = login.json()
    assert token["tokenType"] == "bearer"
    assert token["expiresIn"] == 3600

    me = await http.get("/users/me", headers={"Authorization": f"Bearer {token['accessToken']}"})
    assert me.status_code == 200
    assert me.json() == user


async def test_duplicate_username_is_409_case_insensitively(
    http: httpx.AsyncClient, alice: User
) -> None:
    response = await http.post(
        "/auth/register", json={"username": alice.username.upper(), "password": PASSWORD}
    )
    assert_error(response, 409, "CONFLICT")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ab", "password": PASSWORD}, "username"),
        ({"username": "x" * 33, "password": PASSWORD}, "username"),
        ({"username": "has space", "password": PASSWORD}, "username"),
        ({"username": "émile", "password": PASSWORD}, "username"),
        ({"username": "valid_name", "password": "short"}, "password"),
        ({"username": "valid_name", "password": "p" * 129}, "password"),
        ({"password": PASSWORD}, "username"),
        ({"username": "valid_name"}, "password"),
        ({"username": 12345, "password": PASSWORD}, "username"),
    ],
)
async def test_register_validation(
    http: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    response = await http.post("/auth/register", json=body)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert field in json.dumps(error.get("details")) or field in str(error["message"])


async def test_register_rejects_non_json(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "VALIDATION_ERROR")


async def test_wrong_password_and_unknown_user_are_401(
    http: httpx.AsyncClient, alice: User
) -> None:
    wrong = await http.post(
        "/auth/login", json={"username": alice.username, "password": "wrong-password"}
    )
    assert_error(wrong, 401, "UNAUTHORIZED")
    unknown = await http.post("/auth/login", json={"username": "nobody_here", "password": PASSWORD})
    assert_error(unknown, 401, "UNAUTHORIZED")


def _forge(claims: dict[str, object], key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _alg_none(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _claims(user: User, **changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": user.id,
        "iat": now,
        "exp": now + 600,
        "iss": "chat",
        "aud": "chat",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _tampered(user: User, other: User) -> str:
    header, _, signature = user.token.split(".")
    payload = base64.urlsafe_b64encode(json.dumps(_claims(other)).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


FORGERIES: dict[str, Callable[[User, User], str]] = {
    "alg none": lambda u, o: _alg_none(_claims(u)),
    "tampered payload": _tampered,
    "wrong key": lambda u, o: _forge(_claims(u), key="another-secret-that-is-also-long-enough!!"),
    "expired": lambda u, o: _forge(
        _claims(u, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    ),
    "missing exp": lambda u, o: _forge(_claims(u, exp=None)),
    "missing sub": lambda u, o: _forge(_claims(u, sub=None)),
    "missing iat": lambda u, o: _forge(_claims(u, iat=None)),
    "wrong audience": lambda u, o: _forge(_claims(u, aud="elsewhere")),
    "wrong issuer": lambda u, o: _forge(_claims(u, iss="elsewhere")),
    "unknown user": lambda u, o: _forge(_claims(u, sub="00000000-0000-4000-8000-000000000000")),
    "sub not a uuid": lambda u, o: _forge(_claims(u, sub="alice")),
    "HS512 with the right key": lambda u, o: _forge(_claims(u), algorithm="HS512"),
    "garbage": lambda u, o: "not.a.token",
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
async def test_forged_tokens_are_401(
    http: httpx.AsyncClient, alice: User, bob: User, forgery: str
) -> None:
    token = FORGERIES[forgery](alice, bob)
    response = await http.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "UNAUTHORIZED")


async def test_missing_token_is_401(http: httpx.AsyncClient) -> None:
    assert_error(await http.get("/users/me"), 401, "UNAUTHORIZED")
    assert_error(
        await http.get("/users/me", headers={"Authorization": "Basic abc"}), 401, "UNAUTHORIZED"
    )


async def test_find_users_by_username(http: httpx.AsyncClient, alice: User) -> None:
    found = await http.get(
        "/users", params={"username": alice.username.upper()}, headers=alice.headers
    )
    assert found.status_code == 200
    assert [u["id"] for u in found.json()] == [alice.id]
    none = await http.get("/users", params={"username": "nobody_at_all"}, headers=alice.headers)
    assert none.json() == []


async def test_correlation_id_is_echoed_and_in_errors(http: httpx.AsyncClient) -> None:
    response = await http.get("/users/me", headers={"X-Correlation-ID": "trace-123"})
    assert response.headers["x-correlation-id"] == "trace-123"
    assert response.json()["correlationId"] == "trace-123"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/no/such/path", 404, "NOT_FOUND"),
        ("DELETE", "/users/me", 405, "METHOD_NOT_ALLOWED"),
    ],
)
async def test_a_request_no_route_matches_has_a_correlation_id(
    http: httpx.AsyncClient, method: str, path: str, status: int, code: str
) -> None:
    response = await http.request(method, path)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["correlationId"] == response.headers["x-correlation-id"]
    assert len(body["correlationId"]) == 32


def test_a_client_that_leaves_mid_body_is_logged_as_gone_not_as_an_error(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    chat = ChatServer(database_url=database_url, redis_url=redis_url, cwd=tmp_path).start()
    assert chat.log_path is not None
    try:
        with socket.create_connection(("127.0.0.1", chat.port)) as client:
            client.sendall(
                b"POST /auth/register HTTP/1.1\r\nHost: chat\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                b'{"username": "half'
            )
        deadline = time.monotonic() + 10
        while "/auth/register" not in chat.log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        chat.stop()
    lines = [json.loads(line) for line in chat.log_path.read_text().splitlines() if line[:1] == "{"]
    gone = [line for line in lines if line["event"] == "client left before its request was read"]
    assert [line["level"] for line in gone] == ["info"]
    assert not [line for line in lines if line["level"] == "error"]
    request = next(line for line in lines if line.get("path") == "/auth/register")
    assert request["status"] == 400
    assert request["correlation_id"] == gone[0]["correlation_id"]


async def test_oversized_body_is_413(http: httpx.AsyncClient) -> None:
    body = json.dumps({"username": "x" * 70_000, "password": PASSWORD})
    response = await http.post(
        "/auth/register", content=body, headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_docs_and_health(http: httpx.AsyncClient) -> None:
    assert (await http.get("/health")).status_code == 200
    ready = await http.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"
    assert ready.json()["redis"] == "ok"
    assert (await http.get("/api/docs")).status_code == 200
    spec = (await http.get("/api/docs/openapi.json")).json()
    paths = spec["paths"]
    for path in (
        "/auth/register",
        "/auth/login",
        "/users/me",
        "/users",
        "/conversations",
        "/conversations/{conversation_id}",
        "/conversations/{conversation_id}/messages",
        "/conversations/{conversation_id}/read",
        "/messages/search",
        "/health",
        "/ready",
    ):
        assert path in paths, path
    assert "401" in paths["/users/me"]["get"]["responses"]


async def test_new_user_registered_via_helper(http: httpx.AsyncClient) -> None:
    user = await register(http, "helper")
    me = await http.get("/users/me", headers=user.headers)
    assert me.json()["username"] == user.username
