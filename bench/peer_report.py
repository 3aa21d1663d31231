"""Scenario 7 in the report: the service beside the Socket.IO peer, step by step, as ratios.

CPU per message is the first figure: CPU-seconds of each process group over the measured
window, per message delivered in it. The service's own is server + PostgreSQL + Redis, the
peer's server + PostgreSQL (it uses no Redis)."""

from __future__ import annotations

from typing import Any

P99_BUDGET_MS = 25.0


def own_cpu_ms(row: dict[str, Any], *, with_redis: bool) -> float | None:
    cpu = row.get("cpu_ms_per_message") or {}
    if "server" not in cpu:
        return None
    groups = ("server", "postgresql", "redis") if with_redis else ("server", "postgresql")
    return float(sum(cpu.get(group, 0.0) for group in groups))


def _ratio(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}x" if ours is not None and theirs else "-"


def _best(rows: list[dict[str, Any]]) -> float:
    passing = [r["offered_rate"] for r in rows if r.get("passed")]
    return max(passing) if passing else 0.0


def peer_section(results: dict[str, Any]) -> list[str]:
    peer = results.get("peer")
    if not peer:
        return []
    title = "## 7. Beside the Socket.IO + PostgreSQL peer (bench/peers/socketio/), 400 connections"
    if "skipped" in peer:
        return [title, "", f"Skipped: {peer['skipped']}.", ""]
    theirs = {r["offered_rate"]: r for r in peer["rate"]}
    lines = [
        title,
        "",
        (
            "| workers | offered msg/s | p50 ms (peer) | p50 ratio | p99 ms (peer) | p99 ratio "
            "| CPU ms/msg (peer) | CPU ratio | lost (peer) |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results.get("rate", []):
        other = theirs.get(row["offered_rate"])
        if other is None:
            continue
        ours_cpu = own_cpu_ms(row, with_redis=True)
        their_cpu = own_cpu_ms(other, with_redis=False)
        p50, p99 = row["latency_ms"]["p50"], row["latency_ms"]["p99"]
        their_p50, their_p99 = other["latency_ms"]["p50"], other["latency_ms"]["p99"]
        lines.append(
            f"| {row['workers']} | {row['offered_rate']:.0f} | {p50:.2f} ({their_p50:.2f}) | "
            f"{_ratio(p50, their_p50)} | {p99:.2f} ({their_p99:.2f}) | {_ratio(p99, their_p99)} | "
            f"{_cpu(ours_cpu)} ({_cpu(their_cpu)}) | {_ratio(ours_cpu, their_cpu)} | "
            f"{row['lost']} ({other['lost']}) |"
        )
    ours_best = {
        w: _best([r for r in results.get("rate", []) if r["workers"] == w]) for w in (1, 2)
    }
    peer_best = _best(peer["rate"])
    idle = peer.get("idle", {})
    lines += [
        "",
        (
            f"Highest rate with p99 <= {P99_BUDGET_MS:.0f} ms: the peer **{peer_best:.0f} msg/s**; "
            f"the service {ours_best[1]:.0f} (1 worker, {_ratio(ours_best[1], peer_best)}) and "
            f"{ours_best[2]:.0f} (2 workers, {_ratio(ours_best[2], peer_best)})."
        ),
        (
            f"Idle: the peer holds {idle.get('connections', '-')} connections at "
            f"{idle.get('kib_per_connection', '-')} KiB each (the service: section 3)."
        ),
        "",
    ]
    return lines


def _cpu(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "-"
