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
class EchoServer:
    """The floor (bench/echo_app.py); with `database_url`, the durable floor."""

    database_url: str | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/chat"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def process_pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> EchoServer:
        env = dict(os.environ)
        if self.database_url is not None:
            env["ECHO_DATABASE_URL"] = self.database_url
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "asgi",
                "--port",
                str(self.port),
                "--backpressure",
                "65536",
                "bench.echo_app:app",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/", timeout=1)
            except httpx.HTTPError:
                time.sleep(0.1)
            else:
                return self
        raise RuntimeError("echo server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            self.process.wait(10)


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
class PeerServer:
    """The Socket.IO + PostgreSQL relay (bench/peers/socketio/), on its own tables."""

    database_url: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    protocol = "socketio"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/socket.io/"

    @property
    def process_pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> PeerServer:
        env = {
            **os.environ,
            "PEER_DATABASE_URL": self.database_url,
            "PEER_JWT_SECRET": SECRET,
            "PEER_PORT": str(self.port),
        }
        node = shutil.which("node") or "node"
        self.process = subprocess.Popen(
            [node, "server.js"], cwd=PEER, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_http(f"http://127.0.0.1:{self.port}/", self.process)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            self.process.wait(10)


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
