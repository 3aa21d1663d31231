"""A real `chat serve` process on a free port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

import httpx

from tests.support.services import SECRET, free_port

CHAT = str(Path(sys.executable).with_name("chat"))


class ChatServer:
    def __init__(
        self,
        *,
        database_url: str | None,
        redis_url: str | None = None,
        rate_limit: str = "100000/minute",
        workers: int = 1,
        cwd: Path | None = None,
        extra_env: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/chat"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CHAT_", "DATABASE_", "REDIS_"))
        }
        env.update(
            {
                "CHAT_PORT": str(self.port),
                "CHAT_HOST": "127.0.0.1",
                "CHAT_RATE_LIMIT": rate_limit,
                "CHAT_WORKERS": str(workers),
                # the suite logs in from one address, and some users fail on purpose
                "CHAT_AUTH_RATE_LIMIT": "1000000/minute",
                "CHAT_LOGIN_RATE_LIMIT": "1000000/minute",
            }
        )
        if database_url is not None:
            env["DATABASE_URL"] = database_url
            env["CHAT_JWT_SECRET"] = SECRET
        if redis_url is not None:
            env["REDIS_URL"] = redis_url
        env.update(extra_env or {})
        self.env = env
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(cwd or ".") / f".chat-server-{self.port}.log" if cwd else None

    def start(self, timeout: float = 30.0) -> Self:
        self._log = open(os.devnull, "wb") if self.log_path is None else open(self.log_path, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [CHAT, "serve"],
            env=self.env,
            cwd=self.cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chat serve exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("chat serve did not become healthy")

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, as an orchestrator would; returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        """kill -9 of the whole process group (granian main and workers)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
