"""Registration, login, and sessions (contract sections 2 and 6). Every request here is
throttled per client address (CHAT_AUTH_RATE_LIMIT)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, delete, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from app.domain.errors import RateLimited
from app.domain.models import User
from app.interfaces.http.client_address import client_address
from app.interfaces.http.dependencies import SECURITY, error_responses
from app.interfaces.http.schemas import LoginBody, RefreshBody, RegisterBody
from app.lib.metrics import RATE_LIMITED
from app.services.container import Services
from app.services.sessions import Session, Ticket
from app.services.tokens import Identity, Tokens


async def per_address(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    retry_after = await connection.app.state.chat.auth_requests.hit(client_address(connection))
    if retry_after is not None:
        RATE_LIMITED.labels("auth").inc()
        raise RateLimited(retry_after, "too many requests from this address")


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]  # noqa: RUF012 - Litestar reads it as a class attribute
    guards = [per_address]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post(
        "/register",
        status_code=201,
        responses=error_responses("VALIDATION_ERROR", "CONFLICT", "RATE_LIMITED"),
    )
    async def register(self, data: RegisterBody, services: Services) -> User:
        """Creates an account. Usernames are unique case-insensitively."""
        return await services.accounts.register(data.username, data.password)

    @post(
        "/login",
        status_code=200,
        responses=error_responses("VALIDATION_ERROR", "UNAUTHORIZED", "RATE_LIMITED"),
    )
    async def login(
        self, request: Request[Any, Any, Any], data: LoginBody, services: Services
    ) -> Tokens:
        """Starts a session: an access token and a refresh token. Failed logins for one
        username are limited (CHAT_LOGIN_RATE_LIMIT); past it, 429 even with the right
        password."""
        agent = request.headers.get("user-agent", "")
        return await services.accounts.login(data.username, data.password, agent)

    @post(
        "/refresh",
        status_code=200,
        responses=error_responses("VALIDATION_ERROR", "UNAUTHORIZED", "RATE_LIMITED"),
    )
    async def refresh(self, data: RefreshBody, services: Services) -> Tokens:
        """A new pair for a refresh token, which stops working. One used twice ends its
        session."""
        return await services.sessions.refresh(data.refresh_token)

    @post("/logout", status_code=204, security=SECURITY, responses=error_responses("UNAUTHORIZED"))
    async def logout(self, identity: Identity, services: Services) -> None:
        """Ends the caller's session, everywhere, at once."""
        await services.sessions.end(identity.user_id, identity.session_id)

    @get("/sessions", security=SECURITY, responses=error_responses("UNAUTHORIZED"))
    async def sessions(self, identity: Identity, services: Services) -> list[Session]:
        """The caller's live sessions, newest first; `current` marks the caller's own."""
        return await services.sessions.of_user(identity)

    @delete(
        "/sessions/{session_id:uuid}",
        status_code=204,
        security=SECURITY,
        responses=error_responses("UNAUTHORIZED", "NOT_FOUND"),
    )
    async def end_session(self, session_id: UUID, identity: Identity, services: Services) -> None:
        """Ends another (or this) session of the caller."""
        await services.sessions.end(identity.user_id, session_id)

    @post(
        "/ws-ticket",
        status_code=200,
        security=SECURITY,
        responses=error_responses("UNAUTHORIZED", "RATE_LIMITED"),
    )
    async def ws_ticket(self, identity: Identity, services: Services) -> Ticket:
        """A one-time credential for /chat?ticket=…, for this session, valid for seconds:
        browsers cannot set headers on a WebSocket, and a ticket keeps the access token out
        of URLs and logs."""
        return await services.sessions.ticket(identity)
