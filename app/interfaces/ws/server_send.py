"""The server's own ASGI `send`, for the WebSocket's outgoing frames.

Litestar hands a handler a `send` wrapped three times (its WebSocket's disconnect check and
two exception middlewares that watch for `http.response.start`): three coroutine frames for
every frame sent, a tenth of the worker's time in a reconnect storm. None of them has anything
to do with a text frame after the accept, so the stream writes its frames with the server's
own `send`, kept in the scope's state on the way in. The accept and the close still go
through Litestar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar import WebSocket
    from litestar.types import ASGIApp, Receive, Scope, Send

SERVER_SEND = "chat.server_send"


def keep_server_send(app: ASGIApp) -> ASGIApp:
    """The app, with each WebSocket scope's state holding the server's `send`."""

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.WEBSOCKET:
            scope.setdefault("state", {})[SERVER_SEND] = send
        await app(scope, receive, send)

    return asgi


def server_send(socket: WebSocket[Any, Any, Any]) -> Send:
    """The server's `send` for this socket (Litestar's, when the app was not wrapped)."""
    send: Send | None = socket.scope.get("state", {}).get(SERVER_SEND)
    return socket.send if send is None else send


def forget_server_send(socket: WebSocket[Any, Any, Any]) -> None:
    socket.scope.get("state", {}).pop(SERVER_SEND, None)
