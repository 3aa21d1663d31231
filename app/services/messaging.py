"""The send path, shared by WebSocket and REST: validate, rate limit, store in one statement,
publish after commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from app.db import messages
from app.db.group_commit import GroupCommit
from app.db.messages import SendRequest
from app.domain.errors import RateLimited, ValidationFailed
from app.domain.events import Event
from app.domain.rules import canonical_pair, check_client_message_id, check_content
from app.lib.metrics import MESSAGES_SENT, RATE_LIMITED
from app.services.ports import Delivery

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.pool import Database
    from app.domain.models import Message
    from app.services.ports import ConnectionId, Publisher, RateLimiter


class Sent(msgspec.Struct, frozen=True):
    message: Message
    seq: int  # the event's seq in the sender's log
    created: bool  # True: a new message (an idempotent resend gives False)
    created_conversation: bool = False


class MessagingService:
    def __init__(self, db: Database, limiter: RateLimiter, publisher: Publisher) -> None:
        self._db = db
        self._sends = GroupCommit(db)
        self._limiter = limiter
        self._publisher = publisher

    async def send(  # noqa: PLR0913 - the fields of a send, each named
        self,
        sender_id: UUID,
        *,
        content: str,
        recipient_id: UUID | None = None,
        conversation_id: UUID | None = None,
        client_message_id: str | None = None,
        origin: ConnectionId | None = None,
    ) -> Sent:
        check_content(content)
        check_client_message_id(client_message_id)
        if (recipient_id is None) == (conversation_id is None):
            raise ValidationFailed(
                "give exactly one of recipientId and conversationId",
                details={"fields": ["recipientId", "conversationId"]},
            )
        if recipient_id is not None:
            canonical_pair(sender_id, recipient_id)
        # A resend does not count against the limit. Most sends are not resends, so they are
        # counted first and written at once; the rare resend is refunded once the write has
        # found the original, and one refused by the limit is looked up before refusing it.
        retry_after = await self._limiter.hit(sender_id)
        if retry_after is not None:
            earlier = await self._earlier_send(sender_id, client_message_id)
            if earlier is None:
                RATE_LIMITED.labels("messages").inc()
                raise RateLimited(retry_after)
            return earlier
        stored = await self._sends.send(
            SendRequest(sender_id, content, recipient_id, conversation_id, client_message_id)
        )
        if not stored.is_new:
            await self._limiter.refund(sender_id)
        if stored.recipient_seq is not None:
            MESSAGES_SENT.inc()
            self._publisher.publish(
                Event.MESSAGE_RECEIVED,
                stored.message,
                [
                    Delivery(stored.message.recipient_id, stored.recipient_seq),
                    Delivery(sender_id, stored.sender_seq, origin),
                ],
            )
        return Sent(stored.message, stored.sender_seq, stored.is_new, stored.created_conversation)

    async def _earlier_send(self, sender_id: UUID, client_message_id: str | None) -> Sent | None:
        if client_message_id is None:
            return None
        async with self._db.connection() as conn:
            stored = await messages.message_by_client_message_id(conn, sender_id, client_message_id)
        return None if stored is None else Sent(stored.message, stored.sender_seq, created=False)
