"""Every page in Debian's Chromium: keyboard use, axe (zero violations), screenshots, and
nothing loaded from outside the registry."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.registry_client import ADMIN, ADMIN_PASSWORD
from tests.fixtures.registry_processes import ServerProcess

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
    check_page(page, screenshots, "06b-code-artifact")

    missing = page.goto("/ui/artifacts/model/987654321")
    assert missing.status == 404
    assert page.get_by_role("heading", level=1).count() == 1
    check_page(page, screenshots, "06c-not-found")


def test_dashboard_reflects_traffic_within_seconds(
    page: Any, screenshots: Path, web_server: ServerProcess
) -> None:
    sign_in(page)
    page.get_by_role("link", name="Health", exact=True).click()
    page.wait_for_url(re.compile(r"/ui/health$"))
    before = int(page.locator("#total-requests").inner_text())
    with httpx.Client(base_url=web_server.url, timeout=60) as client:
        for _ in range(25):
            assert client.get("/tracks").status_code == 200
        client.get("/no/such/route")
    # No reload: the panel's own 5 s refresh must bring the new traffic in. (The CSP forbids
    # eval, so this polls from Python instead of with wait_for_function.)
    started = time.monotonic()
    while int(page.locator("#total-requests").inner_text()) < before + 25:
        assert time.monotonic() - started < 90, "the dashboard did not refresh"  # 5 s period; load
        page.wait_for_timeout(250)
    assert page.get_by_role("cell", name="GET /tracks").count() == 1
    assert page.locator(".logs table, .logs p").count() >= 1  # admins see the log viewer
    check_page(page, screenshots, "07-health")

    assert page.locator("#logs").get_by_role("cell", name="INFO", exact=True).count() >= 1
    page.get_by_label("Lowest level").select_option("WARNING")
    deadline = time.monotonic() + 60
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


def test_upload_a_zip_with_progress_then_download_a_part(
    page: Any, screenshots: Path, api: httpx.Client, tmp_path: Path
) -> None:
    from tests.fixtures import zips

    package = tmp_path / "browser-package.zip"
    package.write_bytes(zips.tiny_zip())
    sign_in(page)
    page.get_by_role("link", name="Upload", exact=True).click()
    page.wait_for_url(re.compile(r"/ui/upload$"))
    check_page(page, screenshots, "10-upload")
    page.get_by_label("Name").fill("browser-tiny")
    page.get_by_label("Version").fill("2.0.0")
    page.get_by_label("Zip file").set_input_files(str(package))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(r"/ui/artifacts/model/\d+$"))
    artifact_id = page.url.rsplit("/", 1)[1]
    assert page.get_by_role("heading", level=1).inner_text().startswith("browser-tiny")
    assert "Version 2.0.0" in page.locator("#section-downloads").locator("..").inner_text()
    check_page(page, screenshots, "11-uploaded-package")

    link = page.get_by_role("link", name=re.compile(r"^Download config \("))
    link.focus()
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    downloaded = Path(info.value.path()).read_bytes()
    expected = api.get(f"/artifacts/model/{artifact_id}/download", params={"part": "config"})
    assert expected.status_code == 200
    assert downloaded == expected.content and downloaded[:2] == b"PK"


def test_a_bad_upload_shows_a_visible_error_and_stores_nothing(
    page: Any, screenshots: Path, api: httpx.Client, tmp_path: Path
) -> None:
    from tests.fixtures import zips

    hostile = tmp_path / "escape.zip"
    hostile.write_bytes(zips.traversal_zip())
    before = len(api.post("/artifacts", json=[{"name": "*"}]).json())
    sign_in(page)
    page.goto("/ui/upload")
    page.get_by_label("Name").fill("browser-hostile")
    page.get_by_label("Zip file").set_input_files(str(hostile))
    page.get_by_role("button", name="Upload").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.is_visible() and "Nothing was stored" in alert.inner_text()
    field = page.get_by_label("Zip file")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == "upload-error"
    # The swap moved focus to the error so keyboard and screen-reader users land on it.
    assert page.evaluate("document.activeElement && document.activeElement.id") == "upload-error"
    # The progress bar outlives the swapped form: it reached the end, and the status says why
    # the upload still failed.
    assert page.get_by_label("Upload progress").get_attribute("value") == "100"
    assert "refused the package" in page.locator("#upload-status").inner_text()
    check_page(page, screenshots, "12-upload-refused")
    assert len(api.post("/artifacts", json=[{"name": "*"}]).json()) == before


def test_ingest_refusal_lists_the_failing_metrics(page: Any, screenshots: Path) -> None:
    sign_in(page)
    page.get_by_role("link", name="Ingest", exact=True).click()
    page.wait_for_url(re.compile(r"/ui/ingest$"))
    check_page(page, screenshots, "13-ingest")
    page.get_by_label("Hugging Face model URL").fill("https://huggingface.co/nobody/bare-model")
    page.get_by_role("button", name="Rate and ingest").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Refused:" in alert.inner_text()
    assert page.get_by_role("cell", name="below the bar").count() >= 1
    check_page(page, screenshots, "14-ingest-refused")


def test_model_page_sections_and_version_filter(
    page: Any, screenshots: Path, api: httpx.Client, seeded: dict[str, str]
) -> None:
    child = api.post(
        "/artifact/model", json={"url": "https://huggingface.co/acme/bert-finetuned-sst2"}
    )
    assert child.status_code in (201, 409), child.text
    sign_in(page)
    page.get_by_label("Version range").fill("^1.0.0")
    page.wait_for_url(re.compile(r"version=%5E1\.0\.0"))
    link = page.get_by_role("link", name="bert-base-uncased")
    link.wait_for()
    assert page.get_by_role("link", name="bert-finetuned-sst2").count() == 0
    check_page(page, screenshots, "15-version-filter")
    page.get_by_label("Version range").fill("")
    page.get_by_label("Search").fill("bert-finetuned-sst2")
    page.get_by_role("link", name="bert-finetuned-sst2").click()
    page.wait_for_url(re.compile(r"/ui/artifacts/model/\d+$"))
    assert page.get_by_role("img", name="Lineage of bert-finetuned-sst2").count() == 1
    assert page.locator("meter").count() >= 8
    github = page.get_by_label("GitHub project to use it with")
    github.fill("https://gitlab.com/owner/repo")  # a URL, but not a GitHub project: refused
    page.get_by_role("button", name="Check compatibility").click()
    page.locator("#license-error").wait_for()
    assert github.get_attribute("aria-invalid") == "true"
    github.fill("https://github.com/openai/whisper")
    page.get_by_role("button", name="Check compatibility").click()
    page.locator("#license-result .alert-ok, #license-result .alert:not(#license-error)").wait_for()
    assert github.get_attribute("aria-invalid") is None
    check_page(page, screenshots, "16-model-sections")
