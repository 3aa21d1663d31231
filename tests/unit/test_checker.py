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


def test_changes_must_arrive_once_after_their_message_and_in_order() -> None:
    checker = QueueChecker()
    for tag in ("a", "b", "c"):
        checker.sent("s", "r", tag)
    for label in ("a:edit:1", "a:edit:2", "b:delete", "c:edit:1"):
        checker.changed("r", label)
    checker.unknown("c:edit:2")
    for arrival in ("a", "a:edit:2", "a:edit:1", "b:delete", "b", "c", "c:edit:2", "x:edit:1"):
        if ":" in arrival:
            checker.got_change("r", arrival)
        else:
            checker.got("r", "s", arrival)
    checker.got_change("r", "a:edit:2")
    report = checker.report()
    assert report.lost == ["c:edit:1"]
    assert report.duplicated == ["a:edit:2"]
    assert report.unexpected == ["x:edit:1"]
    assert sorted(report.out_of_order) == ["a:edit:1", "b:delete"]


def test_clean_changes() -> None:
    checker = QueueChecker()
    checker.sent("s", "r", "a")
    checker.changed("r", "a:edit:1")
    checker.changed("r", "a:delete")
    checker.got("r", "s", "a")
    checker.got_change("r", "a:edit:1")
    checker.got_change("r", "a:delete")
    assert checker.report().clean
