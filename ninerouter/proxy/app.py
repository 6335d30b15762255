"""create_app(): the only way to get a server, for `serve` and for tests alike."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from ninerouter.aio import spawn
from ninerouter.home import Home
from ninerouter.proxy.admin import register_routes as register_admin_routes
from ninerouter.proxy.body import MAX_REQUEST_BYTES
from ninerouter.proxy.chat import chat_completions
from ninerouter.proxy.dashboard import register_routes as register_dashboard_routes
from ninerouter.proxy.live_config import LiveConfig
from ninerouter.proxy.messages import count_tokens, messages
from ninerouter.proxy.middleware import error_middleware
from ninerouter.proxy.models_list import list_models
from ninerouter.proxy.persist import run_persister
from ninerouter.proxy.responses import responses
from ninerouter.proxy.runtime import RUNTIME, Runtime
from ninerouter.services.keys import ensure_initial_key


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def create_app(
    home: Home, *, log_requests: bool = False, clock: Callable[[], float] = time.time
) -> web.Application:
    """The server for one home. Opening the store and the upstream session happens at startup."""
    home.ensure()
    key, _ = ensure_initial_key(home)
    runtime = Runtime(
        home=home,
        config=LiveConfig(home, extra_keys=(key,)),
        clock=clock,
        log_requests=log_requests,
    )
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_REQUEST_BYTES)
    app[RUNTIME] = runtime

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        runtime.config.listeners.append(runtime.adopt)
        await runtime.config.start()
        await runtime.egress.open()
        runtime.started_at = time.time()
        persister = spawn(run_persister(runtime), name="persist")
        try:
            yield
        finally:
            persister.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await persister
            await runtime.egress.close()
            await runtime.config.close()

    app.cleanup_ctx.append(lifecycle)
    # /api/v1/* as in 9Router; /v1/v1/* for clients whose base URL already ends in /v1.
    for prefix in ("", "/api", "/v1"):
        app.router.add_post(f"{prefix}/v1/chat/completions", chat_completions)
        app.router.add_get(f"{prefix}/v1/models", list_models)
        app.router.add_post(f"{prefix}/v1/messages", messages)
        app.router.add_post(f"{prefix}/v1/messages/count_tokens", count_tokens)
        app.router.add_post(f"{prefix}/v1/responses", responses)
    # ANTHROPIC_BASE_URL may carry a path prefix: http://host/prefix → POST /prefix/v1/messages.
    app.router.add_post("/{base:.+}/v1/messages", messages)
    app.router.add_post("/{base:.+}/v1/messages/count_tokens", count_tokens)
    app.router.add_get("/api/health", health)
    register_admin_routes(app)
    register_dashboard_routes(app)
    return app
