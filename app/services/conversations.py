"""Opening, listing and reading conversations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.db import blocks, conversations, messages, users
from app.domain.errors import Blocked, NotFound
from app.domain.models import Conversation, Message, Page
from app.domain.paging import HistoryQuery, after_range, before_range, offset_range
from app.domain.rules import canonical_pair
from app.services.access import require_participant

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.pool import Database

_PAIRS_CACHED = 50_000


class ConversationService:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._pairs: dict[UUID, tuple[UUID, UUID] | None] = {}

    async def open(self, user_id: UUID, participant_id: UUID) -> tuple[Conversation, bool]:
        """Gets or creates the conversation with `participant_id`; True when created."""
        pair = canonical_pair(user_id, participant_id)
        async with self._db.connection() as conn:
            if await users.user_by_id(conn, participant_id) is None:
                raise NotFound("no such user")
            if await blocks.either_blocks(conn, user_id, participant_id):
                raise Blocked("you cannot message this user")
            conversation_id, created = await conversations.open_conversation(conn, pair)
            view = await conversations.conversation_view(conn, conversation_id, user_id)
        assert view is not None  # noqa: S101 - conversations are never deleted
        return view, created

    async def get(self, user_id: UUID, conversation_id: UUID) -> Conversation:
        async with self._db.connection() as conn:
            await require_participant(conn, conversation_id, user_id)
            view = await conversations.conversation_view(conn, conversation_id, user_id)
        assert view is not None  # noqa: S101 - require_participant found it
        return view

    async def list(self, user_id: UUID, *, limit: int, offset: int) -> Page[Conversation]:
        async with self._db.connection() as conn:
            items, total = await conversations.conversations_of_user(
                conn, user_id, limit=limit, offset=offset
            )
        return Page(items=items, total=total, limit=limit, offset=offset)

    async def history(
        self, user_id: UUID, conversation_id: UUID, query: HistoryQuery
    ) -> Page[Message]:
        async with self._db.connection() as conn:
            size = await require_participant(conn, conversation_id, user_id)
            total = size.message_count
            anchor_id = query.before or query.after
            if anchor_id is None:
                offset = query.offset or 0
                positions = offset_range(total, query.limit, offset, query.origin)
            else:
                anchor = await messages.message_position(conn, conversation_id, anchor_id)
                if anchor is None:
                    raise NotFound("no such message in this conversation")
                positions = (
                    before_range(anchor, query.limit)
                    if query.before is not None
                    else after_range(anchor, query.limit, total)
                )
                offset = None
            items = await messages.history_range(conn, conversation_id, positions)
        return Page(items=items, total=total, limit=query.limit, offset=offset)

    async def participants(self, conversation_id: UUID) -> tuple[UUID, UUID] | None:
        """The pair of a conversation (cached: a conversation's participants never change)."""
        if conversation_id in self._pairs:
            return self._pairs[conversation_id]
        async with self._db.connection() as conn:
            pair = await conversations.conversation_participants(conn, conversation_id)
        if pair is not None:
            if len(self._pairs) >= _PAIRS_CACHED:
                self._pairs.clear()
            self._pairs[conversation_id] = pair
        return pair
