"""The send path, shared by WebSocket and REST: validate, store in one statement (which also
counts the sender's rate limit), publish after commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

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
    from app.domain.rules import SendLimit
    from app.services.ports import ConnectionId, Publisher


class Sent(msgspec.Struct, frozen=True):
    message: Message
    seq: int  # the event's seq in the sender's log
    created: bool  # True: a new message (an idempotent resend gives False)
    created_conversation: bool = False


class MessagingService:
    def __init__(self, db: Database, limit: SendLimit, publisher: Publisher) -> None:
        self._sends = GroupCommit(db, limit)
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
        try:
            stored = await self._sends.send(
                SendRequest(sender_id, content, recipient_id, conversation_id, client_message_id)
            )
        except RateLimited:
            RATE_LIMITED.labels("messages").inc()
            raise
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
