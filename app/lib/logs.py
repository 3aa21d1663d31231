"""Structured logs: one line per event, with whatever `extra` a call site adds, as JSON (for
machines, the default when standard output is not a terminal) or as text (for people).
Logs go to standard error; standard output is left to what a command prints (`chat reports`).
"""

from __future__ import annotations

import logging
import os
import sys
import time

import msgspec

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
_ENCODER = msgspec.json.Encoder()
FORMATS = ("json", "text")
# Libraries that narrate at info what is ours to say once (one line per start-up step).
QUIET = ("httpx", "psycopg.pool", "alembic", "pgserver", "granian")


def _fields(record: logging.LogRecord) -> dict[str, object]:
    return {
        key: value if isinstance(value, (int, float, bool)) else str(value)
        for key, value in record.__dict__.items()
        if key not in _STANDARD and not key.startswith("_")
    }


def _time(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + (
        f".{int(record.msecs):03d}Z"
    )


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return _ENCODER.encode(entry).decode()


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{key}={value}" for key, value in _fields(record).items())
        line = f"{_time(record)} {record.levelname.lower():7} {record.getMessage()}"
        line = f"{line}  {extra}" if extra else line
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def log_format(chosen: str | None = None) -> str:
    """`chosen` (by default CHAT_LOG_FORMAT), or JSON unless standard output is a terminal
    (app/lib/settings.py checks the variable's value)."""
    chosen = (os.environ.get("CHAT_LOG_FORMAT", "") if chosen is None else chosen).strip().lower()
    if chosen in FORMATS:
        return chosen
    return "text" if sys.stdout.isatty() else "json"


def configure_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter | TextFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(TextFormatter() if log_format() == "text" else JsonFormatter())
    root.handlers = [handler]
    root.setLevel(level)
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
