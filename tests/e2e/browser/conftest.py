"""Browser fixtures: one `registry serve` process on SQLite, Debian's Chromium via Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.registry_client import ADMIN, ADMIN_PASSWORD, HF
from tests.fixtures.registry_processes import ServerProcess

CHROMIUM = os.environ.get("REGISTRY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "_artifacts" / "screenshots"


@pytest.fixture(scope="session")
def web_server(
    tmp_path_factory: pytest.TempPathFactory, fake_hub: Any, fake_github: Any
) -> Iterator[ServerProcess]:
    """A real server process on SQLite and local blobs, reading the fake hub and GitHub."""
    root = tmp_path_factory.mktemp("web-server")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(
        {
            "REGISTRY_DATABASE_URL": f"sqlite+aiosqlite:///{root / 'registry.db'}",
            "REGISTRY_BLOB_BACKEND": "local",
            "REGISTRY_BLOB_LOCAL_PATH": str(root / "blobs"),
            "HF_ENDPOINT": fake_hub.url,
            "GITHUB_API_URL": fake_github.url,
            "REGISTRY_LOG_LEVEL": "warning",
        }
    )
    server = ServerProcess(env, root / "server.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def api(web_server: ServerProcess) -> Iterator[httpx.Client]:
    """An admin REST client of the same server, for seeding data and making traffic."""
    with httpx.Client(base_url=web_server.url, timeout=30) as client:
        token = client.put(
            "/authenticate",
            json={
                "user": {"name": ADMIN, "is_admin": True},
                "secret": {"password": ADMIN_PASSWORD},
            },
        ).json()
        client.headers["X-Authorization"] = token
        yield client


@pytest.fixture(scope="session")
def seeded(api: httpx.Client) -> dict[str, str]:
    """A registered model the browser tests look for."""
    created = api.post("/artifact/model", json={"url": f"{HF}/google-bert/bert-base-uncased"})
    assert created.status_code == 201, created.text
    return dict(created.json()["metadata"])


# Module scope, not session: Playwright's sync API keeps an event loop running while it is
# open, and pytest-asyncio cannot run the async tests of later modules inside it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (never `playwright install`)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI but missing at {CHROMIUM} (make web)")
        pytest.skip(f"Chromium not installed at {CHROMIUM} (make web)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, web_server: ServerProcess) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page for one test; records every request."""
    context = browser.new_context(base_url=web_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)  # bounds a hang; a loaded CI box is slow
    tab = context.new_page()
    tab.requested_urls = []
    tab.on("request", lambda request: tab.requested_urls.append(request.url))
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the tests keep their screenshots (gitignored)."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
