"""Where the hand-written SQL is: `sql/` (named queries) and `migrations/` (the schema).

The top-level folders of the checkout are the source of truth. A wheel carries them inside
the package (`app/sql`, `app/migrations`: hatch's force-include, pyproject.toml), where
importlib.resources finds them; in a checkout (an editable install) they sit beside `app/`.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path


def packaged_folder(name: str) -> Path:
    """The folder `name` ("sql" or "migrations"), installed or checked out."""
    inside = files("app").joinpath(name)
    if inside.is_dir():
        with as_file(inside) as path:  # a real folder: the wheel is unpacked on disk
            return Path(path)
    beside = Path(__file__).resolve().parents[2] / name
    if beside.is_dir():
        return beside
    raise FileNotFoundError(f"the package has no {name}/ folder: it was built without it")


SQL_DIR = packaged_folder("sql")
MIGRATIONS_DIR = packaged_folder("migrations")
