"""The dashboard at /dashboard: one page of plain HTML, CSS and JavaScript over the admin API.

GET /dashboard is the page. It needs no session: its script asks GET /api/settings and shows the
login form when that answers 401. GET / redirects to it, /dashboard/ too (308). The files of static/
are served under /dashboard/static/NAME, read once when the routes are registered.

The page is rendered once from page.html, filling in the registry's providers and models (public
data, escaped here); it never holds a secret. Every response carries a strict Content-Security-Policy
(scripts and styles from this origin only, no inline script, no framing) and nosniff, no-referrer
and X-Frame-Options headers. Nothing here is under /api, so the admin guard does not apply; every
call the page makes goes through it.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from aiohttp import web

from ninerouter.registry import PROVIDERS

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
CONTENT_TYPES: Mapping[str, str] = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
PAGE_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def _asset(body: bytes, content_type: str) -> Asset:
    return Asset(body, content_type, f'"{hashlib.sha256(body).hexdigest()[:20]}"')


def _esc(value: str) -> str:
    return html.escape(value, quote=True)


def provider_options() -> str:
    """<option>s for the registry providers that take an API key (not OAuth-only ones)."""
    out: list[str] = []
    for spec in PROVIDERS.values():
        if spec.auth == "oauth":
            continue
        prefix = spec.prefixes[0] if spec.prefixes else spec.id
        out.append(
            f'<option value="{_esc(spec.id)}" data-prefix="{_esc(prefix)}" '
            f'data-regions="{_esc(",".join(spec.regions))}" data-hint="{_esc(spec.key_hint)}">'
            f"{_esc(spec.name)}</option>"
        )
    return "\n".join(out)


def model_options() -> str:
    """<option>s naming every registry model as a client writes it (prefix/model)."""
    out: list[str] = []
    for spec in PROVIDERS.values():
        prefix = spec.prefixes[0] if spec.prefixes else spec.id
        out.extend(f'<option value="{_esc(f"{prefix}/{m}")}"></option>' for m in spec.models)
    return "\n".join(out)


def render_page(template: str) -> str:
    return template.replace("{{provider_options}}", provider_options()).replace(
        "{{model_options}}", model_options()
    )


def load_assets() -> tuple[Asset, dict[str, Asset]]:
    """The rendered page and the static files by name (only known file types are served)."""
    package = resources.files(__name__)
    page = render_page(package.joinpath("page.html").read_text(encoding="utf-8"))
    static: dict[str, Asset] = {}
    for entry in package.joinpath("static").iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
        if entry.is_file() and suffix in CONTENT_TYPES and not entry.name.startswith("."):
            static[entry.name] = _asset(entry.read_bytes(), CONTENT_TYPES[suffix])
    return _asset(page.encode(), PAGE_TYPE), static


def _respond(request: web.Request, asset: Asset) -> web.Response:
    headers = {**SECURITY_HEADERS, "ETag": asset.etag}
    if asset.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    response = web.Response(body=asset.body, headers=headers)
    response.headers["Content-Type"] = asset.content_type
    return response


def _not_found(name: str) -> web.Response:
    return web.Response(
        status=404,
        text=f"no dashboard file '{name}'.\n",
        content_type="text/plain",
        headers=SECURITY_HEADERS,
    )


def register_routes(app: web.Application) -> None:
    """Adds GET /, /dashboard, /dashboard/ and /dashboard/static/{name} to the app."""
    page, static = load_assets()

    async def dashboard(request: web.Request) -> web.Response:
        return _respond(request, page)

    async def static_file(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        asset = static.get(name)
        return _not_found(name) if asset is None else _respond(request, asset)

    async def to_dashboard(request: web.Request) -> web.Response:
        raise web.HTTPFound("/dashboard", headers=SECURITY_HEADERS)

    async def without_slash(request: web.Request) -> web.Response:
        raise web.HTTPPermanentRedirect("/dashboard", headers=SECURITY_HEADERS)

    app.router.add_get("/", to_dashboard)
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/dashboard/", without_slash)
    app.router.add_get("/dashboard/static/{name}", static_file)
