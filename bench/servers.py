"""What the bench measures, started as processes: the chat service, the echo floors, and the
Socket.IO peer (bench/peers/socketio/, installed with npm when Node is present)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.server import ChatServer
from tests.support.services import REDIS_URL, SECRET, free_port


class BenchChat(ChatServer):
    @property
    def process_pid(self) -> int:
        assert self.process is not None
        return self.process.pid


def start_chat(database_url: str, workers: int = 1) -> BenchChat:
    server = BenchChat(
        database_url=database_url,
        redis_url=REDIS_URL,
        workers=workers,
        rate_limit="100000000/minute",
    )
    return server.start(timeout=60)


@dataclass
class _Started:
    """A server process of the bench's own: its port, its process group, how it stops."""

    port: int = field(default_factory=free_port, init=False)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def process_pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def _launch(self, command: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_http(f"http://127.0.0.1:{self.port}/", self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            self.process.wait(10)


@dataclass
class EchoServer(_Started):
    """The floor (bench/echo_app.py); with `database_url`, the durable floor."""

    database_url: str | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/chat"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> EchoServer:
        env = dict(os.environ)
        if self.database_url is not None:
            env["ECHO_DATABASE_URL"] = self.database_url
        granian = [sys.executable, "-m", "granian", "--interface", "asgi"]
        options = ["--port", str(self.port), "--backpressure", "65536"]
        self._launch([*granian, *options, "bench.echo_app:app"], env)
        return self


PEER = Path(__file__).with_name("peers") / "socketio"


def peer_missing() -> str | None:
    """Why the Socket.IO peer cannot run here (no Node), or None; installs it when it can."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return "Node.js and npm are not installed"
    if not (PEER / "node_modules").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=PEER, check=True, timeout=300
        )
    return None


@dataclass
class PeerServer(_Started):
    """The Socket.IO + PostgreSQL relay (bench/peers/socketio/), on its own tables."""

    database_url: str = ""
    protocol = "socketio"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/socket.io/"

    def start(self) -> PeerServer:
        env = {
            **os.environ,
            "PEER_DATABASE_URL": self.database_url,
            "PEER_JWT_SECRET": SECRET,
            "PEER_PORT": str(self.port),
        }
        self._launch([shutil.which("node") or "node", "server.js"], env, cwd=PEER)
        return self


def _wait_for_http(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
        except httpx.HTTPError:
            time.sleep(0.1)
        else:
            return
    raise RuntimeError(f"{url} did not start")
