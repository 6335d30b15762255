"""The dashboard's serving: the page, its static files, redirects, security headers; and checks on
the page and script themselves (no inline script, labels on every control, only text rendering,
only existing admin API paths, no secret anywhere)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib import resources

import pytest

from ninerouter.proxy.admin.guard import is_admin_path
from ninerouter.proxy.dashboard import SECURITY_HEADERS, render_page
from ninerouter.registry import ProviderSpec
from ninerouter.services.keys import read_initial_key
from tests.proxy.admin.conftest import CANARY_KEY, Admin

STATIC = resources.files("ninerouter.proxy.dashboard").joinpath("static")
SCRIPT = STATIC.joinpath("dashboard.js").read_text(encoding="utf-8")


class Page(HTMLParser):
    """Collects the tags of a page, with the text inside each <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self.labels_for: set[str] = set()
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "script":
            self.scripts.append((found, ""))
            self._in = "script"
        elif tag == "style":
            self.styles.append("")
            self._in = "style"
        elif tag == "label" and found.get("for"):
            self.labels_for.add(str(found["for"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        elif self._in == "style":
            self.styles[-1] += data


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def assert_security_headers(headers) -> None:
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Access-Control-Allow-Origin" not in headers


async def test_page_is_served_without_a_session_with_strict_headers(admin: Admin) -> None:
    status, body, resp = await admin.call("GET", "/dashboard")
    assert status == 200
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert_security_headers(resp.headers)
    assert "<title>ninerouter dashboard</title>" in body
    assert not is_admin_path("/dashboard") and not is_admin_path("/dashboard/static/x.js")


async def test_page_has_no_inline_script_or_style(admin: Admin) -> None:
    _, body, _ = await admin.call("GET", "/dashboard")
    page = parse(body)
    assert page.scripts, "the page loads its script"
    for attrs, text in page.scripts:
        assert attrs.get("src", "").startswith("/dashboard/static/"), attrs
        assert not text.strip(), "inline script"
    assert not page.styles, "inline <style>"
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
        for name in ("href", "src", "action"):
            assert not str(attrs.get(name) or "").lower().startswith("javascript:")


async def test_every_form_control_has_a_label(admin: Admin) -> None:
    _, body, _ = await admin.call("GET", "/dashboard")
    page = parse(body)
    controls = [
        attrs
        for tag, attrs in page.tags
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden"
    ]
    assert len(controls) > 20
    for attrs in controls:
        assert attrs.get("aria-label") or attrs.get("id") in page.labels_for, attrs
    buttons = [attrs for tag, attrs in page.tags if tag == "button"]
    assert all(attrs.get("type") in ("button", "submit") for attrs in buttons)


async def test_the_page_lists_the_registry_providers_and_models(admin: Admin) -> None:
    _, body, _ = await admin.call("GET", "/dashboard")
    assert '<option value="xiaomi-tokenplan" data-prefix="xmtp"' in body
    assert '<option value="xmtp/mimo-v2.5-pro"></option>' in body
    assert '<option value="openai-compatible">' in body
    assert 'value="kiro"' not in body  # OAuth only: no API-key form for it
    assert "{{" not in body


def test_registry_values_are_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    evil = '"><img src=x onerror=alert(1)>'
    spec = ProviderSpec("x", evil, "openai", "https://x.test/v1", models=(evil,), key_hint=evil)
    monkeypatch.setattr("ninerouter.proxy.dashboard.PROVIDERS", {"x": spec})
    html = render_page(
        "<select>{{provider_options}}</select><datalist>{{model_options}}</datalist>"
    )
    assert "<img" not in html and "onerror=alert(1)>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&quot;&gt;&lt;img" in html


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("dashboard.js", "text/javascript; charset=utf-8"),
        ("dashboard.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ],
)
async def test_static_files_have_their_content_type(
    admin: Admin, name: str, content_type: str
) -> None:
    status, body, resp = await admin.call("GET", f"/dashboard/static/{name}")
    assert status == 200
    assert resp.headers["Content-Type"] == content_type
    assert_security_headers(resp.headers)
    assert body == STATIC.joinpath(name).read_text(encoding="utf-8")
    etag = resp.headers["ETag"]
    status, _, resp = await admin.call(
        "GET", f"/dashboard/static/{name}", headers={"If-None-Match": etag}
    )
    assert status == 304


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/static/nope.js",
        "/dashboard/static/__init__.py",
        "/dashboard/static/..%2f__init__.py",
        "/dashboard/static/%2e%2e%2fpage.html",
        "/dashboard/static/",
        "/dashboard/page.html",
        "/dashboard/static/sub/dashboard.js",
    ],
)
async def test_nothing_else_is_served(admin: Admin, path: str) -> None:
    status, body, _ = await admin.call("GET", path)
    assert status == 404
    assert "import" not in str(body) and "{{" not in str(body)


async def test_root_and_trailing_slash_redirect(admin: Admin) -> None:
    status, _, resp = await admin.call("GET", "/", allow_redirects=False)
    assert status == 302
    assert resp.headers["Location"] == "/dashboard"
    status, _, resp = await admin.call("GET", "/dashboard/", allow_redirects=False)
    assert status == 308
    assert resp.headers["Location"] == "/dashboard"
    status, body, _ = await admin.call("GET", "/")
    assert status == 200 and "ninerouter dashboard" in body


async def test_head_works(admin: Admin) -> None:
    status, _, resp = await admin.call("HEAD", "/dashboard")
    assert status == 200
    assert_security_headers(resp.headers)


async def test_no_secret_in_what_the_dashboard_serves(logged_in: Admin, home) -> None:
    status, _, _ = await logged_in.call(
        "POST",
        "/api/providers",
        {"provider": "openrouter", "name": "main", "apiKey": CANARY_KEY},
    )
    assert status == 201
    status, _, _ = await logged_in.call(
        "PATCH", "/api/settings", {"outboundProxyUrl": "http://u:proxy-pass-42@127.0.0.1:3128"}
    )
    assert status == 200
    initial_key = read_initial_key(home)
    assert initial_key
    served = []
    for path in (
        "/dashboard",
        "/dashboard/static/dashboard.js",
        "/dashboard/static/dashboard.css",
    ):
        status, body, _ = await logged_in.call("GET", path)
        assert status == 200
        served.append(body)
    text = "\n".join(served)
    for secret in (CANARY_KEY, initial_key, "proxy-pass-42", CANARY_KEY[-12:]):
        assert secret not in text


def test_script_renders_text_only() -> None:
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in SCRIPT, sink
    assert "new Function" not in SCRIPT
    assert "setAttribute(key" in SCRIPT  # attribute names come from the code, values as data


def test_script_sends_json_on_writes_to_its_own_origin() -> None:
    assert 'init.headers["Content-Type"] = "application/json"' in SCRIPT
    assert 'mode: "same-origin"' in SCRIPT
    assert "http://" not in SCRIPT and "https://" not in SCRIPT


async def test_script_calls_only_existing_admin_routes(admin: Admin) -> None:
    called = set(re.findall(r"/api/[a-z-]+(?:/[a-z-]+)*", SCRIPT))
    assert {"/api/auth/login", "/api/providers", "/api/settings", "/api/usage/stats"} <= called
    patterns = {
        route.resource.canonical.replace("{id}", "")
        for route in admin.app.router.routes()
        if route.resource is not None and is_admin_path(route.resource.canonical)
    }
    for path in called:
        assert any(p == path or p.startswith(path.rstrip("/") + "/") for p in patterns), path


def test_security_headers_are_complete() -> None:
    assert set(SECURITY_HEADERS) >= {
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Frame-Options",
    }
