"""The admin API under /api (9Router's method matrix, session auth).

Modules: guard (the /api middleware: deny by default, Host/Origin checks, JSON errors, 405s),
auth (login, logout), providers, nodes, keys, combos, pools, settings, usage; matrix (the method
table and 405 hints), common (shared helpers), ops (store operations on their way to services/).
Every write goes through a service function on the database thread, then reloads the config.
"""

from __future__ import annotations

from aiohttp import web

from ninerouter.proxy.admin import auth, combos, keys, nodes, pools, providers, settings, usage
from ninerouter.proxy.admin.common import ADMIN, AdminState
from ninerouter.proxy.admin.guard import admin_guard
from ninerouter.proxy.runtime import RUNTIME
from ninerouter.services.auth import initial_password
from ninerouter.services.sessions import LoginLimiter, Sessions


def register_routes(app: web.Application) -> None:
    """Adds the /api routes (besides /api/health) and the /api guard middleware to the app."""
    clock = app[RUNTIME].clock
    app[ADMIN] = AdminState(
        sessions=Sessions(clock),
        limiter=LoginLimiter(clock),
        initial_password=initial_password(),
    )
    for module in (auth, providers, nodes, keys, combos, pools, settings, usage):
        app.router.add_routes(module.routes())
    app.middlewares.append(admin_guard)
