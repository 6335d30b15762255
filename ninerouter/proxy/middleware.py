"""One middleware: every error leaves in the caller's format, never as a traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from ninerouter.proxy.body import MAX_REQUEST_BYTES
from ninerouter.proxy.errors import ApiError, render

log = logging.getLogger("ninerouter.server")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return render(request, exc)
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        return render(
            request,
            ApiError(
                405,
                f"{request.method} is not allowed on {request.path}; use {allowed}.",
                headers={"Allow": allowed},
            ),
        )
    except web.HTTPNotFound:
        return render(
            request, ApiError(404, f"no route {request.method} {request.path}.", code="not_found")
        )
    except web.HTTPRequestEntityTooLarge:
        limit = MAX_REQUEST_BYTES // (1024 * 1024)
        return render(request, ApiError(413, f"request body too large (limit {limit} MiB)."))
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render(request, ApiError(500, "internal error in ninerouter; see the server log."))
