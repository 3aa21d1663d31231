"""The realtime parts of one process, built, started and stopped together: the registry of
its connections, the hub, the broker (with Redis), the delivery check, the drain, and the
relay of ended sessions (started by the app, which gives it the sessions' service)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.realtime.broker import Broker
from app.realtime.delivery_check import DeliveryCheck
from app.realtime.drain import Drain
from app.realtime.hub import Hub
from app.realtime.registry import Registry
from app.realtime.revocations import RevocationRelay

if TYPE_CHECKING:
    from app.services.outbox import OutboxService


class Realtime:
    def __init__(
        self, redis_url: str | None, outbox: OutboxService, check_seconds: float = 1.0
    ) -> None:
        self.registry = Registry()
        self.hub = Hub(self.registry)
        self.broker = None
        if redis_url is not None:
            self.broker = Broker(redis_url, self.hub.deliver, self.hub.catch_up)
            self.hub.use_broker(self.broker)
        self.check = DeliveryCheck(self.registry, outbox, check_seconds)
        self.drain = Drain(self.registry)
        self.revocations = RevocationRelay(self.registry, self.broker)

    async def start(self) -> None:
        if self.broker is not None:
            await self.broker.start()
        self.check.start()

    async def stop(self) -> None:
        self.drain.close_all()
        self.check.stop()
        self.revocations.stop()
        if self.broker is not None:
            await self.broker.stop()

    async def broker_ok(self) -> bool | None:
        """Whether Redis answers a PING; None when fan-out is in-process."""
        return None if self.broker is None else await self.broker.ping()
