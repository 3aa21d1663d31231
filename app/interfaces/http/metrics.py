"""`GET /metrics`: Prometheus text format, covering every worker of this node (contract
section 7). Open, or with CHAT_METRICS_TOKEN set, for `Authorization: Bearer <that token>`."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Response, get
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from prometheus_client import CONTENT_TYPE_LATEST

from app.interfaces.credentials import bearer_token

# HTTP requests by route (its template, so ids do not multiply the series) and status.
HTTP_METRICS = PrometheusConfig(
    app_name="chat",
    prefix="chat_http",
    group_path=True,
    exclude_unhandled_paths=True,
    scopes={ScopeType.HTTP},  # /chat sockets are counted by chat_connections
)


def metrics_token_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    token: str | None = connection.app.state.chat.metrics_token
    if token is None:
        return
    given = bearer_token(connection.headers.get("authorization")) or ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise NotAuthorizedException("metrics need the CHAT_METRICS_TOKEN bearer token")


class MetricsController(PrometheusController):
    path = "/metrics"
    guards = [metrics_token_guard]  # noqa: RUF012 - Litestar reads it as a class attribute

    # Litestar's handler, declared with the media type it serves (its own says JSON)
    @get(media_type=CONTENT_TYPE_LATEST, tags=["operations"])
    async def get(self) -> Response[bytes]:
        """Prometheus text format: every worker of this node."""
        response: Response[bytes] = await PrometheusController.get.fn(self)
        return response
