"""What every HTTP response and request is held to, whatever the route (contract section 2):
- `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` on every response,
  `Cache-Control: no-store` on `/auth/*` (it carries tokens), and a strict
  Content-Security-Policy on the web page (nothing from another origin);
- a route that takes a JSON body refuses any other content type with 415, so a cross-site
  form (which cannot send JSON) cannot post to it without a preflight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType

from app.domain.errors import ChatError

if TYPE_CHECKING:
    from litestar import Request
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
NO_STORE = (b"cache-control", b"no-store")
PAGE_POLICY = (
    b"content-security-policy",
    (
        b"default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
        b"script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        b"form-action 'none'"
    ),
)
PAGE_PATHS = ("/", "/static/")  # the web page (contract section 8)


class UnsupportedMediaType(ChatError):
    code = "UNSUPPORTED_MEDIA_TYPE"


def headers_for(path: str) -> list[tuple[bytes, bytes]]:
    headers = list(ALWAYS)
    if path.startswith("/auth/"):
        headers.append(NO_STORE)
    if path == PAGE_PATHS[0] or path.startswith(PAGE_PATHS[1]):
        headers.append(PAGE_POLICY)
    return headers


def protective_headers(app: ASGIApp) -> ASGIApp:
    """The app, with each HTTP response carrying the headers above."""

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        extra = headers_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await app(scope, receive, send_with_headers)

    return asgi


def require_json_body(request: Request[Any, Any, Any]) -> None:
    """Litestar's before-request hook: a JSON route's body must say it is JSON."""
    if request.route_handler.parsed_data_field is None:
        return
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType("this route takes a JSON body (Content-Type: application/json)")
