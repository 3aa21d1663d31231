"""Sessions (contract section 6): start, refresh (rotating, with reuse detection), end, list;
WebSocket tickets; and turning an access token into a live session's identity.

Whether a session is live is asked of the database at most every LIVE_SECONDS per session and
process (connections starting together share one query), not per request or frame. An ended
session is also pushed to every process at once (`Revocations`), which closes its sockets;
what a lost push misses, that interval and the sweep of open connections catch.
"""

from __future__ import annotations

import time
from datetime import datetime  # noqa: TC003 - msgspec needs the runtime type
from typing import TYPE_CHECKING
from uuid import UUID  # noqa: TC003 - msgspec needs the runtime type

import msgspec

from app.db import sessions
from app.domain.errors import NotFound, Unauthorized
from app.lib.coalesce import Coalescer
from app.services.tokens import Identity, Tokens, digest, new_secret

if TYPE_CHECKING:
    from app.db.pool import Database
    from app.services.ports import Revocations
    from app.services.tokens import TokenService

LIVE_SECONDS = 2.0  # how long a session is taken to be live without asking the database again
TICKET_SECONDS = 30
USER_AGENT_MAX = 256
_KEPT = 100_000


class Session(msgspec.Struct, frozen=True, rename="camel"):
    id: UUID
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    current: bool


class Ticket(msgspec.Struct, frozen=True, rename="camel"):
    ticket: str
    expires_in: int


class SessionService:
    def __init__(
        self, db: Database, tokens: TokenService, refresh_ttl: int, revocations: Revocations
    ) -> None:
        self._db = db
        self._tokens = tokens
        self._refresh_ttl = refresh_ttl
        self._revocations = revocations
        self._live_until: dict[UUID, float] = {}
        self._ended: dict[UUID, float] = {}  # sessions known ended, until their tokens expire
        self._live = Coalescer(self._live_sessions)

    async def start(self, user_id: UUID, user_agent: str) -> Tokens:
        refresh, refresh_hash = new_secret()
        agent = user_agent.replace("\x00", "")[:USER_AGENT_MAX]
        async with self._db.connection() as conn:
            session_id = await sessions.start_session(
                conn, user_id, agent, refresh_hash, self._refresh_ttl
            )
        return self._tokens_for(user_id, session_id, refresh)

    async def refresh(self, refresh_token: str) -> Tokens:
        """A new pair for a refresh token, which answers 401 from now on. One presented again
        after it was used ends its session: someone else holds a copy."""
        presented_hash = digest(refresh_token)
        refresh, refresh_hash = new_secret()
        async with self._db.transaction() as conn:
            presented = await sessions.presented_token(conn, presented_hash)
            if presented is None or not presented.live:
                raise Unauthorized("the refresh token is not valid")
            if presented.used:
                await sessions.end_session(conn, presented.user_id, presented.session_id)
            else:
                await sessions.rotate_refresh_token(
                    conn, presented.session_id, presented_hash, refresh_hash, self._refresh_ttl
                )
        if presented.used:
            self._ended_now(presented.session_id)
            raise Unauthorized("the refresh token was used before: the session is ended")
        return self._tokens_for(presented.user_id, presented.session_id, refresh)

    async def end(self, user_id: UUID, session_id: UUID) -> None:
        async with self._db.connection() as conn:
            if not await sessions.end_session(conn, user_id, session_id):
                raise NotFound("no such session of yours")
        self._ended_now(session_id)

    async def of_user(self, identity: Identity) -> list[Session]:
        async with self._db.connection() as conn:
            rows = await sessions.sessions_of_user(conn, identity.user_id)
        return [
            Session(row.id, row.created_at, row.last_seen_at, row.user_agent,
                    current=row.id == identity.session_id)
            for row in rows
        ]  # fmt: skip

    async def ticket(self, identity: Identity) -> Ticket:
        ticket, ticket_hash = new_secret()
        async with self._db.connection() as conn:
            if not await sessions.issue_ticket(
                conn, identity.session_id, ticket_hash, TICKET_SECONDS
            ):
                raise Unauthorized("the session has ended")
        return Ticket(ticket, TICKET_SECONDS)

    async def use_ticket(self, ticket: str) -> Identity:
        """The identity a ticket stands for; it works once."""
        async with self._db.connection() as conn:
            found = await sessions.use_ticket(conn, digest(ticket))
        if found is None:
            raise Unauthorized("the ticket is not valid (used, expired, or its session ended)")
        session_id, user_id = found
        return Identity(user_id, session_id, time.time() + self._tokens.ttl)

    async def authenticate(self, token: str | None) -> Identity:
        """The identity of a bearer access token whose session is live."""
        if not token:
            raise Unauthorized("an access token is required")
        identity = self._tokens.verify(token)
        if not await self.is_live(identity.session_id):
            raise Unauthorized("the session has ended")
        return identity

    async def is_live(self, session_id: UUID) -> bool:
        if session_id in self._ended:
            return False
        now = time.monotonic()
        if self._live_until.get(session_id, 0.0) >= now:
            return True
        if not await self._live.get(session_id):
            return False
        if len(self._live_until) >= _KEPT:
            self._live_until = {s: t for s, t in self._live_until.items() if t >= now}
        self._live_until[session_id] = now + LIVE_SECONDS
        return True

    async def live_of(self, session_ids: list[UUID]) -> set[UUID]:
        """Which of these sessions are live now (asked of the database)."""
        return set(await self._live_sessions(session_ids))

    def forget(self, session_id: UUID) -> None:
        """A session ended elsewhere: its tokens are refused here from now on."""
        self._live_until.pop(session_id, None)
        now = time.monotonic()
        if len(self._ended) >= _KEPT:
            self._ended = {s: t for s, t in self._ended.items() if t >= now}
        self._ended[session_id] = now + self._tokens.ttl

    def _ended_now(self, session_id: UUID) -> None:
        self.forget(session_id)
        self._revocations.revoked(session_id)

    def _tokens_for(self, user_id: UUID, session_id: UUID, refresh: str) -> Tokens:
        access, expires_in = self._tokens.issue(user_id, session_id)
        return Tokens(access, expires_in, refresh, self._refresh_ttl)

    async def _live_sessions(self, session_ids: list[UUID]) -> dict[UUID, bool]:
        async with self._db.connection() as conn:
            return await sessions.live_sessions(conn, session_ids)
