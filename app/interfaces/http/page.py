"""The web page (contract section 8): `/` and its scripts and styles under `/static/`, files
that ship inside the package (app/interfaces/web/). No build step: the browser loads the
JavaScript modules as they are."""

from __future__ import annotations

from pathlib import Path

from litestar import get
from litestar.datastructures import CacheControlHeader
from litestar.response import File
from litestar.static_files import create_static_files_router

WEB = Path(__file__).resolve().parent.parent / "web"
# the page is small and changes with each release: browsers ask again each time (a 304 when
# nothing changed), so a new version is never mixed with an old module from a cache
REVALIDATE = CacheControlHeader(no_cache=True)

static_files = create_static_files_router(
    path="/static", directories=[WEB], cache_control=REVALIDATE
)


@get("/", include_in_schema=False, cache_control=REVALIDATE)
async def page() -> File:
    return File(WEB / "index.html", content_disposition_type="inline", media_type="text/html")
