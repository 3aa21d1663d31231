"""The delivery check: what repairs a lost fan-out.

Live delivery is best effort (a Redis publication can be lost, a subscription can lag). Every
`every_seconds`, each process compares what its connections were sent with their users'
outbox heads: a connection still behind the head its user's outbox had at the previous check
missed something, and is caught up from the outbox.

Each check looks at the next CHECK_BATCH users in turn, so its cost stays flat as connections
grow, in CHECK_STEPS steps spread over the interval, so the event loop never stops for a whole
check at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from app.realtime.connection import CatchUp

if TYPE_CHECKING:
    from uuid import UUID

    from app.realtime.registry import Registry
    from app.services.outbox import OutboxService

log = logging.getLogger("chat.delivery_check")

CHECK_BATCH = 1000
CHECK_STEPS = 10


class DeliveryCheck:
    def __init__(self, registry: Registry, outbox: OutboxService, every_seconds: float) -> None:
        self._registry = registry
        self._outbox = outbox
        self._every_seconds = every_seconds
        self._order: list[UUID] = []  # the users of the current round
        self._cursor = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._forever())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _forever(self) -> None:
        while True:
            for step in range(CHECK_STEPS):
                await asyncio.sleep(self._every_seconds / CHECK_STEPS)
                try:
                    await self.check(self._next_users(first_step=step == 0))
                except Exception as exc:
                    log.warning("delivery check failed: %s", exc)

    def _next_users(self, *, first_step: bool) -> list[UUID]:
        """The next CHECK_BATCH / CHECK_STEPS users with a live connection. A new round over
        every user starts only with a check's first step, so no user is checked twice within
        one interval."""
        if first_step and self._cursor >= len(self._order):
            self._order = self._registry.users()
            self._cursor = 0
        step = CHECK_BATCH // CHECK_STEPS
        users = self._order[self._cursor : self._cursor + step]
        self._cursor += step
        return [u for u in users if any(c.live for c in self._registry.of(u))]

    async def check(self, users: list[UUID]) -> None:
        if not users:
            return
        heads = await self._outbox.heads(users)
        for user_id, head in heads.items():
            for connection in self._registry.of(user_id):
                seen = connection.observed_head
                if seen is not None and connection.last_sent < seen:
                    connection.offer(CatchUp(seen))
                connection.observed_head = head.last_seq
