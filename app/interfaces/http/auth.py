"""Registration and login."""

from __future__ import annotations

from litestar import Controller, post

from app.domain.models import User
from app.interfaces.http.dependencies import error_responses
from app.interfaces.http.schemas import LoginBody, RegisterBody
from app.services.container import Services
from app.services.tokens import AccessToken


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post("/register", status_code=201, responses=error_responses("VALIDATION_ERROR", "CONFLICT"))
    async def register(self, data: RegisterBody, services: Services) -> User:
        """Creates an account. Usernames are unique case-insensitively."""
        return await services.accounts.register(data.username, data.password)

    @post(
        "/login",
        status_code=200,
        responses=error_responses("VALIDATION_ERROR", "UNAUTHORIZED"),
    )
    async def login(self, data: LoginBody, services: Services) -> AccessToken:
        """Exchanges a username and password for a bearer access token."""
        return await services.accounts.login(data.username, data.password)
