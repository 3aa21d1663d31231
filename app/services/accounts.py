"""Registration, login, and turning a bearer token into a known user."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.db import users
from app.domain.errors import Unauthorized
from app.domain.rules import check_password, check_username
from app.lib.coalesce import Coalescer

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.pool import Database
    from app.domain.models import User
    from app.services.tokens import AccessToken, Identity, TokenService

# argon2id at OWASP's recommended minimum (19 MiB, 2 passes).
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_KNOWN_USER_SECONDS = 60.0


class AccountService:
    def __init__(self, db: Database, tokens: TokenService) -> None:
        self._db = db
        self._tokens = tokens
        self._known_users: dict[UUID, float] = {}
        self._existing = Coalescer(self._existing_user_ids)
        self._dummy_hash = _HASHER.hash("not a real password")

    async def register(self, username: str, password: str) -> User:
        check_username(username)
        check_password(password)
        password_hash = await asyncio.to_thread(_HASHER.hash, password)
        async with self._db.connection() as conn:
            return await users.insert_user(conn, username, password_hash)

    async def login(self, username: str, password: str) -> AccessToken:
        async with self._db.connection() as conn:
            found = await users.user_credentials(conn, username)
        stored_hash = found.password_hash if found else self._dummy_hash
        if not await asyncio.to_thread(_verify, stored_hash, password) or found is None:
            raise Unauthorized("wrong username or password")
        if _HASHER.check_needs_rehash(found.password_hash):
            new_hash = await asyncio.to_thread(_HASHER.hash, password)
            async with self._db.connection() as conn:
                await users.update_password_hash(conn, found.id, new_hash)
        return self._tokens.issue(found.id)

    async def get(self, user_id: UUID) -> User:
        async with self._db.connection() as conn:
            user = await users.user_by_id(conn, user_id)
        if user is None:
            raise Unauthorized("the token's user does not exist")
        return user

    async def find_by_username(self, username: str) -> list[User]:
        async with self._db.connection() as conn:
            return await users.users_by_username(conn, username)

    async def authenticate(self, token: str | None) -> Identity:
        """The identity of a bearer token whose user exists (checked at most once a minute)."""
        if not token:
            raise Unauthorized("an access token is required")
        identity = self._tokens.verify(token)
        now = time.monotonic()
        if self._known_users.get(identity.user_id, 0.0) < now:
            if not await self._existing.get(identity.user_id):
                raise Unauthorized("the token's user does not exist")
            if len(self._known_users) > 100_000:
                self._known_users.clear()
            self._known_users[identity.user_id] = now + _KNOWN_USER_SECONDS
        return identity

    async def _existing_user_ids(self, user_ids: list[UUID]) -> dict[UUID, bool]:
        async with self._db.connection() as conn:
            return await users.existing_user_ids(conn, user_ids)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
