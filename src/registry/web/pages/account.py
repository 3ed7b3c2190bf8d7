"""Sign in and sign out."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.responses import Response

from registry.auth.throttle import client_address
from registry.errors import CsrfError, InvalidCredentialsError, TooManyRequestsError
from registry.web.context import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Page,
    check_origin,
    field,
    login_csrf,
    login_csrf_ok,
    page,
    redirect,
    set_cookie,
)
from registry.web.service import web_service

log = logging.getLogger("registry.web")
LOGIN_CSRF_MAX_AGE = 3600


def _safe_next(target: str) -> str:
    """Only local page paths: an open redirect would hand signed-in users to another site."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/ui/") or "\\" in target:
        return "/ui/artifacts"
    return parts.path


def _wait_text(seconds: int) -> str:
    """'45 seconds' or '5 minutes': how long a refused sign-in should wait, for people."""
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{-(-seconds // 60)} minutes"


def _login_form(
    current: Page, *, next_path: str, error: str | None = None, name: str = "", status: int = 200
) -> Response:
    token, fresh = login_csrf(current.request)
    response = current.render(
        "login.html",
        {"login_token": token, "next": next_path, "error": error, "name": name},
        status_code=status,
    )
    if fresh:
        set_cookie(current.request, response, LOGIN_CSRF_COOKIE, token, LOGIN_CSRF_MAX_AGE)
    return response


@page
async def login_page(current: Page) -> Response:
    """GET /ui/login: the sign-in form (or straight on when already signed in)."""
    next_path = _safe_next(current.request.query_params.get("next", "/ui/artifacts"))
    if current.session is not None:
        return redirect(current, next_path)
    return _login_form(current, next_path=next_path)


@page
async def login_submit(current: Page) -> Response:
    """POST /ui/login: check the credentials, open a session, set its cookie."""
    request = current.request
    check_origin(request)
    form = await request.form(max_files=0, max_fields=16)
    next_path = _safe_next(field(form, "next", "/ui/artifacts"))
    if not login_csrf_ok(request, field(form, "csrf_token")):
        raise CsrfError("the sign-in form expired; reload the page and sign in again")
    name = field(form, "name").strip()
    password = field(form, "password")
    if not name or not password:
        return _login_form(
            current,
            next_path=next_path,
            error="Enter your user name and password.",
            name=name,
            status=400,
        )
    svc = current.svc
    address = client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        trust_forwarded=svc.settings.login_trust_forwarded_for,
    )
    try:
        # Verified before the write transaction opens: no connection waits on the hash.
        user = await svc.auth.verify_login(svc.db, name[:128], password[:1024], address)
    except InvalidCredentialsError as exc:
        return _login_form(current, next_path=next_path, error=exc.message, name=name, status=401)
    except TooManyRequestsError as exc:
        refused = _login_form(
            current,
            next_path=next_path,
            error=f"Too many sign-in attempts. Try again in {_wait_text(exc.retry_after)}.",
            name=name,
            status=429,
        )
        refused.headers.update(exc.response_headers())
        return refused
    async with svc.db.unit_of_work(write=True) as uow:
        secret, _session = await web_service(request).sign_in(uow, user)
    log.info("web sign-in: %s", name[:128])
    response = redirect(current, next_path)
    set_cookie(request, response, SESSION_COOKIE, secret, web_service(request).session_ttl_seconds)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/ui")
    return response


@page
async def logout(current: Page) -> Response:
    """POST /ui/logout: end the session server-side and drop the cookie."""
    await current.form()  # sign-out is CSRF-protected too: a forced sign-out is an attack
    assert current.session is not None
    async with current.svc.db.unit_of_work(write=True) as uow:
        await web_service(current.request).sign_out(uow, current.session)
    response = redirect(current, "/ui/login")
    response.delete_cookie(SESSION_COOKIE, path="/ui")
    return response


@page
async def home(current: Page) -> Response:
    """GET /ui/: the directory when signed in, else the sign-in form."""
    return redirect(current, "/ui/artifacts" if current.session else "/ui/login")
