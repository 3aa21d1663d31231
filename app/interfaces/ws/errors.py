"""An error as the `error` frame that answers a request (contract section 3)."""

from __future__ import annotations

from app.domain.errors import ChatError, RateLimited
from app.domain.events import ErrorData, Event, frame


def error_text(error: ChatError, ref: str | int | None = None) -> str:
    retry_after = error.retry_after if isinstance(error, RateLimited) else None
    data = ErrorData(error.code, error.message, retry_after, error.details)
    return frame(Event.ERROR, data, ref=ref)
