"""Typing indicators: never logged, never replayed; they expire 5 s after the last start."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from uuid import UUID  # noqa: TC003 - a field type of a Struct

import msgspec

from app.services.ports import Delivery

if TYPE_CHECKING:
    from app.realtime.connection import Connection
    from app.realtime.hub import Hub
    from app.services.conversations import ConversationService

TYPING = "typing"
EXPIRE_SECONDS = 5.0


class TypingData(msgspec.Struct, rename="camel"):
    conversation_id: UUID
    user_id: UUID
    is_typing: bool


class TypingTracker:
    def __init__(self, hub: Hub, conversations: ConversationService) -> None:
        self._hub = hub
        self._conversations = conversations
        # per connection id: the conversations it is typing in, with their expiry timers
        self._active: dict[str, dict[UUID, tuple[UUID, asyncio.TimerHandle]]] = {}
        self._expiring: set[asyncio.Task[None]] = set()

    async def start(self, connection: Connection, conversation_id: UUID) -> None:
        other = await self._other_participant(connection.user_id, conversation_id)
        if other is None:
            return  # not the sender's conversation: ignored, nobody is told
        typing = self._active.setdefault(connection.id, {})
        previous = typing.pop(conversation_id, None)
        if previous is not None:
            previous[1].cancel()
        timer = asyncio.get_running_loop().call_later(
            EXPIRE_SECONDS, self._expire, connection, conversation_id
        )
        typing[conversation_id] = (other, timer)
        await self._announce(other, conversation_id, connection.user_id, is_typing=True)

    async def stop(self, connection: Connection, conversation_id: UUID) -> None:
        entry = self._active.get(connection.id, {}).pop(conversation_id, None)
        if entry is not None:
            entry[1].cancel()
            await self._announce(entry[0], conversation_id, connection.user_id, is_typing=False)

    async def stop_all(self, connection: Connection) -> None:
        for conversation_id in list(self._active.get(connection.id, {})):
            await self.stop(connection, conversation_id)
        self._active.pop(connection.id, None)

    def _expire(self, connection: Connection, conversation_id: UUID) -> None:
        task = asyncio.create_task(self.stop(connection, conversation_id))
        self._expiring.add(task)
        task.add_done_callback(self._expiring.discard)

    async def _other_participant(self, user_id: UUID, conversation_id: UUID) -> UUID | None:
        pair = await self._conversations.participants(conversation_id)
        if pair is None or user_id not in pair:
            return None
        return pair[1] if pair[0] == user_id else pair[0]

    async def _announce(
        self, recipient: UUID, conversation_id: UUID, typist: UUID, *, is_typing: bool
    ) -> None:
        data = TypingData(conversation_id, typist, is_typing)
        await self._hub.publish(TYPING, data, [Delivery(recipient)])
