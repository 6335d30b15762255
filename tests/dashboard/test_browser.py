"""The dashboard in a real headless Chromium (Debian's, driven by Playwright), against a real server:
log in, add an OpenAI-compatible connection, toggle it, import and test proxies, create a combo,
change the combo strategy; the database is checked after each step. Skipped without Playwright or
/usr/bin/chromium (CI installs both)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ninerouter.home import Home
from ninerouter.proxy.app import create_app
from ninerouter.services.proxies import pools_of
from ninerouter.store import Store

async_api = pytest.importorskip("playwright.async_api")

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KEY = "sk-browser-secret-0123456789abcdef"
PROXY_PASSWORD = "proxy-pw-77zz"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)


def console_error(msg: Any) -> bool:
    """Errors in the console other than the expected failed fetches (401 before login, 400 for the
    bad proxy line): a script error or a Content-Security-Policy refusal, say."""
    return bool(msg.type == "error" and not msg.text.startswith("Failed to load resource"))


async def test_dashboard_in_a_real_browser(
    home: Home, store: Store, aiohttp_server: Any, tmp_path: Path
) -> None:
    expect = async_api.expect
    expect.set_options(timeout=8000)
    server = await aiohttp_server(create_app(home))
    base = str(server.make_url("/")).rstrip("/")
    problems: list[str] = []
    async with async_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(8000)
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on(
                "console", lambda msg: problems.append(msg.text) if console_error(msg) else None
            )
            page.on("dialog", lambda dialog: dialog.accept())

            # / redirects to the dashboard, which shows the login form.
            await page.goto(f"{base}/")
            assert page.url == f"{base}/dashboard"
            login = page.locator("#login-form")
            await expect(page.get_by_role("heading", name="Log in")).to_be_visible()

            # A wrong password shows the API's message; the default one logs in.
            await login.get_by_label("Password").fill("not-the-password")
            await login.get_by_role("button", name="Log in").click()
            await expect(page.locator("#login-error")).to_have_text("Login failed: wrong password.")
            await login.get_by_label("Password").fill("123456")
            await login.get_by_role("button", name="Log in").click()
            await expect(
                page.get_by_role("heading", name="Providers and connections")
            ).to_be_visible()
            await expect(page.get_by_text("No connections yet")).to_be_visible()

            # Add an OpenAI-compatible connection; it is listed with its key masked.
            form = page.locator("#add-connection")
            await form.get_by_label("Provider").select_option("openai-compatible")
            await form.get_by_label("Name", exact=True).fill("lab-1")
            await form.get_by_label("API key").fill(KEY)
            await form.get_by_label("Base URL").fill("http://127.0.0.1:9/v1")
            await form.get_by_label("Model prefix").fill("lab")
            await form.get_by_role("button", name="Add connection").click()
            row = page.locator("#connections tr", has_text="lab-1")
            await expect(row).to_contain_text("sk-…cdef")
            await expect(row).to_contain_text("OpenAI-compatible: lab")
            await expect(page.locator("#notice")).to_contain_text("Added connection lab-1")
            assert KEY not in await page.content()
            [conn] = store.connections.all()
            assert (conn.name, conn.api_key, conn.is_active) == ("lab-1", KEY, True)
            assert conn.base_url == "http://127.0.0.1:9/v1"

            # Toggle it inactive.
            await page.get_by_label("Active: lab-1").uncheck()
            await expect(page.locator("#notice")).to_have_text("Connection lab-1 is now inactive.")
            assert store.connections.get(conn.id).is_active is False  # type: ignore[union-attr]
            await expect(row).to_have_class("inactive")

            # Import proxies: one result per line; a bad line is refused with the reason.
            await page.get_by_role("link", name="Proxy pools").click()
            await expect(page.get_by_role("heading", name="Proxy pools")).to_be_visible()
            await page.get_by_label("Proxies, one a line").fill(
                f"# my proxies\nhttp://user1:{PROXY_PASSWORD}@127.0.0.1:1\n\nftp://files.example:21\n"
                f"127.0.0.1:2:user2:{PROXY_PASSWORD}\n"
            )
            await page.get_by_role("button", name="Import").click()
            results = page.locator("#import-results li")
            await expect(results).to_have_count(3)
            await expect(results.nth(0)).to_have_text(
                "line 2: added 127.0.0.1:1 (http://user1:***@127.0.0.1:1)"
            )
            await expect(results.nth(1)).to_contain_text(
                "line 4: proxyUrl is not a proxy URL: unsupported scheme 'ftp'"
            )
            await expect(results.nth(2)).to_contain_text("line 5: added 127.0.0.1:2")
            await expect(page.locator("#import-progress")).to_have_text(
                "Imported 2 of 3 proxies; 1 refused (see below, left in the box to fix)."
            )
            await expect(page.get_by_label("Proxies, one a line")).to_have_value(
                "ftp://files.example:21"
            )
            assert PROXY_PASSWORD not in await page.content()
            assert sorted(p.name for p in pools_of(store).all()) == ["127.0.0.1:1", "127.0.0.1:2"]

            # Test one: nothing listens on port 1, so it is marked as failing.
            await page.get_by_role("button", name="Test proxy 127.0.0.1:1").click()
            await expect(page.locator("#error")).to_contain_text("127.0.0.1:1: error")
            pool_row = page.locator("#pools tr", has_text="127.0.0.1:1")
            await expect(pool_row).to_contain_text("error")
            await page.screenshot(path=str(tmp_path / "pools.png"), full_page=True)
            tested = {p.name: p.test_status for p in pools_of(store).all()}
            assert tested == {"127.0.0.1:1": "error", "127.0.0.1:2": "unknown"}
            pool_ids = {p.name: p.id for p in pools_of(store).all()}

            # Give the connection a pool; that pool cannot be deleted then (409), the other can.
            await page.get_by_role("link", name="Providers").click()
            await page.get_by_label("Proxy pool for lab-1").select_option(label="127.0.0.1:1")
            await expect(page.locator("#notice")).to_have_text(
                "lab-1 now uses proxy pool 127.0.0.1:1."
            )
            specific = store.connections.get(conn.id).specific  # type: ignore[union-attr]
            assert specific["proxyPoolId"] == pool_ids["127.0.0.1:1"]
            await page.get_by_role("link", name="Proxy pools").click()
            await page.get_by_role("button", name="Delete proxy 127.0.0.1:1").click()
            await expect(page.locator("#error")).to_contain_text("lab-1")
            await page.get_by_role("button", name="Delete proxy 127.0.0.1:2").click()
            await expect(page.locator("#notice")).to_have_text("Deleted proxy pool 127.0.0.1:2.")
            assert [p.name for p in pools_of(store).all()] == ["127.0.0.1:1"]

            # Create a combo with its models in order.
            await page.get_by_role("link", name="Combos").click()
            combo = page.locator("#add-combo")
            await combo.get_by_label("Name", exact=True).fill("LAB")
            await combo.get_by_label("Models, in order").fill("lab/model-a")
            await combo.get_by_label("Add a model").fill("lab/model-b")
            await combo.get_by_role("button", name="Add to list").click()
            await combo.get_by_role("button", name="Create combo").click()
            combo_row = page.locator("#combos tr", has_text="LAB")
            await expect(combo_row).to_contain_text("lab/model-a")
            await expect(combo_row).to_contain_text("global (fallback)")
            [saved] = store.combos.all()
            assert (saved.name, saved.models) == ("LAB", ("lab/model-a", "lab/model-b"))

            # Change the combo strategy in Settings.
            await page.get_by_role("link", name="Settings").click()
            await expect(page.get_by_label("Combo strategy")).to_have_value("fallback")
            await page.get_by_label("Combo strategy").select_option("round-robin")
            await page.get_by_role("button", name="Save routing").click()
            await expect(page.locator("#notice")).to_have_text("Routing settings saved.")
            assert store.settings.get()["comboStrategy"] == "round-robin"

            # Per-provider strategy, throttle, global proxy (its masked URL is never saved back).
            await page.get_by_label("Account strategy for OpenAI-compatible: lab").select_option(
                "round-robin"
            )
            await page.get_by_role("button", name="Save per-provider strategies").click()
            await expect(page.locator("#notice")).to_have_text("Per-provider strategies saved.")
            assert store.settings.get()["providerStrategies"] == {
                conn.provider: {"fallbackStrategy": "round-robin"}
            }
            await page.get_by_label("Minimum interval between requests").fill("250")
            await page.get_by_label("Requests at once").fill("2")
            await page.get_by_role("button", name="Save throttle").click()
            await expect(page.locator("#notice")).to_have_text("Throttle saved.")
            assert store.settings.get()["throttle"] == {"minIntervalMs": 250, "maxConcurrent": 2}
            global_url = f"http://gp:{PROXY_PASSWORD}@127.0.0.1:3128"
            gproxy = page.locator("#settings-proxy")
            await gproxy.get_by_label("Use a proxy for outbound requests").check()
            await gproxy.get_by_label("Proxy URL").fill(global_url)
            await page.get_by_role("button", name="Save global proxy").click()
            await expect(page.locator("#notice")).to_have_text("Global proxy enabled.")
            await expect(gproxy.get_by_label("Proxy URL")).to_have_value(
                "http://gp:***@127.0.0.1:3128"
            )
            await gproxy.get_by_label("No proxy for").fill("localhost")
            await page.get_by_role("button", name="Save global proxy").click()
            await expect(gproxy.get_by_label("No proxy for")).to_have_value("localhost")
            saved_settings = store.settings.get()
            assert saved_settings["outboundProxyUrl"] == global_url
            assert saved_settings["outboundProxyEnabled"] is True
            assert saved_settings["outboundNoProxy"] == "localhost"
            await page.screenshot(path=str(tmp_path / "settings.png"), full_page=True)

            # Change the password; the session goes on, and the new password logs in.
            await page.get_by_label("Current password").fill("123456")
            await page.get_by_label("New password", exact=True).fill("correct-horse-9")
            await page.get_by_label("New password again").fill("correct-horse-9")
            await page.get_by_role("button", name="Change password").click()
            await expect(page.locator("#notice")).to_contain_text("Password changed.")
            await expect(page.locator("#pw-state")).to_have_text("A password is set.")
            assert str(store.settings.stored()["password"]).startswith("scrypt")
            await page.get_by_role("button", name="Log out").click()
            await expect(page.locator("#login-error")).to_have_text("You are logged out.")
            await login.get_by_label("Password").fill("123456")
            await login.get_by_role("button", name="Log in").click()
            await expect(page.locator("#login-error")).to_have_text("Login failed: wrong password.")
            await login.get_by_label("Password").fill("correct-horse-9")
            await login.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("heading", name="Settings")).to_be_visible()

            # Usage answers (no traffic yet).
            await page.get_by_role("link", name="Usage").click()
            await expect(page.locator("#usage-totals")).to_contain_text("Requests")
            await expect(page.get_by_text("No requests in this period.").first).to_be_visible()

            # Back to the providers for a look at the page.
            await page.get_by_role("link", name="Providers").click()
            await expect(row).to_contain_text("sk-…cdef")
            shot = tmp_path / "dashboard.png"
            await page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            assert KEY not in await page.content()

            # Delete the connection (after the confirmation dialog).
            await page.get_by_role("button", name="Delete connection lab-1").click()
            await expect(page.get_by_text("No connections yet")).to_be_visible()
            assert store.connections.all() == []
        finally:
            await browser.close()
    assert not problems, problems
