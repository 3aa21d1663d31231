"""What the services need from the layers above them, as small Protocols."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol
from uuid import UUID  # noqa: TC003 - a field type of a Struct

import msgspec

if TYPE_CHECKING:
    from collections.abc import Sequence

    from app.domain.models import Message, StatusChange


class Delivery(msgspec.Struct, frozen=True):
    """One user who gets an event, with its seq in that user's log (None: not logged).
    `origin` names the connection that caused it, which gets a reply instead."""

    user_id: UUID
    seq: int | None = None
    origin: str | None = None


class Publisher(Protocol):
    """Fan-out to every live connection of the given users, on every process. Best effort:
    what it loses, the replay log still has."""

    async def publish(
        self, event: str, data: Message | StatusChange, deliveries: Sequence[Delivery]
    ) -> None: ...


class RateLimiter(Protocol):
    async def hit(self, user_id: UUID) -> int | None:
        """Counts one message; None when allowed, else the seconds to wait."""
        ...

    async def refund(self, user_id: UUID) -> None:
        """Takes back one counted message (it was a resend)."""
        ...
