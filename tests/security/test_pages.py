"""The pages: forms without this site's CSRF token are refused and change nothing; names are
escaped in the HTML."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import httpx
import pytest

from tests.fixtures.deployment import Deployment
from tests.fixtures.registry_client import ADMIN, ADMIN_PASSWORD
from tests.fixtures.registry_probe import artifact_listing, page_csrf_token, web_sign_in

pytestmark = pytest.mark.security

CREDENTIALS = {"name": ADMIN, "password": ADMIN_PASSWORD, "next": "/ui/artifacts"}


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert "registry_session" not in response.headers.get("set-cookie", "")


def test_sign_in_without_a_csrf_token_is_refused(
    deployment: Deployment, client: Callable[..., httpx.Client]
) -> None:
    browser = client(deployment.first)
    _refused(browser.post("/ui/login", data=CREDENTIALS))


def test_sign_in_with_a_token_not_matching_its_cookie_is_refused(
    deployment: Deployment, client: Callable[..., httpx.Client]
) -> None:
    browser = client(deployment.first)
    assert browser.get("/ui/login").status_code == 200  # sets the form's cookie
    response = browser.post("/ui/login", data=CREDENTIALS | {"csrf_token": secrets.token_hex(16)})
    _refused(response)
    assert "expired" in response.text


def test_sign_in_posted_from_another_site_is_refused(
    deployment: Deployment, client: Callable[..., httpx.Client]
) -> None:
    browser = client(deployment.first)
    token = page_csrf_token(browser.get("/ui/login").text)
    response = browser.post(
        "/ui/login",
        data=CREDENTIALS | {"csrf_token": token},
        headers={"origin": "https://evil.example"},
    )
    _refused(response)
    assert "cross-site" in response.text


@pytest.mark.parametrize("token", [None, "forged"], ids=["missing", "forged"])
def test_a_signed_in_form_without_its_csrf_token_changes_nothing(
    deployment: Deployment,
    admin: httpx.Client,
    client: Callable[..., httpx.Client],
    token: str | None,
) -> None:
    browser = client(deployment.first)
    assert web_sign_in(browser).status_code == 303
    before = artifact_listing(admin)
    form = {"type": "code", "url": f"https://example.com/csrf-{secrets.token_hex(4)}"}
    if token is not None:
        form["csrf_token"] = token
    response = browser.post("/ui/register", data=form)
    assert response.status_code == 403
    assert "expired" in response.text
    assert artifact_listing(admin) == before


def test_a_script_in_a_name_is_escaped_in_the_page(
    deployment: Deployment, admin: httpx.Client, client: Callable[..., httpx.Client]
) -> None:
    script = f"<script>alert({secrets.randbelow(10**6)})</script>"
    url = f"https://example.com/xss-{secrets.token_hex(4)}"
    created = admin.post("/artifact/code", json={"url": url, "name": script})
    assert created.status_code == 201, created.text
    browser = client(deployment.second)
    assert web_sign_in(browser).status_code == 303
    page = browser.get(f"/ui/artifacts/code/{created.json()['metadata']['id']}")
    assert page.status_code == 200
    assert script not in page.text
    assert script.replace("<", "&lt;").replace(">", "&gt;") in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
