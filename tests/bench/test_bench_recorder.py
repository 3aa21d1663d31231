"""The load generator's count of what arrived: lost, duplicated and reordered messages, and
the errors the server answered with. The bench's correctness columns come from here."""

from __future__ import annotations

import time

import msgspec

from bench.loadgen import _Recorder
from bench.wsclient import decode_frame


def _received(sender: str, counter: int, intended_ns: int | None = None) -> memoryview:
    intended = time.monotonic_ns() if intended_ns is None else intended_ns
    frame = {
        "event": "message:received",
        "data": {"id": "m", "senderId": "u", "content": f"{intended}:{sender}:{counter}"},
        "seq": counter + 1,
    }
    return memoryview(msgspec.json.encode(frame))


def test_duplicates_and_reordering_are_counted_per_sender() -> None:
    recorder = _Recorder()
    for sender, counter in [("1", 0), ("1", 2), ("1", 1), ("2", 0), ("1", 2)]:
        assert recorder.frame(_received(sender, counter), "9") == "message:received"
    assert recorder.received == 4
    assert recorder.duplicated == 1
    assert recorder.out_of_order == 1
    assert {s: len(n) for s, n in recorder.seen.items()} == {"1": 3, "2": 1}


def test_latency_runs_from_the_intended_send_time() -> None:
    recorder = _Recorder()
    recorder.frame(_received("1", 0, time.monotonic_ns() - 50_000_000), "9")
    assert 50_000 <= recorder.histogram.get_value_at_percentile(50) < 5_000_000


def test_replies_and_errors_are_told_apart() -> None:
    recorder = _Recorder()
    reply = msgspec.json.encode({"event": "reply", "data": {"message": {"id": "m"}}, "seq": 3})
    error = msgspec.json.encode({"event": "error", "data": {"code": "RATE_LIMITED"}})
    assert recorder.frame(memoryview(reply), "4") == "reply"
    assert recorder.frame(memoryview(error), "4") == "error"
    assert (recorder.replies, recorder.errors) == (1, 1)
    assert recorder.error_codes == {"RATE_LIMITED": 1}
    assert recorder.rejected == {"4": 1}
    assert recorder.received == 0


def test_a_frame_whose_data_is_not_an_object_still_names_its_event() -> None:
    assert decode_frame(memoryview(b'{"event":"typing","data":[1,2]}')).event == "typing"
    assert decode_frame(memoryview(b'{"event":"session:ready","data":{"lastSeq":0}}')).data
