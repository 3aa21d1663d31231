"""The image and compose files, checked as files: no Docker daemon runs where the tests do.
(The image's install steps themselves run in tests/e2e/test_package.py.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_the_image_builds_a_wheel_and_installs_it_plainly_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?", dockerfile, re.MULTILINE)
    assert len(stages) == 2
    assert "pip wheel" in dockerfile
    assert re.search(r"pip install [^\n]*\.whl", dockerfile)
    assert " -e " not in dockerfile and "--editable" not in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert re.search(r"^HEALTHCHECK .*\n?.*/ready", dockerfile, re.MULTILINE)
    assert re.search(r"^STOPSIGNAL SIGTERM$", dockerfile, re.MULTILINE)
    assert re.search(r'^CMD \["chat", "serve"\]$', dockerfile, re.MULTILINE)


def test_compose_runs_the_stores_two_nodes_and_a_balancer() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "chat1", "chat2", "balancer"} <= set(services)
    for store in ("postgres", "redis"):
        assert services[store]["healthcheck"]["test"]
    for node in ("chat1", "chat2"):
        service = services[node]
        env = service["environment"]
        assert env["CHAT_WORKERS"] == "2"
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert "CHAT_JWT_SECRET" in env
        assert service["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }
        assert "ports" not in service  # reached through the balancer only
    balancer = services["balancer"]
    assert balancer["ports"] == ["8000:8000"]
    assert {node: cond["condition"] for node, cond in balancer["depends_on"].items()} == {
        "chat1": "service_healthy",
        "chat2": "service_healthy",
    }


def test_the_balancer_spreads_connections_and_upgrades_websockets() -> None:
    [mount] = compose()["services"]["balancer"]["volumes"]
    conf = (ROOT / mount.split(":")[0]).read_text()
    upstream = re.search(r"upstream (\w+) \{(.*?)\}", conf, re.DOTALL)
    assert upstream is not None
    assert re.findall(r"server (\S+);", upstream.group(2)) == ["chat1:8000", "chat2:8000"]
    assert f"proxy_pass http://{upstream.group(1)};" in conf
    assert "proxy_http_version 1.1;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf
    assert re.search(r"listen 8000;", conf)


def test_prometheus_scrapes_each_node() -> None:
    [mount] = compose()["services"]["prometheus"]["volumes"]
    config = yaml.safe_load((ROOT / mount.split(":")[0]).read_text())
    [job] = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == ["chat1:8000", "chat2:8000"]
