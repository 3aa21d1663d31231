"""The `/chat` WebSocket: authenticate, attach to the hub, then read frames in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.types import Message, ReceiveMessage, WebSocketSendEvent

from app.domain.errors import (
    ChatError,
    PayloadTooLarge,
    TooManyConnections,
    Unauthorized,
    Unavailable,
    ValidationFailed,
)
from app.domain.events import error_frame
from app.domain.rules import MAX_BODY_BYTES
from app.interfaces.credentials import bearer_token
from app.interfaces.state import AppState
from app.interfaces.ws.frame_handler import FrameHandler
from app.interfaces.ws.server_send import forget_server_send, server_send
from app.realtime.closes import CloseCode
from app.realtime.connection import Close, Connection, Reply
from app.services.tokens import Identity

log = logging.getLogger("chat.ws")

HARD_FRAME_LIMIT = 1024 * 1024


@websocket("/chat", opt={"exclude_from_auth": True})
async def chat_socket(socket: WebSocket[Any, Any, Any]) -> None:
    try:
        await _accept_and_serve(socket)
    finally:
        release(socket)


def release(socket: WebSocket[Any, Any, Any]) -> None:
    """Litestar's WebSocket holds its receive and send wrappers, which hold the socket: a
    cycle that keeps each closed connection's objects (scope, headers, the server's protocol)
    until a full collection. Dropping the wrappers lets them go as the handler returns."""
    socket.receive = _closed_receive
    socket.send = _closed_send
    forget_server_send(socket)


async def _closed_receive() -> ReceiveMessage:
    raise WebSocketDisconnect(detail="connection closed")


async def _closed_send(_: Message) -> None:
    raise WebSocketDisconnect(detail="connection closed")


async def _accept_and_serve(socket: WebSocket[Any, Any, Any]) -> None:
    state: AppState = socket.app.state.chat
    if not state.origin_allowed(socket.headers.get("origin")):
        await socket.close(
            code=CloseCode.POLICY, reason="origin not allowed"
        )  # before accept: HTTP 403
        return
    await socket.accept()
    if state.realtime.drain.draining:
        await socket.close(code=CloseCode.GOING_AWAY, reason="server shutting down")
        return
    try:
        identity = await _authenticate(socket, state)
    except Unauthorized as exc:
        await _send_error(socket, exc)
        await socket.close(code=CloseCode.UNAUTHORIZED, reason="unauthorized")
        return
    except Unavailable as exc:  # the token may be fine: the client should come back, not log in
        await _send_error(socket, exc)
        await socket.close(code=CloseCode.TRY_AGAIN, reason="try again shortly")
        return
    try:
        since = _since_of(socket)
    except ValidationFailed as exc:  # answered, then treated as no `since`
        await _send_error(socket, exc)
        since = None
    slot = await state.connection_slots.acquire(identity.user_id)
    if slot is None:
        await _send_error(socket, TooManyConnections("you hold as many connections as allowed"))
        await socket.close(code=CloseCode.POLICY, reason="too many connections")
        return
    try:
        await _serve(socket, state, identity, since)
    finally:
        await state.connection_slots.release(identity.user_id, shared=slot)


async def _authenticate(socket: WebSocket[Any, Any, Any], state: AppState) -> Identity:
    """A ticket (`?ticket=`, once), or an access token (header, or `?token=`)."""
    ticket = socket.query_params.get("ticket")
    if ticket:
        return await state.services.sessions.use_ticket(ticket)
    return await state.services.sessions.authenticate(_token_of(socket))


async def _serve(
    socket: WebSocket[Any, Any, Any], state: AppState, identity: Identity, since: int | None
) -> None:
    send = server_send(socket)

    async def write(text: str) -> None:  # the ASGI event itself: send_text adds per-frame work
        event: WebSocketSendEvent = {"type": "websocket.send", "text": text, "bytes": None}
        await send(event)

    connection = Connection(identity.user_id, write, state.services.outbox)
    connection.session_id = identity.session_id
    await state.realtime.hub.attach(connection)
    expiry = asyncio.get_running_loop().call_at(
        asyncio.get_running_loop().time() + max(0.0, identity.expires_at - time.time()),
        _expire,
        connection,
    )
    # The outgoing stream runs in this task, the reader in its own. The reader ends when the
    # client goes, and then ends the stream; the stream ends when the server closes.
    reader = asyncio.create_task(_read_frames(socket, state, connection))
    reader.add_done_callback(lambda _: connection.offer(Close(CloseCode.GOING_AWAY, "client gone")))
    try:
        close = await _stream(connection, since, reader)
        if not reader.done():
            reader.cancel()  # granian's close waits for a pending receive(): stop reading first
            await asyncio.gather(reader, return_exceptions=True)
            await _close(socket, close)
    finally:
        expiry.cancel()
        state.realtime.hub.detach(connection)
        state.typing.stop_all(connection)
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


async def _stream(connection: Connection, since: int | None, reader: asyncio.Task[None]) -> Close:
    """Runs the connection's outgoing stream; returns the Close it ended with, or one that
    says why it failed."""
    try:
        return await connection.run(since)
    except Unavailable:
        return Close(CloseCode.TRY_AGAIN, "database unavailable; reconnect with since")
    except Exception:
        if not reader.done():  # writes fail once the client is gone: nothing to report then
            log.warning("connection stream failed", exc_info=True)
        return Close(CloseCode.INTERNAL, "internal error; reconnect with since")


async def _read_frames(
    socket: WebSocket[Any, Any, Any], state: AppState, connection: Connection
) -> None:
    handler = FrameHandler(state, connection)
    while True:
        try:
            message = await socket.receive()
        except WebSocketDisconnect:
            return
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        raw = text if isinstance(text, str) else message.get("bytes")
        if not isinstance(raw, (str, bytes)):
            continue
        if len(raw) > MAX_BODY_BYTES:
            if len(raw) > HARD_FRAME_LIMIT:
                await _close(socket, Close(CloseCode.TOO_BIG, "frame too large"))
                return
            connection.offer(Reply(error_frame(PayloadTooLarge("a frame is at most 64 KiB"))))
            continue
        await handler.handle(raw)


async def _send_error(socket: WebSocket[Any, Any, Any], error: ChatError) -> None:
    with contextlib.suppress(Exception):
        await socket.send_text(error_frame(error))


async def _close(socket: WebSocket[Any, Any, Any], close: Close) -> None:
    with contextlib.suppress(Exception):
        await socket.close(code=close.code, reason=close.reason)


def _expire(connection: Connection) -> None:
    connection.unauthorized("the access token has expired", "token expired")


def _token_of(socket: WebSocket[Any, Any, Any]) -> str | None:
    return bearer_token(socket.headers.get("authorization")) or socket.query_params.get("token")


def _since_of(socket: WebSocket[Any, Any, Any]) -> int | None:
    raw = socket.query_params.get("since")
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise ValidationFailed.field("since", "since must be a non-negative integer")
    return int(raw)
