"""The services' Publisher: each event goes to this process's connections of the users who get
it, and through the broker to the other processes.

An event's payload is encoded once; each user who gets it gets one frame (with their seq),
offered to each of their connections here except the one that asked for the event (it gets
the event as its reply: app/realtime/connection.py).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from app.domain.events import encode_data, frame
from app.realtime.connection import CatchUp, Logged, Transient

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    from app.domain.events import Event
    from app.realtime.broker import Broker
    from app.realtime.connection import Connection
    from app.realtime.registry import Registry
    from app.services.ports import ConnectionId, Delivery


class Hub:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._broker: Broker | None = None  # None: one process, nothing to send elsewhere

    def use_broker(self, broker: Broker) -> None:
        self._broker = broker

    async def attach(self, connection: Connection) -> None:
        """Registers the connection; returns once its user's events published anywhere reach
        it. If cancelled meanwhile, it is as if the connection had never been attached."""
        self._registry.add(connection)
        if self._broker is None:
            return
        try:
            await self._broker.listen(connection.user_id)
        except asyncio.CancelledError:
            self.detach(connection)
            raise

    def detach(self, connection: Connection) -> None:
        if self._registry.remove(connection) and self._broker is not None:
            self._broker.stop_listening(connection.user_id)

    def publish(self, event: Event, data: object, deliveries: Sequence[Delivery]) -> None:
        encoded = encode_data(data)
        for delivery in deliveries:
            text = frame(event, encoded, seq=delivery.seq)
            self.deliver(delivery.user_id, delivery.seq, text, skip=delivery.origin)
            if self._broker is not None:
                self._broker.publish(delivery.user_id, delivery.seq, text)

    def deliver(
        self, user_id: UUID, seq: int | None, text: str, skip: ConnectionId | None = None
    ) -> None:
        """Offers a frame to the user's connections here (an outbox event when it has a seq)."""
        item = Transient(text) if seq is None else Logged(seq, text)
        for connection in self._registry.of(user_id):
            if connection.id != skip:
                connection.offer(item)

    def catch_up(self, user_id: UUID) -> None:
        """The user's connections here may have missed events: fill them from the outbox."""
        for connection in self._registry.of(user_id):
            connection.offer(CatchUp())
