"""Errors in the caller's format. Handlers raise ApiError; the middleware renders it.

OpenAI:    {"error": {"message", "type", "code"}}
Anthropic: {"type": "error", "error": {"type", "message"}}
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from aiohttp import web

_OPENAI = {
    400: ("invalid_request_error", "bad_request"),
    401: ("authentication_error", "invalid_api_key"),
    402: ("billing_error", "payment_required"),
    403: ("permission_error", "insufficient_quota"),
    404: ("invalid_request_error", "model_not_found"),
    405: ("invalid_request_error", "method_not_allowed"),
    408: ("timeout_error", "request_timeout"),
    413: ("invalid_request_error", "request_too_large"),
    415: ("invalid_request_error", "unsupported_media_type"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("server_error", "internal_server_error"),
    501: ("server_error", "not_implemented"),
    502: ("server_error", "bad_gateway"),
    503: ("server_error", "service_unavailable"),
    504: ("server_error", "gateway_timeout"),
    508: ("server_error", "loop_detected"),
}

_ANTHROPIC = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})


def openai_body(status: int, message: str, code: str | None = None) -> bytes:
    kind, default_code = _OPENAI.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", "error")
    )
    return orjson.dumps({"error": {"message": message, "type": kind, "code": code or default_code}})


def anthropic_body(status: int, message: str) -> bytes:
    kind = _ANTHROPIC.get(status, "api_error")
    return orjson.dumps({"type": "error", "error": {"type": kind, "message": message}})


def wants_anthropic(request: web.Request) -> bool:
    return "/messages" in request.path


def render(request: web.Request, error: ApiError) -> web.Response:
    if wants_anthropic(request):
        body = anthropic_body(error.status, error.message)
    else:
        body = openai_body(error.status, error.message, error.code)
    return web.Response(
        status=error.status, body=body, content_type="application/json", headers=error.headers
    )
