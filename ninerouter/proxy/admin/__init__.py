"""The admin API under /api (9Router's method matrix, session auth)."""

from __future__ import annotations

from aiohttp import web


def register_routes(app: web.Application) -> None:
    """Adds the /api routes (besides /api/health) to the app."""
