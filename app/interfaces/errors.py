"""The one mapping from errors to responses:
`{code, message, statusCode, correlationId, details?}`."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from app.domain.errors import ChatError, RateLimited
from app.interfaces.correlation import client_left, current_correlation_id

log = logging.getLogger("chat.errors")

STATUS_OF_CODE = {
    "VALIDATION_ERROR": 400,
    "BAD_FRAME": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "BLOCKED": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "CONFLICT": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "RATE_LIMITED": 429,
    "INTERNAL_ERROR": 500,
    "SERVICE_UNAVAILABLE": 503,
}
CODE_OF_STATUS = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}


class ErrorBody(msgspec.Struct, rename="camel", omit_defaults=True):
    code: str
    message: str
    status_code: int
    correlation_id: str
    details: object = None
    retry_after: int | None = None


def error_response(
    code: str,
    message: str,
    details: object = None,
    retry_after: int | None = None,
    headers: dict[str, str] | None = None,
) -> Response[ErrorBody]:
    status = STATUS_OF_CODE.get(code, 500)
    headers = dict(headers or {})
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    body = ErrorBody(code, message, status, current_correlation_id.get(), details, retry_after)
    return Response(body, status_code=status, headers=headers or None)


def exception_to_http_response(_: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    known = _expected(exc)
    if known is not None:
        return known
    if client_left.get():  # reading its body failed because it was gone: not our error
        log.info(
            "client left before its request was read",
            extra={"correlation_id": current_correlation_id.get()},
        )
        return error_response("VALIDATION_ERROR", "the request ended before its body")
    log.error(
        "unhandled error", exc_info=exc, extra={"correlation_id": current_correlation_id.get()}
    )
    return error_response("INTERNAL_ERROR", "internal error; quote the correlation id")


def _expected(exc: Exception) -> Response[ErrorBody] | None:
    """The response to a failure of the request, not of the service; None for the rest."""
    if isinstance(exc, RateLimited):
        return error_response(exc.code, exc.message, retry_after=exc.retry_after)
    if isinstance(exc, ChatError):
        return error_response(exc.code, exc.message, exc.details)
    if isinstance(exc, ValidationException):
        return error_response("VALIDATION_ERROR", _validation_message(exc), exc.extra or None)
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        code = CODE_OF_STATUS.get(exc.status_code, "VALIDATION_ERROR")
        return error_response(code, exc.detail, headers=exc.headers)  # a 405's Allow, say
    if isinstance(exc, RecursionError):  # the JSON decoder's answer to a body nested too deep
        return error_response("VALIDATION_ERROR", "the JSON body is nested too deeply")
    return None


def _validation_message(exc: ValidationException) -> str:
    if isinstance(exc.extra, list) and exc.extra:
        first = exc.extra[0]
        if isinstance(first, dict) and first.get("message"):
            key = first.get("key")
            return f"{key}: {first['message']}" if key else str(first["message"])
    return exc.detail or "invalid request"
