"""Client frame decoding: BAD_FRAME versus VALIDATION_ERROR (unit tests)."""

from __future__ import annotations

import pytest

from app.interfaces.ws.frames import AckFrame, FrameError, SendFrame, decode_frame


def test_decodes_a_send() -> None:
    frame = decode_frame(
        '{"event":"message:send","ref":"1","data":{"recipientId":"'
        '0b3c0b4e-0d5e-4a8e-9d1e-3c2b1a0f9e8d","content":"hi","senderId":"ignored"}}'
    )
    assert isinstance(frame, SendFrame)
    assert frame.ref == "1"
    assert frame.data is not None
    assert frame.data.content == "hi"


def test_decodes_an_ack() -> None:
    frame = decode_frame(b'{"event":"ack","data":{"seq":7}}')
    assert isinstance(frame, AckFrame)
    assert frame.data is not None
    assert frame.data.seq == 7


@pytest.mark.parametrize(
    ("raw", "code", "ref"),
    [
        ("not json", "BAD_FRAME", None),
        ("", "BAD_FRAME", None),
        ("[1,2]", "BAD_FRAME", None),
        ('"a string"', "BAD_FRAME", None),
        ("{}", "BAD_FRAME", None),
        ('{"event": 5}', "BAD_FRAME", None),
        ('{"event": "nope", "ref": "r"}', "BAD_FRAME", "r"),
        ('{"event": "ack", "ref": "r"}', "VALIDATION_ERROR", "r"),
        ('{"event": "ack", "data": {"seq": -1}}', "VALIDATION_ERROR", None),
        ('{"event": "ack", "data": {"seq": "1"}}', "VALIDATION_ERROR", None),
        (
            '{"event": "message:send", "data": {"content": 5, "recipientId": "x"}}',
            "VALIDATION_ERROR",
            None,
        ),
        (
            '{"event": "message:send", "data": {"recipientId": "not-a-uuid", "content": "x"}}',
            "VALIDATION_ERROR",
            None,
        ),
        ('{"event": "sync", "data": []}', "VALIDATION_ERROR", None),
    ],
)
def test_bad_frames(raw: str, code: str, ref: str | None) -> None:
    with pytest.raises(FrameError) as raised:
        decode_frame(raw)
    assert raised.value.error.code == code
    assert raised.value.ref == ref
