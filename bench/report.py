"""The Markdown report and its PNG plots, from the JSON results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt

from bench.harness import OTHER_CPU_GROUPS
from bench.peer_report import peer_section

if TYPE_CHECKING:
    from pathlib import Path


FLOORS = {"echo": "echo floor", "durable": "durable floor"}


def _max_passing(rows: list[dict[str, Any]]) -> float:
    passing = [r["offered_rate"] for r in rows if r.get("passed")]
    return max(passing) if passing else 0.0


def _passing_throughout(rows: list[dict[str, Any]]) -> float:
    """The highest step with no failed step below it (the highest passing step alone may sit
    above a failed one)."""
    best = 0.0
    for row in sorted(rows, key=lambda r: r["offered_rate"]):
        if not row.get("passed"):
            break
        best = row["offered_rate"]
    return best


def _floor_columns(row: dict[str, Any]) -> str:
    floor = row.get("floor_ms")
    return f"{floor} | {row['ms'] / floor:.1f}x" if floor else "- | -"


def _latency_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| workers | connections | offered msg/s | delivered msg/s | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms | lost | dup | reordered | server CPU % | server RSS MB | PostgreSQL CPU % | Redis CPU % | generator CPU % | CPU ms/msg: server / PG / Redis / generator |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lat = r["latency_ms"]
        others = r.get("other_cpu_percent", {})  # not in results from before it was measured
        lines.append(
            f"| {r.get('workers', '-')} | {r['connections']} | {r['offered_rate']:.0f} | {r['throughput']:.0f} | "
            f"{lat['p50']:.2f} | {lat['p95']:.2f} | {lat['p99']:.2f} | {lat['p99.9']:.2f} | {lat['max']:.2f} | "
            f"{r['lost']} | {r['duplicated']} | {r['out_of_order']} | {r['server_cpu_percent']} | {r['server_rss_mb']} | "
            + " | ".join(str(others.get(group, "-")) for group in OTHER_CPU_GROUPS)
            + f" | {_per_message(r)} |"
        )
    return lines


def _per_message(row: dict[str, Any]) -> str:
    cpu = row.get("cpu_ms_per_message") or {}
    groups = ("server", *OTHER_CPU_GROUPS)
    return " / ".join(f"{cpu[g]:.3f}" if g in cpu else "-" for g in groups)


def _plot_latency(results: dict[str, Any], path: Path) -> None:
    figure, axis = plt.subplots(figsize=(8, 5))
    series = {
        "chat, 1 worker": [r for r in results.get("rate", []) if r["workers"] == 1],
        "chat, 2 workers": [r for r in results.get("rate", []) if r["workers"] == 2],
        "echo floor": results.get("echo", []),
        "durable floor": results.get("durable", []),
        "Socket.IO peer": results.get("peer", {}).get("rate", []),
    }
    for label, rows in series.items():
        if rows:
            rates = [r["offered_rate"] for r in rows]
            axis.plot(
                rates, [r["latency_ms"]["p50"] for r in rows], marker="o", label=f"{label} p50"
            )
            axis.plot(
                rates,
                [r["latency_ms"]["p99"] for r in rows],
                marker="x",
                linestyle="--",
                label=f"{label} p99",
            )
    axis.axhline(25, color="grey", linewidth=0.8, label="p99 budget 25 ms")
    axis.set_yscale("log")
    axis.set_xlabel("offered rate, messages/s (400 connections)")
    axis.set_ylabel("delivery latency, ms (log)")
    axis.legend(fontsize=7)
    axis.grid(visible=True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _plot_throughput(results: dict[str, Any], path: Path) -> None:
    rate = results.get("rate", [])
    labels, values = [], []
    for workers in (1, 2):
        rows = [r for r in rate if r["workers"] == workers]
        if rows:
            labels.append(f"chat, {workers} worker{'s' if workers > 1 else ''}")
            values.append(_max_passing(rows))
    for key, label in FLOORS.items():
        if results.get(key):
            labels.append(label)
            values.append(_max_passing(results[key]))
    if results.get("peer", {}).get("rate"):
        labels.append("Socket.IO peer")
        values.append(_max_passing(results["peer"]["rate"]))
    figure, axis = plt.subplots(figsize=(8, 4))
    colours = ["#4c72b0", "#55a868", "#c44e52", "#8172b2", "#dd8452"]
    axis.bar(labels, values, color=colours[: len(values)])
    axis.set_ylabel("highest rate with p99 <= 25 ms, msg/s")
    for index, value in enumerate(values):
        axis.text(index, value, f"{value:.0f}", ha="center", va="bottom")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _titled_table(title: str, rows: list[dict[str, Any]]) -> list[str]:
    return [title, "", *_latency_table(rows), ""]


def _floor_sections(results: dict[str, Any]) -> list[str]:
    titles = {
        "echo": "## 6a. Floor: bare WebSocket relay on granian, no database",
        "durable": "## 6b. Durable floor: the same relay, committing each message before forwarding it (batched as the chat batches)",
    }
    lines: list[str] = []
    for key, title in titles.items():
        if key in results:
            lines += _titled_table(title, results[key])
    for key, label in FLOORS.items():
        rows = [r for r in results.get("crowd", []) if r["scenario"] == key]
        if rows:
            lines += _titled_table(
                f"## 6c. The {label} at scenario 1's largest connection count", rows
            )
    return lines


def _latency_section(results: dict[str, Any]) -> list[str]:
    if "latency" not in results:
        return []
    return _titled_table("## 1. Delivery latency by connection count", results["latency"])


def _highest_rate_section(results: dict[str, Any]) -> list[str]:
    if "rate" not in results:
        return []
    floor_best = {key: _max_passing(results.get(key, [])) for key in FLOORS}
    lines = ["## 2. Highest durable rate with p99 <= 25 ms", ""]
    for workers in (1, 2):
        rows = [r for r in results["rate"] if r["workers"] == workers]
        if rows:
            best = _max_passing(rows)
            throughout = _passing_throughout(rows)
            ratios = [
                f"{best / floor_best[key]:.2f}x the {label}"
                for key, label in FLOORS.items()
                if floor_best[key]
            ]
            ratio = f" ({', '.join(ratios)})" if ratios else ""
            lines += [
                (
                    f"CHAT_WORKERS={workers}: **{best:.0f} msg/s**{ratio}; every step up to "
                    f"{throughout:.0f} msg/s passed"
                ),
                "",
                *_latency_table(rows),
                "",
            ]
    return lines


def _idle_section(results: dict[str, Any]) -> list[str]:
    if "idle" not in results:
        return []
    idle = results["idle"]
    return [
        "## 3. Idle connections",
        "",
        (
            f"{idle['connections']} idle authenticated connections: server RSS "
            f"{idle['rss_before_mb']} MB -> {idle['rss_after_mb']} MB, "
            f"**{idle['kib_per_connection']} KiB per connection**; the bare granian relay "
            f"(floor): {idle.get('floor_kib_per_connection', '-')} KiB per connection."
        ),
        "",
    ]


def _replay_section(results: dict[str, Any]) -> list[str]:
    if "replay" not in results:
        return []
    lines = [
        "## 4. Replay",
        "",
        "| case | size | received / complete | ms | floor ms (echo relay) | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for r in results["replay"]:
        if r["scenario"] == "replay":
            lines.append(
                f"| backlog on reconnect | {r['backlog']} missed | {r['received']} | {r['ms']} | "
                f"{_floor_columns(r)} |"
            )
        else:
            lines.append(
                f"| reconnect storm | {r['clients']} clients x {r['backlog_each']} missed | "
                f"{r['complete']} complete | {r['ms']} | {_floor_columns(r)} |"
            )
    lines.append("")
    return lines


def _history_section(results: dict[str, Any]) -> list[str]:
    if "history" not in results:
        return []
    return [
        "## 5. History and search at depth",
        "",
        "| request | messages in conversation | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|",
        *(
            f"| {r['case']} | {r['depth'] or '-'} | {r['p50']} | {r['p99']} | {r['max']} |"
            for r in results["history"]
        ),
        "",
    ]


def _database_speed(run: dict[str, Any]) -> str:
    """The machine's speed for the database around a run (`bench.db_cost.speed_check`)."""
    speed = run.get("database_speed")
    if speed is None:  # results from before the check was run
        return ""
    start, end = speed["at_start"], speed["at_end"]
    return (
        "PostgreSQL's CPU per send, lone / in batches of 32 (`bench.db_cost`, the machine's speed"
        f" for the database): {start['lone_send_postgres_cpu_ms']} / "
        f"{start['batch_32_postgres_cpu_ms']} ms before the scenarios, "
        f"{end['lone_send_postgres_cpu_ms']} / {end['batch_32_postgres_cpu_ms']} ms after."
    )


