"""The HTMX pages in process: sessions, CSRF, permissions, error pages, and every form's
failure shown as HTML with the right status."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from starlette.applications import Starlette

from registry.search import scan as scan_module
from tests.fixtures.registry_client import (
    ADMIN,
    ADMIN_PASSWORD,
    HF,
    WebClient,
    browser_like,
    register,
    token_of,
)


@pytest_asyncio.fixture
async def anon(registry_app: Starlette, fresh: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser without a session, on a freshly reset registry."""
    async with browser_like(registry_app) as client:
        yield client


async def test_pages_need_a_session(anon: httpx.AsyncClient) -> None:
    for path in ("/ui/artifacts", "/ui/register", "/ui/users", "/ui/artifacts/model/123"):
        response = await anon.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/ui/login?next={path}"
    htmx = await anon.get("/ui/artifacts", headers={"HX-Request": "true"})
    assert htmx.headers["hx-redirect"].startswith("/ui/login")


async def test_sign_in_sets_a_strict_httponly_cookie(web: WebClient) -> None:
    client = await web()
    page = await client.get("/ui/artifacts")
    assert page.status_code == 200
    assert "Signed in as" in page.text
    headers = page.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"


async def test_sign_in_cookie_flags(anon: httpx.AsyncClient) -> None:
    form = await anon.get("/ui/login")
    response = await anon.post(
        "/ui/login",
        data={"csrf_token": token_of(form.text), "name": ADMIN, "password": ADMIN_PASSWORD},
    )
    cookie = next(v for v in response.headers.get_list("set-cookie") if "registry_session" in v)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie


async def test_wrong_password_and_missing_fields(anon: httpx.AsyncClient) -> None:
    token = token_of((await anon.get("/ui/login")).text)
    wrong = await anon.post("/ui/login", data={"csrf_token": token, "name": ADMIN, "password": "x"})
    assert wrong.status_code == 401
    assert "the user or password is invalid" in wrong.text
    assert 'aria-describedby="login-error"' in wrong.text
    empty = await anon.post("/ui/login", data={"csrf_token": token, "name": "", "password": ""})
    assert empty.status_code == 400
    assert "Enter your user name and password" in empty.text


