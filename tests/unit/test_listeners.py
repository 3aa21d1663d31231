"""What the hub knows of other processes' listeners: when it may skip publishing."""

from __future__ import annotations

from app.realtime.listeners import RemoteListeners
from tests.support.clock import Clock


def test_a_channel_reached_only_here_or_nowhere_is_alone() -> None:
    listeners = RemoteListeners(Clock())
    snapshot = listeners.snapshot()
    listeners.learn(snapshot, [("here", 1, True), ("nowhere", 0, False), ("other", 1, False)])
    assert listeners.none_elsewhere("here")
    assert listeners.none_elsewhere("nowhere")
    assert not listeners.none_elsewhere("other")  # one subscriber, and not this process
    listeners.learn(listeners.snapshot(), [("here", 2, True)])
    assert not listeners.none_elsewhere("here")  # another process came


def test_a_presence_notice_ends_it_and_voids_answers_on_their_way() -> None:
    listeners = RemoteListeners(Clock())
    listeners.learn(listeners.snapshot(), [("a", 1, True)])
    snapshot = listeners.snapshot()  # a publication goes out...
    listeners.someone_listens("a")  # ...a notice overtakes its answer...
    assert not listeners.none_elsewhere("a")
    listeners.learn(snapshot, [("a", 1, True)])  # ...which predates the listener
    assert not listeners.none_elsewhere("a")


def test_nothing_is_learned_while_subscriptions_here_change() -> None:
    listeners = RemoteListeners(Clock())
    snapshot = listeners.snapshot()
    listeners.subscriptions_changed()
    listeners.learn(snapshot, [("a", 1, True)])
    assert not listeners.none_elsewhere("a")
    listeners.learn(listeners.snapshot(), [("a", 1, None)])  # unknown whether subscribed here
    assert not listeners.none_elsewhere("a")


def test_it_lasts_a_while_and_can_be_forgotten() -> None:
    clock = Clock()
    listeners = RemoteListeners(clock, alone_seconds=10)
    listeners.learn(listeners.snapshot(), [("a", 1, True), ("b", 1, True)])
    clock.now += 9
    assert listeners.none_elsewhere("a")
    clock.now += 1
    assert not listeners.none_elsewhere("a")
    listeners.learn(listeners.snapshot(), [("a", 1, True)])
    listeners.forget()
    assert not listeners.none_elsewhere("a")


def test_marks_of_channels_no_longer_published_to_are_dropped() -> None:
    clock = Clock()
    listeners = RemoteListeners(clock, alone_seconds=10)
    listeners.learn(listeners.snapshot(), [(str(n), 1, True) for n in range(100)])
    clock.now += 10
    listeners.learn(listeners.snapshot(), [("last", 1, True)])
    assert listeners.marked() == 1
