"""Server-to-client frames, encoded once: `{"event", "data", "ref"?, "seq"?}`."""

from __future__ import annotations

from typing import Any

import msgspec

_ENCODER = msgspec.json.Encoder()


class ServerFrame(msgspec.Struct, omit_defaults=True):
    event: str
    data: msgspec.Raw
    ref: str | int | None = None
    seq: int | None = None


class ErrorData(msgspec.Struct, omit_defaults=True, rename="camel"):
    code: str
    message: str
    retry_after: int | None = None
    details: dict[str, Any] | None = None


def encode_data(data: object) -> bytes:
    return _ENCODER.encode(data)


def frame(event: str, data: bytes, *, seq: int | None = None, ref: str | int | None = None) -> str:
    """A whole frame around already-encoded `data`."""
    return _ENCODER.encode(ServerFrame(event, msgspec.Raw(data), ref, seq)).decode()


def error_frame(error: ErrorData, ref: str | int | None = None) -> str:
    return frame("error", encode_data(error), ref=ref)
