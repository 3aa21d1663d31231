"""Correlation ids: one per request, in its log line, its error body and its response header;
and whether the client left before its request was read (the server's `http.disconnect`)."""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

HEADER = b"x-correlation-id"
_VALID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")
current_correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "correlation_id", default="-"
)
client_left: contextvars.ContextVar[bool] = contextvars.ContextVar("client_left", default=False)
access_log = logging.getLogger("chat.access")


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def correlation_middleware(app: ASGIApp) -> ASGIApp:
    """Takes the caller's X-Correlation-ID (when sane) or makes one; logs one line per request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(HEADER, b"")
        correlation_id = given.decode() if _VALID.match(given) else new_correlation_id()
        current_correlation_id.set(correlation_id)
        client_left.set(False)
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def receive_noting_departure() -> ReceiveMessage:
            message = await receive()
            if message["type"] == "http.disconnect":
                client_left.set(True)
            return message

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (HEADER, correlation_id.encode()),
                ]
            await send(message)

        try:
            await app(scope, receive_noting_departure, send_with_header)
        finally:
            access_log.info(
                "request",
                extra={
                    "method": scope.get("method", ""),
                    "path": scope["path"],
                    "status": status["code"],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "correlation_id": correlation_id,
                },
            )

    return middleware
