"""The caller, and finding other users by name."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from app.domain.models import User
from app.domain.rules import NO_NUL_PATTERN
from app.interfaces.http.dependencies import SECURITY, error_responses
from app.services.container import Services
from app.services.tokens import Identity


class UserController(Controller):
    path = "/users"
    tags = ["users"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = SECURITY

    @get("/me", responses=error_responses("UNAUTHORIZED"))
    async def me(self, identity: Identity, services: Services) -> User:
        """The user the access token belongs to."""
        return await services.accounts.get(identity.user_id)

    @get("/", responses=error_responses("VALIDATION_ERROR", "UNAUTHORIZED"))
    async def find(
        self,
        identity: Identity,  # noqa: ARG002 - authentication only
        services: Services,
        username: Annotated[str, Parameter(min_length=1, max_length=64, pattern=NO_NUL_PATTERN)],
    ) -> list[User]:
        """Users with exactly this username (case-insensitive); empty when none."""
        return await services.accounts.find_by_username(username)
