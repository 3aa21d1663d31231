"""`python -m bench [--quick]`: runs the six scenarios and writes bench/results/."""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from bench import reads, scenarios
from bench.db_cost import speed_check
from bench.harness import drop_database, fresh_database, settle
from bench.report import write_report

if TYPE_CHECKING:
    from collections.abc import Callable

RESULTS = Path(__file__).with_name("results")


SCENARIOS = ["latency", "rate", "idle", "replay", "history", "echo", "durable", "crowd", "peer"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes; under two minutes")
    parser.add_argument(
        "--only",
        nargs="*",
        help="run only these scenarios",
        default=None,
        choices=SCENARIOS,
    )
    args = parser.parse_args(argv)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sizes = scenarios.Sizes.quick() if args.quick else scenarios.Sizes.full()
    wanted = set(args.only or SCENARIOS)
    started = time.time()
    results: dict[str, Any] = {
        "command": "python -m bench" + (" --quick" if args.quick else ""),
        "mode": "quick" if args.quick else "full",
        "machine": {
            "cpus": psutil.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
    }
    speed = {"at_start": speed_check()}
    name, url = fresh_database()
    try:
        steps: list[tuple[str, Callable[[], object]]] = [
            ("echo", lambda: scenarios.highest_rate(url, sizes, 1, floor="echo")),
            ("durable", lambda: scenarios.highest_rate(url, sizes, 1, floor="durable")),
            ("latency", lambda: scenarios.delivery_latency(url, sizes)),
            ("crowd", lambda: scenarios.crowded_floors(url, sizes)),
            (
                "rate",
                lambda: (
                    scenarios.highest_rate(url, sizes, 1) + scenarios.highest_rate(url, sizes, 2)
                ),
            ),
            ("peer", lambda: scenarios.peer(url, sizes)),
            ("idle", lambda: scenarios.idle_connections(url, sizes)),
            ("replay", lambda: reads.replay(url, sizes)),
            ("history", lambda: reads.history(url, sizes)),
        ]
        for key, run in steps:
            if key in wanted:
                settle(url)  # each scenario starts clean of the one before (autovacuum's work)
                began = time.monotonic()
                results[key] = run()
                print(f"bench: {key} {time.monotonic() - began:.1f} s", file=sys.stderr, flush=True)
    finally:
        drop_database(name)
    speed["at_end"] = speed_check()
    results["machine"]["database_speed"] = speed
    seconds = round(time.time() - started, 1)
    results["seconds"] = seconds
    RESULTS.mkdir(exist_ok=True)
    stem = "quick" if args.quick else "full"
    previous = RESULTS / f"{stem}.json"
    if args.only and previous.exists():  # a partial run updates the scenarios it ran
        earlier = json.loads(previous.read_text())
        rerun = {
            "command": f"{results['command']} --only {' '.join(args.only)}",
            "started": results["started"],
            "seconds": seconds,
            "database_speed": speed,
        }
        scenarios_run = {key: results[key] for key in wanted if key in results}
        results = {**earlier, **scenarios_run, "reruns": [*earlier.get("reruns", []), rerun]}
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2))
    write_report(results, RESULTS, stem)
    print(f"bench: wrote {RESULTS / (stem + '.md')} in {seconds} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
