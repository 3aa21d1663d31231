"""Access tokens: HS256 JWTs with every registered claim required and the algorithm pinned."""

from __future__ import annotations

import time
from uuid import UUID

import jwt
import msgspec

from app.domain.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "chat"
AUDIENCE = "chat"
REQUIRED_CLAIMS = ["sub", "iat", "exp", "iss", "aud"]


class AccessToken(msgspec.Struct, frozen=True, rename="camel"):
    access_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


class Identity(msgspec.Struct, frozen=True):
    """Who a verified token speaks for, and until when."""

    user_id: UUID
    expires_at: float


class TokenService:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self._ttl = ttl_seconds

    def issue(self, user_id: UUID) -> AccessToken:
        now = int(time.time())
        claims = {
            "sub": str(user_id),
            "iat": now,
            "exp": now + self._ttl,
            "iss": ISSUER,
            "aud": AUDIENCE,
        }
        token = jwt.encode(claims, self._secret, algorithm=ALGORITHM)
        return AccessToken(access_token=token, expires_in=self._ttl)

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
            return Identity(user_id=UUID(str(claims["sub"])), expires_at=float(claims["exp"]))
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the access token has expired") from exc
        except (jwt.InvalidTokenError, ValueError) as exc:
            raise Unauthorized("the access token is not valid") from exc
