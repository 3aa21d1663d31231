"""Edits and deletions of a message by its sender, and its versions (contract section 5).
Each change is one statement (the message, both outbox events), published after commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from app.db import message_changes
from app.domain.errors import Conflict, Forbidden, NotFound, RateLimited
from app.domain.events import Event, MessageDeleted
from app.domain.models import Message, Version, Versions
from app.domain.rules import check_content
from app.lib.metrics import RATE_LIMITED
from app.services.access import require_participant
from app.services.ports import Delivery

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.message_changes import Changed
    from app.db.pool import Database
    from app.domain.rules import SendLimit
    from app.services.ports import ConnectionId, Publisher


class Change(msgspec.Struct, frozen=True):
    message: Message  # as it is now
    seq: int | None  # the change's event in the caller's outbox; None: nothing changed


class MessageChangeService:
    def __init__(self, db: Database, limit: SendLimit, publisher: Publisher) -> None:
        self._db = db
        self._limit = limit
        self._publisher = publisher

    async def edit(
        self,
        user_id: UUID,
        message_id: UUID,
        content: str,
        *,
        conversation_id: UUID | None = None,
        origin: ConnectionId | None = None,
    ) -> Change:
        """Replaces the content of the user's message; counts against the send rate limit.
        The same content again changes nothing (and is not counted)."""
        check_content(content)
        async with self._db.connection() as conn:
            changed = await message_changes.edit_message(
                conn, user_id, message_id, content, conversation_id, limit=self._limit
            )
        changed = _allowed(changed, "edit")
        if changed.refused == "deleted":
            raise Conflict("the message is deleted: it cannot be edited")
        if changed.refused == "rate_limited":
            RATE_LIMITED.labels("messages").inc()
            raise RateLimited(changed.retry_after or 1)
        if not changed.changed:
            return Change(changed.message, None)
        self._announce(Event.MESSAGE_EDITED, changed.message, changed, origin)
        return Change(changed.message, changed.sender_seq)

    async def delete(
        self,
        user_id: UUID,
        message_id: UUID,
        *,
        conversation_id: UUID | None = None,
        origin: ConnectionId | None = None,
    ) -> Change:
        """Erases the user's message for everyone, leaving its tombstone. Deleting it again
        answers the same tombstone and changes nothing."""
        async with self._db.connection() as conn:
            changed = await message_changes.delete_message(
                conn, user_id, message_id, conversation_id
            )
        changed = _allowed(changed, "delete")
        if not changed.changed:
            return Change(changed.message, None)
        message = changed.message
        assert message.deleted_at is not None  # noqa: S101 - the statement set it
        deleted = MessageDeleted(message.id, message.conversation_id, message.deleted_at)
        self._announce(Event.MESSAGE_DELETED, deleted, changed, origin)
        return Change(message, changed.sender_seq)

    async def versions(self, user_id: UUID, conversation_id: UUID, message_id: UUID) -> Versions:
        """What the message said over time, oldest first; a deleted message has none."""
        async with self._db.connection() as conn:
            await require_participant(conn, conversation_id, user_id)
            message = await message_changes.message_by_id(conn, message_id)
            if message is None or message.conversation_id != conversation_id:
                raise NotFound("no such message in this conversation")
            if message.deleted_at is not None:
                return Versions([])
            earlier = await message_changes.earlier_versions(conn, message_id)
        current = Version(message.content, message.edited_at or message.created_at)
        return Versions([*earlier, current])

    def _announce(
        self, event: Event, data: object, changed: Changed, origin: ConnectionId | None
    ) -> None:
        message = changed.message
        self._publisher.publish(
            event,
            data,
            [
                Delivery(message.recipient_id, changed.recipient_seq),
                Delivery(message.sender_id, changed.sender_seq, origin),
            ],
        )


def _allowed(changed: Changed | None, verb: str) -> Changed:
    if changed is None:
        raise NotFound("no such message")
    if changed.refused == "not_sender":
        raise Forbidden(f"only the sender of a message may {verb} it")
    return changed
