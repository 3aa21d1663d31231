"""Blocking users (contract section 5)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, delete, get, put

from app.domain.models import User
from app.interfaces.http.dependencies import SECURITY, error_responses
from app.services.container import Services
from app.services.tokens import Identity


class BlockController(Controller):
    path = "/users"
    tags = ["users"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = SECURITY

    @put(
        "/{user_id:uuid}/block",
        status_code=204,
        responses=error_responses("VALIDATION_ERROR", "UNAUTHORIZED", "NOT_FOUND"),
    )
    async def block(self, user_id: UUID, identity: Identity, services: Services) -> None:
        """Blocks a user: nothing is sent between you while either blocks the other."""
        await services.blocks.block(identity.user_id, user_id)

    @delete(
        "/{user_id:uuid}/block",
        status_code=204,
        responses=error_responses("VALIDATION_ERROR", "UNAUTHORIZED", "NOT_FOUND"),
    )
    async def unblock(self, user_id: UUID, identity: Identity, services: Services) -> None:
        """Unblocks a user (also when there was no block); sending works again at once."""
        await services.blocks.unblock(identity.user_id, user_id)

    @get("/blocked", responses=error_responses("UNAUTHORIZED"))
    async def blocked(self, identity: Identity, services: Services) -> list[User]:
        """Whom you block, most recent first."""
        return await services.blocks.blocked_by(identity.user_id)
