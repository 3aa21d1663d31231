"""Many users at once, straight into the database, with tokens signed by the test secret
(registering thousands over HTTP would spend the test's time hashing passwords)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import psycopg

from app.db.queries import SQL
from tests.support.clients import User
from tests.support.services import SECRET


def token_for(user_id: str, session_id: str, ttl: int = 3600) -> str:
    now = int(time.time())
    claims = {
        "sub": user_id,
        "sid": session_id,
        "iat": now,
        "exp": now + ttl,
        "iss": "chat",
        "aud": "chat",
    }
    return jwt.encode(claims, SECRET, algorithm="HS256")


def start_sessions(conn: psycopg.Connection[Any], user_ids: list[str]) -> list[str]:
    """A live session for each user, as a login would start it (its refresh token unknown)."""
    rows = conn.execute(
        "INSERT INTO sessions (user_id, expires_at)"
        " SELECT id, now() + interval '1 day' FROM unnest(%s::uuid[]) WITH ORDINALITY AS u(id, n)"
        " ORDER BY n RETURNING id",
        (user_ids,),
    ).fetchall()
    return [str(row[0]) for row in rows]


def bulk_users(database_url: str, count: int, prefix: str = "bulk") -> list[User]:
    created = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        for _ in range(count):
            name = f"{prefix}{uuid.uuid4().hex[:12]}"
            row = conn.execute(
                SQL["insert_user"], {"username": name, "password_hash": "unused"}
            ).fetchone()
            assert row is not None
            created.append((str(row[0]), name))
        sessions = start_sessions(conn, [user_id for user_id, _ in created])
    return [
        User(user_id, name, token_for(user_id, session))
        for (user_id, name), session in zip(created, sessions, strict=True)
    ]


def insert_user_pair(conn: psycopg.Connection[Any], prefix: str) -> tuple[uuid.UUID, uuid.UUID]:
    """Two bare users for schema-level tests, in canonical order (smaller id first)."""
    ids = []
    for suffix in ("a", "b"):
        row = conn.execute(
            SQL["insert_user"], {"username": f"{prefix}_{suffix}", "password_hash": "unused"}
        ).fetchone()
        assert row is not None
        ids.append(row[0])
    low, high = sorted(ids)
    return low, high
