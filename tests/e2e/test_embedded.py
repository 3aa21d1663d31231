"""The embedded default: `chat serve` with no DATABASE_URL or REDIS_URL, from an empty folder."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.support.clients import PASSWORD
from tests.support.server import ChatServer

pytestmark = pytest.mark.slow


def test_embedded_default_starts_empty_and_keeps_data_across_restart(tmp_path: Path) -> None:
    first = ChatServer(database_url=None, cwd=tmp_path).start(timeout=60)
    try:
        created = httpx.post(
            f"{first.base_url}/auth/register",
            json={"username": "embedded_user", "password": PASSWORD},
        )
        assert created.status_code == 201, created.text
        assert (httpx.get(f"{first.base_url}/ready")).json()["database"] == "ok"
    finally:
        assert first.stop() == 0
    assert (tmp_path / ".chat-data" / "pg" / "PG_VERSION").exists()
    secret = (tmp_path / ".chat-data" / "jwt-secret").read_text()
    assert len(secret) >= 32

    second = ChatServer(database_url=None, cwd=tmp_path, port=first.port).start(timeout=60)
    try:
        login = httpx.post(
            f"{second.base_url}/auth/login",
            json={"username": "embedded_user", "password": PASSWORD},
        )
        assert login.status_code == 200, login.text
        me = httpx.get(
            f"{second.base_url}/users/me",
            headers={"Authorization": f"Bearer {login.json()['accessToken']}"},
        )
        assert me.json()["id"] == created.json()["id"]
    finally:
        assert second.stop() == 0
    assert (tmp_path / ".chat-data" / "jwt-secret").read_text() == secret


def test_the_embedded_start_says_each_step_once_as_json(tmp_path: Path) -> None:
    """A first start (initdb included) logs the database, the schema's revision, the address
    with the worker count, and each worker: short JSON lines, nothing else, no warning."""
    server = ChatServer(database_url=None, cwd=tmp_path).start(timeout=60)
    try:
        assert server.log_path is not None
        lines = server.log_path.read_text().splitlines()
    finally:
        assert server.stop() == 0
    assert len(lines) <= 15, lines
    events = [json.loads(line) for line in lines]  # every line is JSON (stdout is no terminal)
    assert [e["event"] for e in events][:3] == [
        "embedded postgresql running",
        "schema up to date",
        "listening",
    ]
    assert events[2]["address"] == f"http://127.0.0.1:{server.port}"
    assert events[2]["workers"] == 1
    assert all(len(line) <= 250 for line in lines), max(lines, key=len)
    assert [e for e in events if e["level"] != "info"] == []


def test_text_logs_when_asked(tmp_path: Path) -> None:
    server = ChatServer(database_url=None, cwd=tmp_path, extra_env={"CHAT_LOG_FORMAT": "text"})
    server.start(timeout=60)
    try:
        assert server.log_path is not None
        first = server.log_path.read_text().splitlines()[0]
    finally:
        assert server.stop() == 0
    assert "embedded postgresql running" in first
    assert not first.startswith("{")


def test_more_workers_without_redis_refuse_to_start(tmp_path: Path) -> None:
    server = ChatServer(database_url=None, cwd=tmp_path, workers=2)
    with pytest.raises(RuntimeError, match="exited"):
        server.start(timeout=20)
    log = server.log_path.read_text() if server.log_path else ""
    assert "CHAT_WORKERS" in log
    assert "Traceback" not in log
