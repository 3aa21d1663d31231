"""A connection that keeps what it is offered, for tests of the realtime parts themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.realtime.connection import Connection, Outgoing

if TYPE_CHECKING:
    from uuid import UUID

    from app.services.outbox import OutboxService


class RecordingConnection(Connection):
    """A real connection whose outgoing items are kept for the test, not pumped out."""

    def __init__(self, user_id: UUID, outbox: OutboxService) -> None:
        super().__init__(user_id, self._unused_write, outbox)
        self.offered: list[Outgoing] = []

    async def _unused_write(self, text: str) -> None:
        raise AssertionError(f"nothing is pumped here: {text}")

    def offer(self, item: Outgoing) -> None:
        self.offered.append(item)
