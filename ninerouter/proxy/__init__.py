"""The aiohttp server: app factory, /v1 handlers, middleware."""
