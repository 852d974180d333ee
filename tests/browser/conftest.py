"""Shared fixtures for the real-browser tests: headless Debian Chromium driven by Playwright.

``browser`` (one Chromium per session), ``phone_page`` (a fresh phone-sized, zh-CN context per
test), ``axe_check(page)`` (axe-core: no serious or critical violation), ``sign_in(...)``,
``asgi_server`` (uvicorn, for the pages that use a WebSocket).
Run with ``pytest tests/browser``; never ``playwright install``: the system Chromium is used.
"""

import asyncio
import os
import re
import socket
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# ORM calls made from it (build_cast, assertions on the database).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("TONGXIN_CHROMIUM", "/usr/bin/chromium")  # Debian's; never `playwright install`
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
TIMEOUT_MS = 15_000


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    reason = f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run them, so this is a failure, not a skip.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _playwright():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def phone_page(browser):
    """A new page on a phone-sized screen (390×844, touch, zh-CN), in its own context (cookies)."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def live_cast(transactional_db):
    """The named cast of the root conftest, for tests that drive the live server."""
    import conftest

    return conftest.build_cast()


_AXE_SCRIPT = None
BLOCKING_IMPACTS = {"serious", "critical"}


def _axe_script() -> str:
    global _AXE_SCRIPT
    if _AXE_SCRIPT is None:
        import axe_playwright_python

        _AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
    return _AXE_SCRIPT


def axe_check(page, *, label: str = "") -> list[dict]:
    """Run axe-core on the page as it is now; fail on any serious or critical violation.

    Returns the minor and moderate violations, for a caller that wants to look at them."""
    page.evaluate(_axe_script())
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations = results["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"axe-core: {len(blocking)} serious/critical violation(s) on {label or page.url}"]
        for v in blocking:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
            for node in v["nodes"][:10]:
                lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:200]}")
                if node.get("failureSummary"):
                    lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
        pytest.fail("\n".join(lines), pytrace=False)
    minor = [v for v in violations if v.get("impact") not in BLOCKING_IMPACTS]
    for v in minor:  # shown with -s, or in the captured output of a failing test
        print(f"axe-core ({label or page.url}): {v['id']} ({v['impact']}) × {len(v['nodes'])}: {v['help']}")
    return minor


def submit(page, form_selector: str) -> None:
    """Press the submit button of the form and wait for the page that answers."""
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit]").first.click()


def sign_in(page, live_server, identifier: str, password: str) -> None:
    """Sign in with a mobile number or username and a password on the sign-in page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=identifier]", identifier)
    page.fill("input[name=password]", password)
    submit(page, "form:has(input[name=identifier])")
    assert "/accounts/login/" not in page.url, (
        f"sign-in as {identifier} did not succeed: still on {page.url}\n" + page.locator("main").inner_text()
    )


def sign_out(page) -> None:
    """On a phone, 退出登录 is on 我的 (the bottom tab bar's last tab)."""
    with page.expect_navigation():
        page.locator("nav.tabbar a[href='/me/']").click()
    submit(page, "main form[action$='/accounts/logout/']")
    assert re.search(r"/accounts/login/", page.url), page.url


@pytest.fixture
def asgi_server(transactional_db):
    """uvicorn serving tongxin's ASGI application (and its static files) on 127.0.0.1: for pages
    whose live part is a WebSocket. It runs in a thread of the test process, so it shares the test
    database."""
    import uvicorn
    from channels.layers import channel_layers
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from tongxin.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        ASGIStaticFilesHandler(application), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    # Each server runs its own event loop, and channels-redis binds a layer's receiving to the loop
    # that first received on it: a layer left by an earlier test's server (a socket's receive still
    # pending when that loop ended) refuses every socket of this one ("Two event loops are trying
    # to receive() on one channel layer at once!"). A fresh layer per server, dropped after it.
    channel_layers.backends.clear()
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(10)
    channel_layers.backends.clear()
