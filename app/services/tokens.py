"""Access tokens: HS256 JWTs with every registered claim required and the algorithm pinned;
each names the session it belongs to (`sid`). Refresh tokens and tickets: opaque random
strings, kept only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
import time
from uuid import UUID

import jwt
import msgspec

from app.domain.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "chat"
AUDIENCE = "chat"
REQUIRED_CLAIMS = ["sub", "sid", "iat", "exp", "iss", "aud"]


class Tokens(msgspec.Struct, frozen=True, rename="camel"):
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


class Identity(msgspec.Struct, frozen=True):
    """Who a verified credential speaks for, in which session, and until when."""

    user_id: UUID
    session_id: UUID
    expires_at: float


def new_secret() -> tuple[str, bytes]:
    """An opaque credential (a refresh token, a ticket) and the hash that is stored of it."""
    secret = secrets.token_urlsafe(32)
    return secret, digest(secret)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class TokenService:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl = ttl_seconds

    def issue(self, user_id: UUID, session_id: UUID) -> tuple[str, int]:
        """An access token for the session, and its lifetime in seconds."""
        now = int(time.time())
        claims = {
            "sub": str(user_id),
            "sid": str(session_id),
            "iat": now,
            "exp": now + self.ttl,
            "iss": ISSUER,
            "aud": AUDIENCE,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), self.ttl

    def verify(self, token: str) -> Identity:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": REQUIRED_CLAIMS},
            )
            return Identity(
                user_id=UUID(str(claims["sub"])),
                session_id=UUID(str(claims["sid"])),
                expires_at=float(claims["exp"]),
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the access token has expired") from exc
        except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
            raise Unauthorized("the access token is not valid") from exc
