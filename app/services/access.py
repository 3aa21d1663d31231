"""Who may see a conversation: its two participants. Others get 403; unknown ids 404."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.db import messages
from app.domain.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.messages import ConversationSize
    from app.db.pool import Conn


async def require_participant(conn: Conn, conversation_id: UUID, user_id: UUID) -> ConversationSize:
    size = await messages.conversation_size(conn, conversation_id)
    if size is None:
        raise NotFound("no such conversation")
    if not size.has(user_id):
        raise Forbidden("you are not a participant of this conversation")
    return size
