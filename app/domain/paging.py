"""Which slice of a conversation's history a request asks for.

Messages carry their 1-based position in the conversation, so every page is a
range of positions: offset pages and keyset pages alike read one index range.
"""

from __future__ import annotations

import enum
from uuid import UUID  # noqa: TC003 - msgspec needs the runtime type

import msgspec

from app.domain.errors import ValidationFailed


class Origin(enum.StrEnum):
    OLDEST = "oldest"
    NEWEST = "newest"


class HistoryQuery(msgspec.Struct, frozen=True):
    limit: int = 50
    offset: int | None = None
    origin: Origin = Origin.OLDEST
    before: UUID | None = None
    after: UUID | None = None

    def __post_init__(self) -> None:
        chosen = [
            n
            for n, v in (("offset", self.offset), ("before", self.before), ("after", self.after))
            if v is not None
        ]
        if len(chosen) > 1:
            raise ValidationFailed(
                "use at most one of before, after, offset", details={"fields": chosen}
            )


class PositionRange(msgspec.Struct, frozen=True):
    first: int
    last: int


def offset_range(total: int, limit: int, offset: int, origin: Origin) -> PositionRange:
    """Positions of an offset page; `first > last` means an empty page."""
    if origin is Origin.OLDEST:
        return PositionRange(offset + 1, min(offset + limit, total))
    last = total - offset
    return PositionRange(max(last - limit + 1, 1), last)


def before_range(anchor: int, limit: int) -> PositionRange:
    return PositionRange(max(anchor - limit, 1), anchor - 1)


def after_range(anchor: int, limit: int, total: int) -> PositionRange:
    return PositionRange(anchor + 1, min(anchor + limit, total))
