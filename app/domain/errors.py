"""Errors the use cases raise; the interfaces map each to a code and an HTTP status."""

from __future__ import annotations


class ChatError(Exception):
    """Base of every expected failure. `code` is the stable machine-readable name."""

    code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(ChatError):
    code = "VALIDATION_ERROR"

    @classmethod
    def field(cls, name: str, message: str) -> ValidationFailed:
        return cls(message, details={"field": name})


class Unauthorized(ChatError):
    code = "UNAUTHORIZED"


class Forbidden(ChatError):
    code = "FORBIDDEN"


class Blocked(ChatError):
    """A send (or a new conversation) between two users one of whom blocks the other."""

    code = "BLOCKED"


class NotFound(ChatError):
    code = "NOT_FOUND"


class Conflict(ChatError):
    code = "CONFLICT"


class PayloadTooLarge(ChatError):
    code = "PAYLOAD_TOO_LARGE"


class BadFrame(ChatError):
    code = "BAD_FRAME"


class RateLimited(ChatError):
    code = "RATE_LIMITED"

    def __init__(self, retry_after: int, why: str = "too many messages") -> None:
        super().__init__(f"{why[:1].upper()}{why[1:]}; retry in {retry_after} s")
        self.retry_after = retry_after


class TooManyConnections(ChatError):
    """A /chat connection over CHAT_MAX_CONNECTIONS_PER_USER (closed with 1008 after it)."""

    code = "TOO_MANY_CONNECTIONS"


class Unavailable(ChatError):
    """A backing store (PostgreSQL) does not answer; the request may be retried."""

    code = "SERVICE_UNAVAILABLE"
