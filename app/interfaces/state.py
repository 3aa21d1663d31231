"""What handlers reach through `app.state.chat`: the services and this process's realtime parts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.realtime.runtime import Realtime
    from app.realtime.typing import TypingTracker
    from app.services.container import Services
    from app.stores.connection_slots import ConnectionSlots
    from app.stores.throttles import Throttle


@dataclass(frozen=True, slots=True)
class AppState:
    services: Services
    realtime: Realtime
    typing: TypingTracker
    auth_requests: Throttle  # every /auth request, per client address
    connection_slots: ConnectionSlots  # open /chat connections per user, across nodes
    allowed_origins: frozenset[str] | None  # None: any origin
    metrics_token: str | None  # None: /metrics is open

    async def readiness(self) -> dict[str, str | None]:
        """'ok' or 'unavailable' for PostgreSQL, and for Redis when configured (else None)."""
        database = await self.services.health.database_ok()
        broker = await self.realtime.broker_ok()
        return {
            "database": "ok" if database else "unavailable",
            "redis": None if broker is None else ("ok" if broker else "unavailable"),
        }

    def origin_allowed(self, origin: str | None) -> bool:
        """Browsers send Origin; other clients usually do not, and are not refused."""
        return origin is None or self.allowed_origins is None or origin in self.allowed_origins
