"""What handlers are given: the services, and the caller's verified identity."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme

from app.interfaces.credentials import bearer_token
from app.interfaces.errors import STATUS_OF_CODE, ErrorBody
from app.services.container import Services
from app.services.tokens import Identity

BEARER = "BearerToken"
SECURITY: list[dict[str, list[str]]] = [{BEARER: []}]
SECURITY_COMPONENTS = Components(
    security_schemes={
        BEARER: SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
    }
)


def provide_services(state: State) -> Services:
    services: Services = state.chat.services
    return services


async def provide_identity(request: Request[Any, Any, Any]) -> Identity:
    services: Services = request.app.state.chat.services
    return await services.sessions.authenticate(bearer_token(request.headers.get("authorization")))


DEPENDENCIES = {
    "services": Provide(provide_services, sync_to_thread=False),
    "identity": Provide(provide_identity),
}


def error_responses(*codes: str) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the errors a route can answer with (codes that share a status
    share its description)."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(STATUS_OF_CODE[code], []).append(code)
    return {
        status: ResponseSpec(ErrorBody, description=" or ".join(names), generate_examples=False)
        for status, names in by_status.items()
    }
