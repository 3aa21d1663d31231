"""Accounts."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - a field type of a Struct
from typing import TYPE_CHECKING
from uuid import UUID  # noqa: TC003 - a field type of a Struct

import msgspec
from psycopg import errors as pg_errors
from psycopg.rows import class_row

from app.db.queries import SQL
from app.domain.errors import Conflict
from app.domain.models import User

if TYPE_CHECKING:
    from app.db.pool import Conn


class Credentials(msgspec.Struct, frozen=True):
    id: UUID
    username: str
    created_at: datetime
    password_hash: str

    def user(self) -> User:
        return User(id=self.id, username=self.username, created_at=self.created_at)


async def insert_user(conn: Conn, username: str, password_hash: str) -> User:
    try:
        cur = await conn.cursor(row_factory=class_row(User)).execute(
            SQL["insert_user"], {"username": username, "password_hash": password_hash}
        )
    except pg_errors.UniqueViolation as exc:
        raise Conflict("that username is taken") from exc
    user = await cur.fetchone()
    assert user is not None  # noqa: S101 - INSERT ... RETURNING always returns the row
    return user


async def user_credentials(conn: Conn, username: str) -> Credentials | None:
    cur = await conn.cursor(row_factory=class_row(Credentials)).execute(
        SQL["user_credentials"], {"username": username}
    )
    return await cur.fetchone()


async def user_by_id(conn: Conn, user_id: UUID) -> User | None:
    cur = await conn.cursor(row_factory=class_row(User)).execute(
        SQL["user_by_id"], {"user_id": user_id}
    )
    return await cur.fetchone()


async def users_by_username(conn: Conn, username: str) -> list[User]:
    cur = await conn.cursor(row_factory=class_row(User)).execute(
        SQL["users_by_username"], {"username": username}
    )
    return await cur.fetchall()


async def update_password_hash(conn: Conn, user_id: UUID, password_hash: str) -> None:
    await conn.execute(
        SQL["update_password_hash"], {"user_id": user_id, "password_hash": password_hash}
    )
