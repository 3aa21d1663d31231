"""The machine's speed for the database, read before and after a bench run and given in its
report: this machine's speed changes by the hour, so a report without it cannot be compared."""

from __future__ import annotations

import json
from pathlib import Path

from bench.db_cost import speed_check
from bench.report import write_report

QUICK_RESULTS = Path(__file__).parents[2] / "bench" / "results" / "quick.json"


def test_the_speed_check_reads_the_database_cost_of_lone_and_batched_sends(
    database_url: str,  # the same services the tests need; the check makes its own database
) -> None:
    speed = speed_check()
    assert speed["lone_send_postgres_cpu_ms"] > 0
    assert speed["batch_32_postgres_cpu_ms"] > 0


def test_a_report_gives_the_speed_before_and_after_its_scenarios(tmp_path: Path) -> None:
    results = json.loads(QUICK_RESULTS.read_text())
    results["machine"]["database_speed"] = {
        "at_start": {"lone_send_postgres_cpu_ms": 0.31, "batch_32_postgres_cpu_ms": 0.09},
        "at_end": {"lone_send_postgres_cpu_ms": 0.79, "batch_32_postgres_cpu_ms": 0.25},
    }
    write_report(results, tmp_path, "run")
    machine_line = next(
        line for line in (tmp_path / "run.md").read_text().splitlines() if "Machine:" in line
    )
    assert "0.31 / 0.09 ms before the scenarios, 0.79 / 0.25 ms after." in machine_line


def test_a_report_of_results_from_before_the_check_says_nothing_of_it(tmp_path: Path) -> None:
    results = json.loads(QUICK_RESULTS.read_text())
    results["machine"].pop("database_speed", None)
    write_report(results, tmp_path, "run")
    report = (tmp_path / "run.md").read_text()
    assert "share it.\n" in report
    assert "PostgreSQL's CPU per send" not in report
