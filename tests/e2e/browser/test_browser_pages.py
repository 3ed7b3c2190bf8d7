"""Every page in Debian's Chromium: keyboard use, axe (zero violations), screenshots, and
nothing loaded from outside the registry."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.e2e.conftest import ServerProcess

pytestmark = pytest.mark.e2e


def check_page(page: Any, screenshots: Path, name: str) -> None:
    """axe finds nothing, the page loaded only from the registry, and a screenshot is kept."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    origin = re.match(r"https?://[^/]+", page.url)
    assert origin is not None
    foreign = [u for u in page.requested_urls if not u.startswith(origin.group(0))]
    assert foreign == [], f"loaded from outside the registry: {foreign}"
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def sign_in(page: Any, name: str = ADMIN, password: str = ADMIN_PASSWORD) -> None:
    """Sign in with the keyboard alone: type, Tab to the next field, Enter to submit."""
    page.goto("/ui/login")
    page.get_by_label("User name").focus()
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/ui/artifacts"))


def test_sign_in_search_and_open_a_model(
    page: Any, screenshots: Path, seeded: dict[str, str]
) -> None:
    page.goto("/ui/artifacts")
    page.wait_for_url(re.compile(r"/ui/login"))  # the directory needs a signed-in user
    check_page(page, screenshots, "01-sign-in")
    sign_in(page)
    check_page(page, screenshots, "02-directory")

    page.get_by_label("Match").select_option("regex")
    page.get_by_label("Search").fill("bert-base")  # no submit: results update as you type
    # The search lands in the address (shareable) once the debounced request went out.
    page.wait_for_url(re.compile(r"q=bert-base"))
    link = page.get_by_role("link", name="bert-base-uncased")
    link.wait_for()
    assert "Showing 1 artifact" in page.locator("#search-status").inner_text()
    check_page(page, screenshots, "03-search-results")

    page.get_by_label("Search").fill("(a|aa)*$")
    page.locator("#q-error").wait_for()
    assert "Search refused" in page.locator("#search-status").inner_text()

    page.get_by_label("Search").fill("bert-base")
    link.wait_for()
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/ui/artifacts/model/{seeded['id']}$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("bert-base-uncased")
    files = page.get_by_role("table", name=re.compile("Files of bert-base-uncased"))
    assert files.get_by_role("cell", name="config.json", exact=True).count() == 1
    assert page.get_by_role("heading", name="Audit trail").count() == 1
    check_page(page, screenshots, "04-artifact")


def test_register_by_url_refuses_bad_input_then_succeeds(
    page: Any, screenshots: Path, web_server: ServerProcess
) -> None:
    sign_in(page)
    page.get_by_role("link", name="Register").click()
    page.wait_for_url(re.compile(r"/ui/register$"))
    check_page(page, screenshots, "05-register")

    page.get_by_label("Source URL").fill("https://huggingface.co/nobody/no-such-model")
    page.get_by_role("button", name="Register").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "does not exist" in alert.inner_text() or "not found" in alert.inner_text().lower()
    url_field = page.get_by_label("Source URL")
    assert url_field.get_attribute("aria-invalid") == "true"
    assert url_field.get_attribute("aria-describedby") == "register-error"
    check_page(page, screenshots, "06-register-error")

    page.get_by_label("Type").select_option("code")
    url_field.fill("https://github.com/openai/whisper")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(r"/ui/artifacts/code/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("openai-whisper")


def test_dashboard_reflects_traffic_within_seconds(
    page: Any, screenshots: Path, web_server: ServerProcess
) -> None:
    sign_in(page)
    page.get_by_role("link", name="Health", exact=True).click()
    page.wait_for_url(re.compile(r"/ui/health$"))
    before = int(page.locator("#total-requests").inner_text())
    with httpx.Client(base_url=web_server.url, timeout=10) as client:
        for _ in range(25):
            assert client.get("/tracks").status_code == 200
        client.get("/no/such/route")
    # No reload: the panel's own 5 s refresh must bring the new traffic in. (The CSP forbids
    # eval, so this polls from Python instead of with wait_for_function.)
    started = time.monotonic()
    while int(page.locator("#total-requests").inner_text()) < before + 25:
        assert time.monotonic() - started < 12, "the dashboard did not refresh"
        page.wait_for_timeout(250)
    assert page.get_by_role("cell", name="GET /tracks").count() == 1
    assert page.locator(".logs table, .logs p").count() >= 1  # admins see the log viewer
    check_page(page, screenshots, "07-health")

    assert page.locator("#logs").get_by_role("cell", name="INFO", exact=True).count() >= 1
    page.get_by_label("Lowest level").select_option("WARNING")
    deadline = time.monotonic() + 8
    while page.locator("#logs").get_by_role("cell", name="INFO", exact=True).count():
        assert time.monotonic() < deadline, "the log filter did not apply"
        page.wait_for_timeout(200)


def test_users_page_creates_and_deletes_a_user(page: Any, screenshots: Path) -> None:
    sign_in(page)
    page.goto("/ui/users")
    check_page(page, screenshots, "08-users")
    page.get_by_label("User name").fill("short")
    page.get_by_label("Password (at least 8 characters)").fill("tiny")
    page.get_by_role("button", name="Add user").click()
    assert "at least 8 characters" in page.get_by_role("alert").inner_text()
    check_page(page, screenshots, "09-users-error")

    page.get_by_label("User name").fill("browser-analyst")
    page.get_by_label("Password (at least 8 characters)").fill("a-long-passw0rd")
    page.get_by_label("Upload").check()
    page.get_by_role("button", name="Add user").click()
    assert "Created user browser-analyst" in page.get_by_role("status").inner_text()
    page.get_by_role("button", name="Delete user browser-analyst").click()
    assert "Deleted user browser-analyst" in page.get_by_role("status").inner_text()


def test_pages_send_security_headers_and_sign_out(page: Any, web_server: ServerProcess) -> None:
    response = page.goto("/ui/login")
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    sign_in(page)
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["registry_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/ui/login"))
    page.goto("/ui/artifacts")
    page.wait_for_url(re.compile(r"/ui/login"))
