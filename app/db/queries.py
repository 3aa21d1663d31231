"""Loads the named queries of `sql/*.sql` once; each query stands under a `-- name: x` header.

A query is sent as written less its comments and indentation: psycopg caches how it parses
a query only for queries under 4 KiB, and the send statements are longer with their comments.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from app.db.files import SQL_DIR

if TYPE_CHECKING:
    from pathlib import Path

_HEADER = re.compile(r"^-- name: ([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


def parse_queries(text: str) -> dict[str, bytes]:
    """Splits one file into its named queries (bytes: what psycopg sends and prepares)."""
    parts = _HEADER.split(text)
    queries: dict[str, bytes] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise ValueError(f"query {name!r} is named twice")
        queries[name] = compact(body).rstrip(";").encode()
    return queries


def compact(sql: str) -> str:
    """`sql` without `--` comments, blank lines or indentation (string literals kept whole;
    a literal may not span lines)."""
    lines = (line.strip() for line in _without_comments(sql).splitlines())
    return "\n".join(line for line in lines if line)


def _without_comments(sql: str) -> str:
    kept: list[str] = []
    quoted = False
    index = 0
    while index < len(sql):
        char = sql[index]
        if char == "'":
            quoted = not quoted
        elif not quoted and sql.startswith("--", index):
            end = sql.find("\n", index)
            index = len(sql) if end == -1 else end
            continue
        kept.append(char)
        index += 1
    return "".join(kept)


def load_queries(directory: Path = SQL_DIR) -> dict[str, bytes]:
    queries: dict[str, bytes] = {}
    for path in sorted(directory.glob("*.sql")):
        for name, body in parse_queries(path.read_text()).items():
            if name in queries:
                raise ValueError(f"query {name!r} is named twice ({path.name})")
            queries[name] = body
    return queries


SQL = load_queries()
