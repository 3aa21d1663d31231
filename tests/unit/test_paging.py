"""History paging arithmetic and the domain rules (unit tests)."""

from __future__ import annotations

import uuid

import pytest

from app.domain.errors import ValidationFailed
from app.domain.paging import (
    HistoryQuery,
    Origin,
    PositionRange,
    after_range,
    before_range,
    offset_range,
)
from app.domain.rules import canonical_pair, check_content, check_search_query


@pytest.mark.parametrize(
    ("total", "limit", "offset", "origin", "expected"),
    [
        (120, 50, 0, Origin.OLDEST, PositionRange(1, 50)),
        (120, 50, 100, Origin.OLDEST, PositionRange(101, 120)),
        (120, 50, 200, Origin.OLDEST, PositionRange(201, 120)),  # empty
        (120, 50, 0, Origin.NEWEST, PositionRange(71, 120)),
        (120, 50, 100, Origin.NEWEST, PositionRange(1, 20)),
        (120, 50, 130, Origin.NEWEST, PositionRange(1, -10)),  # empty
        (0, 50, 0, Origin.OLDEST, PositionRange(1, 0)),
    ],
)
def test_offset_ranges(
    total: int, limit: int, offset: int, origin: Origin, expected: PositionRange
) -> None:
    assert offset_range(total, limit, offset, origin) == expected


def test_keyset_ranges() -> None:
    assert before_range(60, 50) == PositionRange(10, 59)
    assert before_range(5, 50) == PositionRange(1, 4)
    assert before_range(1, 50) == PositionRange(1, 0)
    assert after_range(60, 50, 120) == PositionRange(61, 110)
    assert after_range(110, 50, 120) == PositionRange(111, 120)


def test_one_page_selector_at_a_time() -> None:
    with pytest.raises(ValidationFailed):
        HistoryQuery(offset=0, before=uuid.uuid4())
    with pytest.raises(ValidationFailed):
        HistoryQuery(before=uuid.uuid4(), after=uuid.uuid4())


@pytest.mark.parametrize("content", ["", " \n\t ", "a\x00b", "x" * 5001])
def test_bad_content(content: str) -> None:
    with pytest.raises(ValidationFailed):
        check_content(content)


def test_content_counts_code_points() -> None:
    assert check_content("é" * 5000) == "é" * 5000
    assert check_content("🙂" * 5000) == "🙂" * 5000


def test_canonical_pair_orders_and_refuses_self() -> None:
    a, b = sorted([uuid.uuid4(), uuid.uuid4()])
    assert canonical_pair(b, a) == (a, b)
    assert canonical_pair(a, b) == (a, b)
    with pytest.raises(ValidationFailed):
        canonical_pair(a, a)


@pytest.mark.parametrize("query", ["", "x" * 1001, "a\x00b"])
def test_bad_search_queries(query: str) -> None:
    with pytest.raises(ValidationFailed):
        check_search_query(query)


@pytest.mark.parametrize("query", ["   ", "!!!", "a", "x" * 1000])
def test_any_non_empty_query_up_to_the_limit_is_accepted(query: str) -> None:
    assert check_search_query(query) == query
