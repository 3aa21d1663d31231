"""A closed WebSocket's objects are freed as its handler returns, not at a full collection."""

from __future__ import annotations

import gc
import weakref
from typing import TYPE_CHECKING, Any

import pytest
from litestar import WebSocket
from litestar.exceptions import WebSocketDisconnect

from app.interfaces.ws.chat import release

if TYPE_CHECKING:
    from collections.abc import Iterator

    from litestar.types import Message, ReceiveMessage, WebSocketDisconnectEvent


class Held:
    """Stands for what a socket's scope holds: headers, the server's protocol object."""


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def socket_holding(held: Held) -> WebSocket[Any, Any, Any]:
    async def receive() -> ReceiveMessage:
        event: WebSocketDisconnectEvent = {"type": "websocket.disconnect", "code": 1000}
        return event

    async def send(_: Message) -> None:
        return None

    return WebSocket({"type": "websocket", "held": held}, receive, send)  # type: ignore[arg-type]


@pytest.mark.usefixtures("collector_off")
def test_litestar_sockets_are_cyclic_garbage() -> None:
    """Why `release` exists: without it, the socket outlives its last reference."""
    held = Held()
    watch = weakref.ref(held)
    socket = socket_holding(held)
    del held, socket
    assert watch() is not None
    gc.collect()
    assert watch() is None


@pytest.mark.usefixtures("collector_off")
def test_a_released_socket_is_freed_with_its_last_reference() -> None:
    held = Held()
    watch = weakref.ref(held)
    socket = socket_holding(held)
    release(socket)
    del held, socket
    assert watch() is None


async def test_a_released_socket_reads_and_writes_nothing() -> None:
    socket = socket_holding(Held())
    release(socket)
    with pytest.raises(WebSocketDisconnect):
        await socket.receive()
    with pytest.raises(WebSocketDisconnect):
        await socket.send({"type": "websocket.send", "text": "late", "bytes": None})
