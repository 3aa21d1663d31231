"""Ended sessions, on every process: a session that ends anywhere stops working everywhere
within seconds (contract section 6).

The process where it ended forgets the session at once, closes its sockets here, and tells the
others over Redis; each of them does the same when the notice arrives. A notice can be lost
(Redis away, a process starting), so every SWEEP_SECONDS each process also asks the database
which of its open connections' sessions are still live, and closes the rest; new requests ask
it at most every few seconds anyway (app/services/sessions.py).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from app.realtime.broker import Broker
    from app.realtime.registry import Registry

log = logging.getLogger("chat.revocations")

REVOKED_CHANNEL = "chat:revoked"
SWEEP_SECONDS = 2.0


class RevocationRelay:
    """The services' `Revocations`."""

    def __init__(self, registry: Registry, broker: Broker | None) -> None:
        self._registry = registry
        self._broker = broker
        self._forget: Callable[[uuid.UUID], None] = lambda _: None
        self._live_of: Callable[[list[uuid.UUID]], Awaitable[set[uuid.UUID]]] | None = None
        self._sweeper: asyncio.Task[None] | None = None

    def start(
        self,
        forget: Callable[[uuid.UUID], None],
        live_of: Callable[[list[uuid.UUID]], Awaitable[set[uuid.UUID]]],
    ) -> None:
        """`forget(session)`: refuse its tokens from now on; `live_of(sessions)`: which are."""
        self._forget = forget
        self._live_of = live_of
        if self._broker is not None:
            self._broker.follow(REVOKED_CHANNEL, self._heard)
        self._sweeper = asyncio.create_task(self._sweep_forever())

    def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()

    def revoked(self, session_id: uuid.UUID) -> None:
        self._close_sessions({session_id})
        if self._broker is not None:
            self._broker.notify(REVOKED_CHANNEL, str(session_id))

    def _heard(self, message: str) -> None:
        try:
            session_id = uuid.UUID(message)
        except ValueError:
            return
        self._forget(session_id)
        self._close_sessions({session_id})

    def _close_sessions(self, ended: set[uuid.UUID]) -> None:
        for connection in self._registry.connections():
            if connection.session_id in ended:
                connection.unauthorized("the session has ended", "session ended")

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await self.sweep()
            except Exception as exc:  # the database away: the next sweep tries again
                log.warning("session sweep failed: %s", exc)

    async def sweep(self) -> None:
        """Closes the connections here whose sessions are no longer live."""
        open_sessions = {
            c.session_id for c in self._registry.connections() if c.session_id is not None
        }
        if not open_sessions or self._live_of is None:
            return
        ended = open_sessions - await self._live_of(list(open_sessions))
        for session_id in ended:
            self._forget(session_id)
        if ended:
            self._close_sessions(ended)
