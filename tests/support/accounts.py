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


def token_for(user_id: str, ttl: int = 3600) -> str:
    now = int(time.time())
    claims = {"sub": user_id, "iat": now, "exp": now + ttl, "iss": "chat", "aud": "chat"}
    return jwt.encode(claims, SECRET, algorithm="HS256")


def bulk_users(database_url: str, count: int, prefix: str = "bulk") -> list[User]:
    users = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        for _ in range(count):
            name = f"{prefix}{uuid.uuid4().hex[:12]}"
            row = conn.execute(
                SQL["insert_user"], {"username": name, "password_hash": "unused"}
            ).fetchone()
            assert row is not None
            users.append(User(str(row[0]), name, token_for(str(row[0]))))
    return users


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
