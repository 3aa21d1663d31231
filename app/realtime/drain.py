"""Shutdown: take no new connections, finish what clients already sent, close with 1001."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from app.realtime.closes import CloseCode
from app.realtime.connection import Close

if TYPE_CHECKING:
    from app.realtime.registry import Registry

log = logging.getLogger("chat.drain")

# Frames a client sent before the shutdown may still sit unread in the server's buffers;
# reading goes on this long after draining starts, so those requests are handled too.
DRAIN_READ_SECONDS = 0.3


class Drain:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self.draining = False

    async def run(self) -> None:
        """Refuses new connections from now on; closes each open one once its request in
        flight (if any) has its reply queued, after what was queued before."""
        self.draining = True
        await asyncio.sleep(DRAIN_READ_SECONDS)
        connections = self._registry.connections()
        log.info("draining", extra={"connections": len(connections)})
        await asyncio.gather(*(c.close_when_idle(CloseCode.GOING_AWAY) for c in connections))

    def close_all(self) -> None:
        """The last step of shutdown: whatever is still open is closed now."""
        for connection in self._registry.connections():
            connection.offer(Close(CloseCode.GOING_AWAY, "server shutting down"))
