"""Loads the named queries of `sql/*.sql` once; each query stands under a `-- name: x` header."""

from __future__ import annotations

import re
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
_HEADER = re.compile(r"^-- name: ([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


def parse_queries(text: str) -> dict[str, bytes]:
    """Splits one file into its named queries (bytes: what psycopg sends and prepares)."""
    parts = _HEADER.split(text)
    queries: dict[str, bytes] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise ValueError(f"query {name!r} is named twice")
        queries[name] = body.strip().rstrip(";").encode()
    return queries


def load_queries(directory: Path = SQL_DIR) -> dict[str, bytes]:
    queries: dict[str, bytes] = {}
    for path in sorted(directory.glob("*.sql")):
        for name, body in parse_queries(path.read_text()).items():
            if name in queries:
                raise ValueError(f"query {name!r} is named twice ({path.name})")
            queries[name] = body
    return queries


SQL = load_queries()