async def test_sign_in_without_its_csrf_token_is_refused(anon: httpx.AsyncClient) -> None:
    await anon.get("/ui/login")
    response = await anon.post(
        "/ui/login", data={"csrf_token": "forged", "name": ADMIN, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 403
    assert "csrf_failed" in response.text


async def test_forms_need_the_session_csrf_token_and_same_origin(web: WebClient) -> None:
    client = await web()
    token = token_of((await client.get("/ui/register")).text)
    body = {"type": "model", "url": f"{HF}/google-bert/bert-base-uncased"}
    forged = await client.post("/ui/register", data=body | {"csrf_token": "nope"})
    assert forged.status_code == 403
    assert "did not come from this site" in forged.text
    cross = await client.post(
        "/ui/register", data=body | {"csrf_token": token}, headers={"Origin": "https://evil.test"}
    )
    assert cross.status_code == 403
    assert "cross-site" in cross.text


async def test_open_redirects_are_refused(web: WebClient, anon: httpx.AsyncClient) -> None:
    form = await anon.get("/ui/login?next=https://evil.test/")
    assert 'value="/ui/artifacts"' in form.text
    response = await anon.post(
        "/ui/login",
        data={
            "csrf_token": token_of(form.text),
            "name": ADMIN,
            "password": ADMIN_PASSWORD,
            "next": "//evil.test/ui/x",
        },
    )
    assert response.headers["location"] == "/ui/artifacts"


async def test_register_search_and_view(web: WebClient) -> None:
    client = await web()
    token = token_of((await client.get("/ui/register")).text)
    created = await client.post(
        "/ui/register",
        data={"csrf_token": token, "type": "model", "url": f"{HF}/google-bert/bert-base-uncased"},
    )
    assert created.status_code == 303
    location = created.headers["location"]
    assert re.fullmatch(r"/ui/artifacts/model/\d+", location)

    page = await client.get(location)
    assert page.status_code == 200
    assert "config.json" in page.text and "570 B" in page.text  # files with sizes
    assert "apache-2.0" in page.text
    assert "Audit trail" in page.text and "CREATE" in page.text

    listing = await client.get("/ui/artifacts?type=model")
    assert "bert-base-uncased" in listing.text
    by_regex = await client.get(
        "/ui/artifacts?q=bert-base&mode=regex",
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    assert by_regex.status_code == 200
    assert "<html" not in by_regex.text  # a fragment for htmx
    assert 'hx-swap-oob="innerHTML"' in by_regex.text
    assert "bert-base-uncased" in by_regex.text
    wrong_type = await client.get("/ui/artifacts?q=bert-base-uncased&mode=name&type=dataset")
    assert "No artifact matches this search" in wrong_type.text
    none = await client.get("/ui/artifacts?q=nothing-like-this&mode=name")
    assert "No artifact matches this search" in none.text


async def test_bad_regex_is_a_400_tied_to_the_field(web: WebClient) -> None:
    client = await web()
    response = await client.get("/ui/artifacts?q=(a|aa)*$&mode=regex")
    assert response.status_code == 400
    assert 'id="q-error"' in response.text
    assert 'aria-describedby="q-help q-error"' in response.text


async def test_register_failures_show_the_json_error_on_the_field(web: WebClient) -> None:
    client = await web()
    token = token_of((await client.get("/ui/register")).text)
    missing = await client.post(
        "/ui/register",
        data={"csrf_token": token, "type": "model", "url": f"{HF}/nobody/no-such-model"},
        headers={"HX-Request": "true"},
    )
    assert missing.status_code == 400
    assert "source_not_found" in missing.text
    assert 'aria-invalid="true" aria-describedby="register-error"' in missing.text
    assert "<html" not in missing.text
    blank = await client.post("/ui/register", data={"csrf_token": token, "url": ""})
    assert blank.status_code == 400
    assert "invalid_request" in blank.text
    bad_type = await client.post(
        "/ui/register", data={"csrf_token": token, "type": "weights", "url": "https://x.test/a"}
    )
    assert bad_type.status_code == 400
    assert 'id="reg-type" name="type" aria-invalid="true"' in bad_type.text


async def test_card_text_is_sanitised(web: WebClient, client: httpx.AsyncClient) -> None:
    created = await client.post("/artifact/model", json={"url": f"{HF}/acme/gated-model"})
    if created.status_code != 201:  # the gated fixture needs no token here; any model works
        created = await client.post("/artifact/model", json={"url": f"{HF}/nobody/bare-model"})
    meta = created.json()["metadata"]
    page = await (await web()).get(f"/ui/artifacts/model/{meta['id']}")
    assert page.status_code == 200
    assert "<script" not in page.text.split("</head>")[1]


async def test_unknown_artifact_and_bad_type_are_html_errors(web: WebClient) -> None:
    client = await web()
    missing = await client.get("/ui/artifacts/model/424242")
    assert missing.status_code == 404
    assert "does not exist" in missing.text and "<html" in missing.text
    bad = await client.get("/ui/artifacts/weights/1")
    assert bad.status_code == 400
    assert "unknown artifact type" in bad.text


async def test_permissions_mirror_the_rest_routes(web: WebClient, make_user: object) -> None:
    await make_user("reader", upload=False, search=True)  # type: ignore[operator]
    await make_user("blind", upload=True, search=False)  # type: ignore[operator]
    reader = await web("reader", "s3cret-passw0rd")
    assert (await reader.get("/ui/artifacts")).status_code == 200
    register = await reader.get("/ui/register")
    assert register.status_code == 403
    assert "lacks the &#39;upload&#39; permission" in register.text
    assert (await reader.get("/ui/users")).status_code == 403
    assert (await reader.get("/ui/health/logs")).status_code == 403
    health = await reader.get("/ui/health")
    assert health.status_code == 200 and "Log viewer" not in health.text
    blind = await web("blind", "s3cret-passw0rd")
    assert (await blind.get("/ui/artifacts")).status_code == 403
    assert (await blind.get("/ui/register")).status_code == 200


async def test_user_administration(web: WebClient) -> None:
    admin = await web()
    page = await admin.get("/ui/users")
    token = token_of(page.text)
    short = await admin.post(
        "/ui/users", data={"csrf_token": token, "name": "newbie", "password": "short"}
    )
    assert short.status_code == 400
    assert "at least 8 characters" in short.text
    made = await admin.post(
        "/ui/users",
        data={"csrf_token": token, "name": "newbie", "password": "long-enough-1", "upload": "on"},
    )
    assert made.status_code == 303
    again = await admin.post(
        "/ui/users", data={"csrf_token": token, "name": "newbie", "password": "long-enough-1"}
    )
    assert again.status_code == 409
    newbie = await web("newbie", "long-enough-1")
    assert (await newbie.get("/ui/register")).status_code == 200
    deleted = await admin.post("/ui/users/newbie/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    # The deleted user's browser session ends with the account.
    assert (await newbie.get("/ui/artifacts")).status_code == 303
    keep = await admin.post(f"/ui/users/{ADMIN}/delete", data={"csrf_token": token})
    assert keep.status_code == 400
    assert "cannot be deleted" in keep.text
    ghost = await admin.post("/ui/users/ghost/delete", data={"csrf_token": token})
    assert ghost.status_code == 404


async def test_sign_out_ends_the_session_server_side(web: WebClient) -> None:
    client = await web()
    cookie = client.cookies.get("registry_session")
    token = token_of((await client.get("/ui/artifacts")).text)
    out = await client.post("/ui/logout", data={"csrf_token": token})
    assert out.status_code == 303
    client.cookies.set("registry_session", cookie or "", path="/ui")  # a copied cookie
    assert (await client.get("/ui/artifacts")).status_code == 303


async def test_dashboard_shows_traffic_and_filtered_logs(
    web: WebClient, anon: httpx.AsyncClient
) -> None:
    for _ in range(3):
        await anon.get("/tracks")
    logging.getLogger("registry.test").warning("dashboard-marker %s", "visible")
    admin = await web()
    page = await admin.get("/ui/health")
    assert page.status_code == 200
    assert "GET /tracks" in page.text
    assert "<svg" in page.text and 'role="img"' in page.text
    assert 'hx-trigger="every 5s"' in page.text
    paused = await admin.get("/ui/health?refresh=off")
    assert 'hx-trigger="every 5s"' not in paused.text
    panel = await anon.get("/ui/health/panel")  # public, like /health/components
    assert panel.status_code == 200 and "<html" not in panel.text
    logs = await admin.get("/ui/health/logs?level=WARNING&text=dashboard-marker")
    assert "dashboard-marker visible" in logs.text
    filtered = await admin.get("/ui/health/logs?level=ERROR&text=dashboard-marker")
    assert "dashboard-marker" not in filtered.text
    assert "0 matching records" in filtered.text


async def test_static_assets_are_served_with_headers(anon: httpx.AsyncClient) -> None:
    css = await anon.get("/ui/static/app.css")
    assert css.status_code == 200
    assert css.headers["x-content-type-options"] == "nosniff"
    assert (await anon.get("/ui/static/nope.css")).status_code == 404


async def test_searches_cut_by_the_time_budget_say_so(
    web: WebClient, client: httpx.AsyncClient, monkeypatch: object
) -> None:
    await register(client, f"{HF}/google-bert/bert-base-uncased")
    browser = await web()

    class Clock:  # the scan's clock jumps 10 s per reading: every budget check finds it spent
        now = 0.0

        @classmethod
        def monotonic(cls) -> float:
            cls.now += 10.0
            return cls.now

    monkeypatch.setattr(scan_module, "time", Clock)  # type: ignore[attr-defined]
    # A filtered search pages on: the page says the budget ran out and links the next page.
    filtered = await browser.get("/ui/artifacts?q=bert&mode=regex&trust=vetted")
    assert filtered.status_code == 200
    assert "reached its time budget" in filtered.text and "cursor=" in filtered.text
    # A plain regex search cannot page on: it is the API's 413, shown on the field.
    plain = await browser.get("/ui/artifacts?q=bert&mode=regex")
    assert plain.status_code == 413
    assert 'id="q-error"' in plain.text and "budget" in plain.text
