"""Blocking another user (contract section 5): while either of two users blocks the other,
nothing is sent between them. The send statements check it themselves, so here is only the
list of blocks and the checks outside a send (a new conversation, typing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.db import blocks
from app.domain.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.pool import Database
    from app.domain.models import User


class BlockService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def block(self, user_id: UUID, other_id: UUID) -> None:
        _not_self(user_id, other_id)
        async with self._db.connection() as conn:
            if not await blocks.block_user(conn, user_id, other_id):
                raise NotFound("no such user")

    async def unblock(self, user_id: UUID, other_id: UUID) -> None:
        _not_self(user_id, other_id)
        async with self._db.connection() as conn:
            await blocks.unblock_user(conn, user_id, other_id)

    async def blocked_by(self, user_id: UUID) -> list[User]:
        async with self._db.connection() as conn:
            return await blocks.blocked_users(conn, user_id)

    async def either_blocks(self, a: UUID, b: UUID) -> bool:
        async with self._db.connection() as conn:
            return await blocks.either_blocks(conn, a, b)


def _not_self(user_id: UUID, other_id: UUID) -> None:
    if user_id == other_id:
        raise ValidationFailed.field("id", "you cannot block yourself")
