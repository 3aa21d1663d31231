"""The stream writes its frames with the server's own `send`, not Litestar's wrappers of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import WebSocket

from app.interfaces.ws.chat import release
from app.interfaces.ws.server_send import keep_server_send, server_send

if TYPE_CHECKING:
    from litestar.types import Message, Receive, ReceiveMessage, Scope, Send


async def _receive() -> ReceiveMessage:
    return {"type": "websocket.connect"}


def _scope() -> Scope:
    return {"type": "websocket"}  # type: ignore[return-value]  # all a socket here reads


async def test_a_socket_behind_the_wrapper_writes_with_the_servers_send() -> None:
    sent: list[Message] = []
    seen: list[Send] = []

    async def server(message: Message) -> None:
        sent.append(message)

    async def handler(scope: Scope, receive: Receive, _: Send) -> None:
        async def litestar_wrapper(message: Message) -> None:
            raise AssertionError(f"went through a wrapper: {message}")

        socket: WebSocket[Any, Any, Any] = WebSocket(scope, receive, litestar_wrapper)
        seen.append(server_send(socket))
        await server_send(socket)({"type": "websocket.send", "text": "hi", "bytes": None})
        release(socket)
        seen.append(server_send(socket))

    await keep_server_send(handler)(_scope(), _receive, server)

    assert seen[0] is server
    assert sent == [{"type": "websocket.send", "text": "hi", "bytes": None}]
    assert seen[1] is not server  # a released socket no longer holds the server's send


async def test_an_app_without_the_wrapper_writes_through_litestar() -> None:
    sent: list[Message] = []

    async def litestar_send(message: Message) -> None:
        sent.append(message)

    socket: WebSocket[Any, Any, Any] = WebSocket(_scope(), _receive, litestar_send)
    await server_send(socket)({"type": "websocket.send", "text": "hi", "bytes": None})
    assert sent == [{"type": "websocket.send", "text": "hi", "bytes": None}]
