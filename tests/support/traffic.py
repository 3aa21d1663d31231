"""Clients for the fault suite: each holds one connection at a time, reads it in a background
task, processes each seq once (as a client should: seq is contiguous), acks as it goes, and
reconnects with `since` when the connection drops."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from tests.support.checker import QueueChecker
from tests.support.clients import User


class ConnectionLost(Exception):
    pass


class LiveClient:
    _refs = itertools.count(1)

    def __init__(self, user: User, ws_urls: list[str], checker: QueueChecker) -> None:
        self.user = user
        self.ws_urls = ws_urls
        self.checker = checker
        self.last_seq = 0
        self.gaps: list[tuple[int, int]] = []
        self.ready = asyncio.Event()
        self.server_index = 0
        self.reconnects = 0
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._closing = False
        self._tags: dict[str, str] = {}  # message id -> its tag, as received

    async def connect(self, server_index: int | None = None) -> None:
        if server_index is not None:
            self.server_index = server_index
        url = f"{self.ws_urls[self.server_index]}?token={self.user.token}&since={self.last_seq}"
        self.ready.clear()
        self._ws = await websockets.connect(url, max_size=None, open_timeout=10)
        self._reader = asyncio.create_task(self._read(self._ws))

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                self._handle(json.loads(raw))
        except websockets.ConnectionClosed:
            pass
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionLost())
            self._pending.clear()
            if not self._closing:
                asyncio.get_running_loop().create_task(self._reconnect())

    def _handle(self, frame: dict[str, Any]) -> None:
        event = frame["event"]
        if event == "session:ready":
            self.ready.set()
        ref = frame.get("ref")
        if ref is not None and ref in self._pending and event in ("reply", "error"):
            future = self._pending.pop(ref)
            if not future.done():  # its request may have timed out meanwhile
                future.set_result(frame)
        seq = frame.get("seq")
        if seq is None or event == "reply":
            if event == "reply" and seq is not None and seq > self.last_seq:
                self._advance(seq)
            return
        if seq <= self.last_seq:
            return
        self._advance(seq)
        data = frame["data"]
        if event == "message:received" and data["recipientId"] == self.user.id:
            self._tags[data["id"]] = data["clientMessageId"]
            self.checker.got(self.user.id, data["senderId"], data["clientMessageId"])
        elif event == "message:edited" and data["recipientId"] == self.user.id:
            edit = data["content"].rsplit(" edit ", 1)[-1]
            self.checker.got_change(self.user.id, f"{data['clientMessageId']}:edit:{edit}")
        elif event == "message:deleted" and data["messageId"] in self._tags:
            self.checker.got_change(self.user.id, f"{self._tags[data['messageId']]}:delete")

    def _advance(self, seq: int) -> None:
        if seq != self.last_seq + 1:
            self.gaps.append((self.last_seq, seq))
        self.last_seq = seq

    async def _reconnect(self) -> None:
        for attempt in range(100):
            await asyncio.sleep(min(0.05 * (attempt + 1), 0.5))
            self.server_index = (self.server_index + 1) % len(self.ws_urls)
            with contextlib.suppress(OSError, websockets.WebSocketException, TimeoutError):
                await self.connect()
                self.reconnects += 1
                return

    async def send(self, recipient: User, tag: str) -> str | None:
        """Sends until the server acknowledges (retrying with the same clientMessageId); the
        message's id, or None when no attempt was acknowledged."""
        data = {"recipientId": recipient.id, "content": f"msg {tag}", "clientMessageId": tag}
        reply = await self._until_acknowledged("message:send", data)
        if reply is None:
            self.checker.unknown(tag)
            return None
        self.checker.sent(self.user.id, recipient.id, tag)
        message_id: str = reply["data"]["id"]
        return message_id

    async def edit(self, recipient: User, message_id: str, tag: str, edit: int) -> None:
        """Edits the message (a retry of an edit that was made changes nothing)."""
        data = {"messageId": message_id, "content": f"msg {tag} edit {edit}"}
        label = f"{tag}:edit:{edit}"
        if await self._until_acknowledged("message:edit", data) is None:
            self.checker.unknown(label)
        else:
            self.checker.changed(recipient.id, label)

    async def delete(self, recipient: User, message_id: str, tag: str) -> None:
        """Deletes the message for everyone (a retry answers the same tombstone)."""
        if await self._until_acknowledged("message:delete", {"messageId": message_id}) is None:
            self.checker.unknown(f"{tag}:delete")
        else:
            self.checker.changed(recipient.id, f"{tag}:delete")

    async def _until_acknowledged(
        self, event: str, data: dict[str, Any], attempts: int = 40
    ) -> dict[str, Any] | None:
        for _ in range(attempts):
            try:
                frame = await self.request(event, data)
            except (ConnectionLost, TimeoutError, websockets.ConnectionClosed):
                await asyncio.sleep(0.1)
                continue
            if frame["event"] == "reply":
                return frame
            if frame["data"]["code"] not in ("SERVICE_UNAVAILABLE", "INTERNAL_ERROR"):
                raise AssertionError(frame)
            await asyncio.sleep(0.1)
        return None

    async def request(
        self, event: str, data: dict[str, Any], timeout: float = 10
    ) -> dict[str, Any]:
        await asyncio.wait_for(self.ready.wait(), timeout)
        ws = self._ws
        if ws is None:
            raise ConnectionLost
        ref = f"q{next(self._refs)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[ref] = future
        await ws.send(json.dumps({"event": event, "data": data, "ref": ref}))
        return await asyncio.wait_for(future, timeout)

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
