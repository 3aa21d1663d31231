"""Delivery and read receipts: status moves forward only, and each change is logged for the
sender and pushed to them; a read mark that moves is logged for the reader and pushed to
their other devices."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from app.db import messages, outbox
from app.domain.errors import NotFound, ValidationFailed
from app.domain.events import Event
from app.services.access import require_participant
from app.services.ports import Delivery

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.outbox import Receipt
    from app.db.pool import Database
    from app.services.ports import ConnectionId, Publisher


class Read(msgspec.Struct, frozen=True):
    updated: int  # how many messages became read
    seq: int | None  # the reader's conversation:read event, when the mark moved


class ReceiptService:
    def __init__(self, db: Database, publisher: Publisher) -> None:
        self._db = db
        self._publisher = publisher

    async def ack(self, user_id: UUID, seq: int) -> None:
        """The user's client processed its log up to `seq`: what it received is delivered."""
        if seq < 0:
            raise ValidationFailed.field("seq", "seq must not be negative")
        async with self._db.connection() as conn:
            receipts = await outbox.ack_and_deliver(conn, user_id, seq)
        self._announce(receipts)

    async def mark_read(
        self,
        user_id: UUID,
        conversation_id: UUID,
        up_to_message_id: UUID,
        origin: ConnectionId | None = None,
    ) -> Read:
        """Marks read everything from the other participant up to that message."""
        async with self._db.connection() as conn:
            await require_participant(conn, conversation_id, user_id)
            if await messages.message_position(conn, conversation_id, up_to_message_id) is None:
                raise NotFound("no such message in this conversation")
            marked = await outbox.mark_read(conn, user_id, conversation_id, up_to_message_id)
        self._announce(marked.receipts)
        if marked.moved is not None:
            self._publisher.publish(
                Event.CONVERSATION_READ, marked.moved, [Delivery(user_id, marked.seq, origin)]
            )
        return Read(len(marked.receipts), marked.seq)

    def _announce(self, receipts: list[Receipt]) -> None:
        for receipt in receipts:
            self._publisher.publish(
                Event.MESSAGE_STATUS, receipt.change, [Delivery(receipt.sender_id, receipt.seq)]
            )
