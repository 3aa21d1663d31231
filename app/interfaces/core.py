"""The one plugin that wires the HTTP surface: controllers, the WebSocket, dependencies,
error mapping and the OpenAPI docs. (The body limit is a constructor argument of Litestar,
and correlation ids wrap the whole app, so that a request no route matches has one too:
see app.asgi.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.plugins import InitPluginProtocol

from app.interfaces.errors import exception_to_http_response
from app.interfaces.http.auth import AuthController
from app.interfaces.http.blocks import BlockController
from app.interfaces.http.conversations import ConversationController
from app.interfaces.http.dependencies import DEPENDENCIES, SECURITY_COMPONENTS
from app.interfaces.http.health import HealthController
from app.interfaces.http.message_changes import MessageChangeController
from app.interfaces.http.metrics import HTTP_METRICS, MetricsController
from app.interfaces.http.page import page, static_files
from app.interfaces.http.search import SearchController
from app.interfaces.http.users import UserController
from app.interfaces.protection import require_json_body
from app.interfaces.ws.chat import chat_socket

if TYPE_CHECKING:
    from litestar.config.app import AppConfig

DESCRIPTION = """One-to-one messaging. Authenticate with `Authorization: Bearer <accessToken>`
from `POST /auth/login`. Real-time delivery is the `/chat` WebSocket (see the README).
Every error body is `{code, message, statusCode, correlationId, details?}`."""


class ChatPlugin(InitPluginProtocol):
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend(
            [
                AuthController,
                UserController,
                BlockController,
                ConversationController,
                MessageChangeController,
                SearchController,
                HealthController,
                MetricsController,
                chat_socket,
                page,
                static_files,
            ]
        )
        app_config.middleware.append(HTTP_METRICS.middleware)
        app_config.dependencies.update(DEPENDENCIES)
        app_config.exception_handlers[Exception] = exception_to_http_response
        app_config.before_request = require_json_body
        app_config.logging_config = None  # app.lib.logs configures JSON lines for everything
        app_config.openapi_config = OpenAPIConfig(
            title="Chat API",
            version="0.1.0",
            description=DESCRIPTION,
            path="/api/docs",
            render_plugins=[SwaggerRenderPlugin(path="/"), JsonRenderPlugin(path="/openapi.json")],
            components=SECURITY_COMPONENTS,
        )
        return app_config
