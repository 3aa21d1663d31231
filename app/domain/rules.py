"""The rules of contract section 2, as plain functions over plain values."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

import msgspec

from app.domain.errors import ValidationFailed

if TYPE_CHECKING:
    from uuid import UUID

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,32}$"
PASSWORD_MIN, PASSWORD_MAX = 8, 128
CONTENT_MAX = 5000
CLIENT_MESSAGE_ID_MAX = 64
PAGE_LIMIT_MAX = 100
OFFSET_MAX = 1_000_000_000  # a page offset: within every integer type the queries use
SEARCH_QUERY_MAX = 1000
REPORT_REASON_MAX = 1000
MAX_BODY_BYTES = 64 * 1024

_USERNAME = re.compile(USERNAME_PATTERN)


class SendLimit(msgspec.Struct, frozen=True):
    """CHAT_RATE_LIMIT: at most `amount` sends and edits by one user in any `seconds`."""

    amount: int
    seconds: int


# The wire types of message content and client message ids, REST and WebSocket alike: their
# lengths are checked as they are decoded, the rest of each rule by check_content and
# check_client_message_id below.
# Text that is not only whitespace and holds no NUL, as the schema of a body says it (the
# checks below say it again, for callers that are not a decoder). Linear: no backtracking.
TEXT_PATTERN = r"^\s*[^\s\x00][^\x00]*$"
NO_NUL_PATTERN = r"^[^\x00]*$"
Content = Annotated[str, msgspec.Meta(min_length=1, max_length=CONTENT_MAX, pattern=TEXT_PATTERN)]
ClientMessageId = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=CLIENT_MESSAGE_ID_MAX, pattern=NO_NUL_PATTERN),
]


def check_username(username: str) -> str:
    if not _USERNAME.match(username):
        raise ValidationFailed.field(
            "username", "username must be 3-32 characters of letters, digits, '_', '.' or '-'"
        )
    return username


def check_password(password: str) -> str:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationFailed.field(
            "password", f"password must be {PASSWORD_MIN}-{PASSWORD_MAX} characters"
        )
    return password


def check_content(content: str) -> str:
    """Content is 1-5000 code points, not only whitespace, with no NUL character."""
    if not 1 <= len(content) <= CONTENT_MAX:
        raise ValidationFailed.field("content", f"content must be 1-{CONTENT_MAX} characters")
    if not content.strip():
        raise ValidationFailed.field("content", "content must not be only whitespace")
    if "\x00" in content:
        raise ValidationFailed.field("content", "content must not contain a NUL character")
    return content


def check_client_message_id(client_message_id: str | None) -> str | None:
    if client_message_id is None:
        return None
    if not 1 <= len(client_message_id) <= CLIENT_MESSAGE_ID_MAX or "\x00" in client_message_id:
        raise ValidationFailed.field(
            "clientMessageId", f"clientMessageId must be 1-{CLIENT_MESSAGE_ID_MAX} characters"
        )
    return client_message_id


def check_report_reason(reason: str) -> str:
    if not 1 <= len(reason) <= REPORT_REASON_MAX or not reason.strip() or "\x00" in reason:
        raise ValidationFailed.field(
            "reason", f"reason must be 1-{REPORT_REASON_MAX} characters, not only whitespace"
        )
    return reason


def check_search_query(query: str) -> str:
    """Any non-empty q up to the limit (a q with no words finds nothing)."""
    if not query:
        raise ValidationFailed.field("q", "q must not be empty")
    if len(query) > SEARCH_QUERY_MAX:
        raise ValidationFailed.field("q", f"q must be at most {SEARCH_QUERY_MAX} characters")
    if "\x00" in query:
        raise ValidationFailed.field("q", "q must not contain a NUL character")
    return query


def has_nul(*texts: str) -> bool:
    """PostgreSQL stores no NUL in text: input holding one can match nothing stored."""
    return any("\x00" in text for text in texts)


def canonical_pair(a: UUID, b: UUID) -> tuple[UUID, UUID]:
    """Participants of a conversation in canonical order: the smaller UUID first."""
    if a == b:
        raise ValidationFailed.field("recipientId", "you cannot open a conversation with yourself")
    return (a, b) if a < b else (b, a)
