"""The embedded default: a PostgreSQL under ./.chat-data/ (from the `pgserver` package) and a
JWT secret generated once and kept beside it."""

from __future__ import annotations

import logging
import os
import secrets
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger("chat.embedded")


def start_embedded_postgres(data_dir: Path) -> str:
    """Starts (or joins) the embedded server; it stops when this process exits."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (a service, a container) and falls
        # back to /tmp, which is where pgserver's socket may go anyway.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import pgserver  # noqa: PLC0415 - only the embedded mode needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        server = pgserver.get_server(  # type: ignore[attr-defined]
            data_dir.resolve() / "pg", cleanup_mode="stop"
        )
    url: str = server.get_uri()
    log.info("embedded postgresql running", extra={"pgdata": str(data_dir / "pg")})
    return url


def embedded_jwt_secret(data_dir: Path) -> str:
    path = data_dir / "jwt-secret"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secret)
    return secret
