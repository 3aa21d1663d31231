"""Where a request carries its credentials: `Authorization: Bearer <token>` (REST and the
WebSocket upgrade), or for the WebSocket the `?token=` query parameter."""

from __future__ import annotations


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, value = (header or "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
