"""Every module sits inside the layer contract: at the top of `app/` only the package itself,
the ASGI factory and the CLI; every package below is a layer import-linter checks."""

from __future__ import annotations

import tomllib
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
PYPROJECT = APP.parent / "pyproject.toml"


def test_only_the_entry_points_sit_at_the_top() -> None:
    assert sorted(p.name for p in APP.glob("*.py")) == ["__init__.py", "asgi.py", "cli.py"]


def test_every_package_is_a_layer() -> None:
    config = tomllib.loads(PYPROJECT.read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    [layers] = [c["layers"] for c in contracts if c["type"] == "layers"]
    packages = {f"app.{p.name}" for p in APP.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(layers)
