"""Shutdown however it is signalled: SIGTERM or SIGINT, to granian's main process alone or to
its whole process group (a terminal's Ctrl-C, systemd, a container's init), with one worker
or two. Each way, every `/chat` connection is closed with 1001, a frame already read is
finished (acknowledged means stored and delivered), and the server exits 0."""

from __future__ import annotations

import json
import os
import signal
from typing import Any

import pytest
import websockets

from tests.support.accounts import bulk_users
from tests.support.clients import Socket
from tests.support.server import ChatServer

pytestmark = pytest.mark.slow


async def close_code(socket: Socket, frames: list[dict[str, Any]]) -> int | None:
    """Reads until the server closes; the close code it sent (None: no close frame)."""
    try:
        while True:
            frames.append(await socket.next(15))
    except websockets.ConnectionClosed as closed:
        return None if closed.rcvd is None else closed.rcvd.code


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("target", ["main", "group"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_every_connection_closes_with_1001(
    database_url: str, redis_url: str, signum: int, target: str, workers: int
) -> None:
    leaving = ChatServer(database_url=database_url, redis_url=redis_url, workers=workers).start()
    staying = ChatServer(database_url=database_url, redis_url=redis_url).start()
    try:
        alice, bob, carol = bulk_users(database_url, 3)
        sockets = [await Socket.open(leaving.ws_url, user) for user in (alice, carol, alice)]
        for socket in sockets:
            await socket.ready()
        b = await Socket.open(staying.ws_url, bob)
        await b.ready()
        send = {"recipientId": bob.id, "content": "in flight"}
        await sockets[0].ws.send(json.dumps({"event": "message:send", "ref": "last", "data": send}))
        assert leaving.process is not None
        if target == "group":
            os.killpg(leaving.process.pid, signum)
        else:
            leaving.process.send_signal(signum)

        frames: list[dict[str, Any]] = []
        codes = [await close_code(socket, frames) for socket in sockets]
        assert codes == [1001, 1001, 1001]
        replies = [f for f in frames if f.get("ref") == "last"]
        if replies:  # acknowledged before the close: it is stored and delivered
            received = await b.next_event("message:received", timeout=10)
            assert replies[0]["data"]["id"] == received["data"]["id"]
        assert leaving.process.wait(30) == 0
        await b.close()
    finally:
        leaving.kill()
        staying.stop()
