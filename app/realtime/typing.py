"""Typing indicators: never logged, never replayed; they expire 5 s after the last start.

A flood of `typing:start` costs the recipient nothing: per user and conversation, this process
forwards at most one `isTyping: true` a second (the rest only keep the indicator from
expiring). Nothing is forwarded between two users while either blocks the other.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from app.domain.events import Event, Typing
from app.services.ports import Delivery

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from app.realtime.connection import Connection
    from app.realtime.hub import Hub
    from app.services.blocks import BlockService
    from app.services.conversations import ConversationService
    from app.services.ports import ConnectionId

EXPIRE_SECONDS = 5.0
FORWARD_EVERY_SECONDS = 1.0
_FORWARDS_KEPT = 100_000


class TypingTracker:
    def __init__(
        self,
        hub: Hub,
        conversations: ConversationService,
        blocks: BlockService,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hub = hub
        self._conversations = conversations
        self._blocks = blocks
        self._clock = clock
        # per connection: the conversations it is typing in, with the other participant and
        # the timer that ends it
        self._active: dict[ConnectionId, dict[UUID, tuple[UUID, asyncio.TimerHandle]]] = {}
        # (typist, conversation): when a start was last looked at, and whether the recipient
        # is now shown typing (not: it was blocked, or a stop followed)
        self._forwarded: dict[tuple[UUID, UUID], tuple[float, bool]] = {}

    async def start(self, connection: Connection, conversation_id: UUID) -> None:
        other = await self._other_participant(connection.user_id, conversation_id)
        if other is None:
            return  # not the sender's conversation: ignored, nobody is told
        typing = self._active.setdefault(connection.id, {})
        previous = typing.pop(conversation_id, None)
        if previous is not None:
            previous[1].cancel()
        timer = asyncio.get_running_loop().call_later(
            EXPIRE_SECONDS, self.stop, connection, conversation_id
        )
        typing[conversation_id] = (other, timer)
        key = (connection.user_id, conversation_id)
        now = self._clock()
        last = self._forwarded.get(key)
        if last is not None and now - last[0] < FORWARD_EVERY_SECONDS:
            return
        forward = not await self._blocks.either_blocks(connection.user_id, other)
        self._remember(key, now, forward=forward)
        if forward:
            self._announce(other, conversation_id, connection.user_id, is_typing=True)

    def stop(self, connection: Connection, conversation_id: UUID) -> None:
        entry = self._active.get(connection.id, {}).pop(conversation_id, None)
        if entry is not None:
            entry[1].cancel()
            key = (connection.user_id, conversation_id)
            last = self._forwarded.get(key)
            if last is not None and last[1]:
                # the time is kept: a start/stop flood forwards no more than a start flood
                self._forwarded[key] = (last[0], False)
                self._announce(entry[0], conversation_id, connection.user_id, is_typing=False)

    def stop_all(self, connection: Connection) -> None:
        for conversation_id in list(self._active.get(connection.id, {})):
            self.stop(connection, conversation_id)
        self._active.pop(connection.id, None)

    def _remember(self, key: tuple[UUID, UUID], now: float, *, forward: bool) -> None:
        if len(self._forwarded) >= _FORWARDS_KEPT:  # forget the ones long past
            self._forwarded = {
                k: last for k, last in self._forwarded.items() if now - last[0] < EXPIRE_SECONDS
            }
        self._forwarded[key] = (now, forward)

    async def _other_participant(self, user_id: UUID, conversation_id: UUID) -> UUID | None:
        pair = await self._conversations.participants(conversation_id)
        if pair is None or user_id not in pair:
            return None
        return pair[1] if pair[0] == user_id else pair[0]

    def _announce(
        self, recipient: UUID, conversation_id: UUID, typist: UUID, *, is_typing: bool
    ) -> None:
        data = Typing(conversation_id, typist, is_typing)
        self._hub.publish(Event.TYPING, data, [Delivery(recipient)])
