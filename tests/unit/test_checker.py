"""The fault suite's checker must itself catch what it claims to (unit tests)."""

from __future__ import annotations

from tests.support.checker import QueueChecker


def test_clean_history() -> None:
    checker = QueueChecker()
    for tag in ("a", "b", "c"):
        checker.sent("s", "r", tag)
        checker.got("r", "s", tag)
    report = checker.report()
    assert report.clean
    assert report.delivered == 3


def test_detects_lost_duplicated_unexpected_and_reordered() -> None:
    checker = QueueChecker()
    for tag in ("a", "b", "c", "d"):
        checker.sent("s", "r", tag)
    checker.unknown("maybe")
    for tag in ("b", "a", "a", "x", "maybe"):
        checker.got("r", "s", tag)
    report = checker.report()
    assert sorted(report.lost) == ["c", "d"]
    assert report.duplicated == ["a"]
    assert report.unexpected == ["x"]
    assert report.out_of_order == ["a"]
    assert not report.clean
