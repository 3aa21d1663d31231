"""The package as an operator installs it: a wheel, installed plainly (not editable) into a fresh
virtual environment, as the Dockerfile does. The SQL and migrations ship inside it, and
`chat migrate` and `chat serve` work from an empty folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.services import SECRET, create_database, drop_database, free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `bin/` of a fresh venv holding the wheel built from this checkout."""
    work = tmp_path_factory.mktemp("package")
    dist = work / "dist"
    build = [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(dist)]
    subprocess.run(build, check=True, timeout=600)
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True, timeout=120)
    pip = [str(work / "venv" / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, *map(str, dist.glob("chat-*.whl"))], check=True, timeout=900)
    return work / "venv" / "bin"


@pytest.fixture
def empty_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


@pytest.fixture
def database() -> Iterator[str]:
    name, url = create_database()
    try:
        yield url
    finally:
        drop_database(name)


def test_the_wheel_carries_the_sql_the_migrations_and_the_page(installed: Path) -> None:
    [wheel] = (installed.parents[1] / "dist").glob("chat-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (*ROOT.glob("sql/*.sql"), *ROOT.glob("migrations/**/*.*")):
        relative = path.relative_to(ROOT).as_posix()
        assert f"app/{relative}" in names, relative
    for path in ROOT.glob("app/interfaces/web/*"):
        assert path.relative_to(ROOT).as_posix() in names, path


def test_migrate_and_serve_from_an_empty_folder(
    installed: Path, empty_folder: Path, database: str
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "DATABASE_"))},
        "DATABASE_URL": database,
        "CHAT_JWT_SECRET": SECRET,
        "CHAT_PORT": str(free_port()),
    }
    chat = str(installed / "chat")
    migrated = subprocess.run(
        [chat, "migrate"],
        cwd=empty_folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert '"event":"schema up to date"' in migrated.stderr
    shown = subprocess.run(
        [chat, "migrate", "--help"],
        cwd=empty_folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert all(action in shown.stdout for action in ("upgrade", "current", "history", "downgrade"))

    server = subprocess.Popen(
        [chat, "serve"], cwd=empty_folder, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        url = f"http://127.0.0.1:{env['CHAT_PORT']}/ready"
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status != 200:
            time.sleep(0.2)
            try:
                status = httpx.get(url, timeout=1).status_code
            except httpx.HTTPError:
                assert server.poll() is None, server.communicate()[1]
        assert status == 200
        page = httpx.get(url.replace("/ready", "/"), timeout=5)
        assert page.status_code == 200 and 'data-testid="auth-username"' in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        script = httpx.get(url.replace("/ready", "/static/app.js"), timeout=5)
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    finally:
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=30)
    assert server.returncode == 0, errors
    assert "Traceback" not in errors
    assert list(empty_folder.iterdir()) == []  # nothing needed beside it, nothing left
