"""Registration and login, and finding users.

Failed logins are throttled per username, wherever they come from: past the limit, a
username's logins answer 429 even with the right password, until the window allows again. A
login for an unknown username costs what one with a wrong password does (a hash is checked
either way, and the throttle counted)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.db import users
from app.domain.errors import RateLimited, Unauthorized, ValidationFailed
from app.domain.rules import check_password, check_username, has_nul
from app.lib.metrics import RATE_LIMITED

if TYPE_CHECKING:
    from uuid import UUID

    from app.db.pool import Database
    from app.domain.models import User
    from app.services.ports import Throttle
    from app.services.sessions import SessionService
    from app.services.tokens import Tokens

# argon2id at OWASP's recommended minimum (19 MiB, 2 passes).
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class AccountService:
    def __init__(self, db: Database, sessions: SessionService, failed_logins: Throttle) -> None:
        self._db = db
        self._sessions = sessions
        self._failed_logins = failed_logins
        self._dummy_hash = _HASHER.hash("not a real password")

    async def register(self, username: str, password: str) -> User:
        check_username(username)
        check_password(password)
        password_hash = await asyncio.to_thread(_HASHER.hash, password)
        async with self._db.connection() as conn:
            return await users.insert_user(conn, username, password_hash)

    async def login(self, username: str, password: str, user_agent: str = "") -> Tokens:
        """Starts a session for the right password."""
        if has_nul(username, password):
            raise ValidationFailed("a username or password holds no NUL character")
        key = username.lower()
        retry_after = await self._failed_logins.exceeded(key)
        if retry_after is not None:
            RATE_LIMITED.labels("login").inc()
            raise RateLimited(retry_after, "too many failed logins for this username")
        async with self._db.connection() as conn:
            found = await users.user_credentials(conn, username)
        stored_hash = found.password_hash if found else self._dummy_hash
        if not await asyncio.to_thread(_verify, stored_hash, password) or found is None:
            await self._failed_logins.hit(key)
            raise Unauthorized("wrong username or password")
        if _HASHER.check_needs_rehash(found.password_hash):
            new_hash = await asyncio.to_thread(_HASHER.hash, password)
            async with self._db.connection() as conn:
                await users.update_password_hash(conn, found.id, new_hash)
        return await self._sessions.start(found.id, user_agent)

    async def get(self, user_id: UUID) -> User:
        async with self._db.connection() as conn:
            user = await users.user_by_id(conn, user_id)
        if user is None:
            raise Unauthorized("the token's user does not exist")
        return user

    async def find_by_username(self, username: str) -> list[User]:
        if has_nul(username):
            raise ValidationFailed.field("username", "a username holds no NUL character")
        async with self._db.connection() as conn:
            return await users.users_by_username(conn, username)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