def write_report(results: dict[str, Any], directory: Path, stem: str) -> None:
    latency_png, throughput_png = f"{stem}-latency.png", f"{stem}-throughput.png"
    _plot_latency(results, directory / latency_png)
    _plot_throughput(results, directory / throughput_png)
    lines = [
        f"# Benchmark report ({results['mode']})",
        "",
        f"Command: `{results['command']}`, started {results['started']}, took {results['seconds']} s.",
        *(
            f"Then `{rerun['command']}`, started {rerun['started']}, took {rerun['seconds']} s:"
            f" its scenarios replace the first run's. {_database_speed(rerun)}".rstrip()
            for rerun in results.get("reruns", [])
        ),
        (
            f"Machine: {results['machine']['cpus']} CPUs, {results['machine']['memory_gib']} GiB, "
            f"Python {results['machine']['python']}; server, PostgreSQL, Redis and the load "
            f"generator share it. {_database_speed(results['machine'])}"
        ).rstrip(),
        "Latency is measured from each message's intended send time (open loop), sender to recipient.",
        "",
        f"![latency vs rate]({latency_png}) ![throughput vs workers]({throughput_png})",
        "",
    ]
    for section in (
        _floor_sections,
        _latency_section,
        _highest_rate_section,
        peer_section,
        _idle_section,
        _replay_section,
        _history_section,
    ):
        lines += section(results)
    (directory / f"{stem}.md").write_text("\n".join(lines))
