"""Liveness and readiness."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from app.interfaces.http.schemas import Status


class HealthController(Controller):
    tags = ["health"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/health")
    async def health(self) -> Status:
        """200 while the process is up."""
        return Status("ok")

    @get("/ready", responses={503: ResponseSpec(Status, description="not ready")})
    async def ready(self, state: State) -> Response[Status]:
        """200 when PostgreSQL (and Redis, when configured) answer; 503 otherwise."""
        checks = await state.chat.readiness()
        ok = all(value == "ok" for value in checks.values() if value is not None)
        return Response(
            Status("ok" if ok else "unavailable", **checks), status_code=200 if ok else 503
        )
