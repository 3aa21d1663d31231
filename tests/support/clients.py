"""Clients as a user would hold them: an HTTP API client and a WebSocket client."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

PASSWORD = "correct-horse-battery"


@dataclass
class User:
    id: str
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def register(http: httpx.AsyncClient, prefix: str = "u") -> User:
    username = f"{prefix}{uuid.uuid4().hex[:10]}"
    created = await http.post("/auth/register", json={"username": username, "password": PASSWORD})
    assert created.status_code == 201, created.text
    login = await http.post("/auth/login", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return User(created.json()["id"], username, login.json()["accessToken"])


@dataclass
class Socket:
    """A `/chat` connection that keeps what it received, in order."""

    ws: ClientConnection
    received: list[dict[str, Any]] = field(default_factory=list)
    _refs: int = 0

    @classmethod
    async def open(cls, ws_url: str, user: User, since: int | None = None) -> Socket:
        url = f"{ws_url}?token={user.token}" + (f"&since={since}" if since is not None else "")
        return cls(await websockets.connect(url, max_size=None, open_timeout=10))

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.received.append(frame)
        return frame

    async def next_event(self, event: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next frame of that event, skipping others (kept in `received`)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {event} within {timeout}s")
            frame = await self.next(remaining)
            if frame["event"] == event:
                return frame

    async def ready(self) -> dict[str, Any]:
        return await self.next_event("session:ready")

    async def request(
        self, event: str, data: dict[str, Any], timeout: float = 5.0
    ) -> dict[str, Any]:
        """Sends a request with a fresh ref; returns the reply or error that echoes it."""
        self._refs += 1
        ref = f"r{self._refs}"
        await self.ws.send(json.dumps({"event": event, "data": data, "ref": ref}))
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            frame = await self.next(max(remaining, 0.01))
            if frame.get("ref") == ref and frame["event"] in ("reply", "error"):
                return frame

    async def send_to(self, recipient: User, content: str, **extra: object) -> dict[str, Any]:
        """Sends a message to `recipient`; returns the server's reply (and fails on an error)."""
        data = {"recipientId": recipient.id, "content": content, **extra}
        reply = await self.request("message:send", data)
        assert reply["event"] == "reply", reply
        return reply

    async def send_raw(self, raw: str | bytes) -> None:
        await self.ws.send(raw)

    async def silent(self, seconds: float) -> list[dict[str, Any]]:
        """Whatever arrives within `seconds`."""
        got = []
        try:
            while True:
                got.append(await self.next(seconds))
        except TimeoutError:
            return got

    async def close(self) -> None:
        await self.ws.close()
