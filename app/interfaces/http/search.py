"""Full-text search over the caller's messages."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from app.domain.models import Message, Page
from app.domain.rules import NO_NUL_PATTERN, OFFSET_MAX, PAGE_LIMIT_MAX, SEARCH_QUERY_MAX
from app.interfaces.http.dependencies import SECURITY, error_responses
from app.services.container import Services
from app.services.tokens import Identity


class SearchController(Controller):
    path = "/messages"
    tags = ["messages"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = SECURITY

    @get("/search", responses=error_responses("VALIDATION_ERROR", "UNAUTHORIZED"))
    async def search(
        self,
        identity: Identity,
        services: Services,
        q: Annotated[
            str, Parameter(min_length=1, max_length=SEARCH_QUERY_MAX, pattern=NO_NUL_PATTERN)
        ],
        limit: Annotated[int, Parameter(ge=1, le=PAGE_LIMIT_MAX)] = 20,
        offset: Annotated[int, Parameter(ge=0, le=OFFSET_MAX)] = 0,
    ) -> Page[Message]:
        """Messages of the caller's conversations matching `q` (English stemming), best match
        first. Ranks the caller's 1,000 most recent matching messages; `total` counts those."""
        return await services.search.search(identity.user_id, q, limit=limit, offset=offset)
