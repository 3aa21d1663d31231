"""What the services need from the layers above them, as small Protocols."""

from __future__ import annotations

from typing import TYPE_CHECKING, NewType, Protocol
from uuid import UUID  # noqa: TC003 - a field type of a Struct

import msgspec

if TYPE_CHECKING:
    from collections.abc import Sequence

    from app.domain.events import Event

# One WebSocket connection of this process. A request's answer goes to the connection that
# asked, as its `reply`; the event that answer carries is not delivered to it a second time.
ConnectionId = NewType("ConnectionId", str)


class Delivery(msgspec.Struct, frozen=True):
    """One user who gets an event, with its seq in that user's outbox (None: not logged).
    `origin`: the connection that asked for it, which gets it as its reply instead."""

    user_id: UUID
    seq: int | None = None
    origin: ConnectionId | None = None


class Publisher(Protocol):
    """Fan-out to every live connection of the given users, on every process. Best effort:
    what it loses, the outbox still has."""

    def publish(self, event: Event, data: object, deliveries: Sequence[Delivery]) -> None: ...


class Throttle(Protocol):
    """A rate limit on a key (a username, a client address), shared by every process when it
    can be."""

    async def hit(self, key: str) -> int | None:
        """Counts one; None when allowed, else the seconds to wait."""
        ...

    async def exceeded(self, key: str) -> int | None:
        """Without counting: None while allowed, else the seconds until it is again."""
        ...


class Revocations(Protocol):
    """Where an ended session is told: every process stops taking its access tokens, and its
    open connections are closed."""

    def revoked(self, session_id: UUID) -> None: ...
