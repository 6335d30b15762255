"""9Router's method matrix and what a 405 says about it.

The tutorial's pitfall: a dashboard toggle that sends PATCH where 9Router wants PUT gets an empty 405
and nothing else. Here a wrong method answers 405 with an Allow header and a message naming the right
method; for the well-known mix-ups the message says why (PUT merges, settings take PATCH).
"""

from __future__ import annotations

_PUT_MERGES = "use PUT (the body is merged, so send only the fields to change)"
_PATCH_MERGES = "use PATCH (the body is merged, so send only the settings to change)"

# Every admin resource and the methods it answers, in 9Router's shape (DESIGN.md §5).
MATRIX: dict[str, tuple[str, ...]] = {
    "/api/auth/login": ("POST",),
    "/api/auth/logout": ("POST",),
    "/api/providers": ("GET", "POST"),
    "/api/providers/:id": ("GET", "PUT", "DELETE"),
    "/api/provider-nodes": ("GET", "POST"),
    "/api/provider-nodes/:id": ("PUT", "DELETE"),
    "/api/keys": ("GET", "POST"),
    "/api/keys/:id": ("GET", "PUT", "DELETE"),
    "/api/proxy-pools": ("GET", "POST"),
    "/api/proxy-pools/:id": ("GET", "PUT", "DELETE"),
    "/api/proxy-pools/:id/test": ("POST",),
    "/api/combos": ("GET", "POST"),
    "/api/combos/:id": ("GET", "PUT", "DELETE"),
    "/api/settings": ("GET", "PATCH"),
    "/api/usage/stats": ("GET",),
}

_HINTS: dict[tuple[str, str], str] = {
    ("/api/providers/:id", "PATCH"): _PUT_MERGES,
    ("/api/keys/:id", "PATCH"): _PUT_MERGES,
    ("/api/proxy-pools/:id", "PATCH"): _PUT_MERGES,
    ("/api/combos/:id", "PATCH"): _PUT_MERGES,
    ("/api/provider-nodes/:id", "PATCH"): _PUT_MERGES,
    ("/api/settings", "POST"): _PATCH_MERGES,
    ("/api/settings", "PUT"): _PATCH_MERGES,
}


def method_hint(pattern: str, method: str) -> str | None:
    """What to say after "<METHOD> is not allowed on <pattern>; ", or None for the default."""
    hint = _HINTS.get((pattern, method))
    if hint is not None:
        return hint
    if method in ("PUT", "PATCH", "DELETE") and f"{pattern}/:id" in MATRIX:
        return f"use POST to create, and {method if method != 'PATCH' else 'PUT'} {pattern}/:id"
    return None
