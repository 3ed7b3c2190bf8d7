"""Per-request plumbing of the pages: the signed-in session, CSRF checks, rendering, errors."""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from registry.artifacts.schemas import ArtifactType
from registry.auth.schemas import Permission, Principal
from registry.errors import CsrfError, PermissionDeniedError, RegistryError, SignInRequiredError
from registry.services import Services
from registry.textcheck import check_plain_text
from registry.transport.artifacts import ArtifactTarget, target_of
from registry.transport.requests import services
from registry.web.service import WebSession, web_service

log = logging.getLogger("registry.web")

SESSION_COOKIE = "registry_session"
# Before sign-in there is no session to bind a token to: the sign-in form uses a double-submit
# token instead (a SameSite=Strict, HttpOnly cookie that the form must echo).
LOGIN_CSRF_COOKIE = "registry_login_csrf"
FORM_FIELDS_CAP = 64


@dataclass(slots=True)
class Page:
    """What a page handler works with: the request, the services and the session (if any)."""

    request: Request
    svc: Services
    session: WebSession | None

    @property
    def is_htmx(self) -> bool:
        """Tell whether htmx sent this request (answer with a fragment, not a whole page)."""
        return self.request.headers.get("hx-request") == "true"

    def require(self, permission: Permission | None = None) -> Principal:
        """The signed-in principal, holding `permission` when one is named."""
        if self.session is None:
            raise SignInRequiredError("sign in to see this page")
        principal = self.session.principal
        if permission is not None and not principal.has(permission):
            raise PermissionDeniedError(
                f"user '{principal.name}' lacks the '{permission}' permission"
            )
        return principal

    def target(
        self, principal: Principal, artifact_type: ArtifactType | None = None
    ) -> ArtifactTarget:
        """The artifact the page's path names (type unless fixed, and id); 400 if malformed."""
        return target_of(self.svc, principal, self.request.path_params, artifact_type)

    async def form(self, max_files: int = 0) -> FormData:
        """The submitted form, after checking its origin and its CSRF token.

        Files (upload page only) are spooled to disk by the multipart parser, never held whole.
        """
        check_origin(self.request)
        form = await self.request.form(max_files=max_files, max_fields=FORM_FIELDS_CAP)
        if self.session is None or not self.session.csrf_ok(_field(form, "csrf_token")):
            await form.close()  # removes a spooled file at once, not when the request is freed
            raise CsrfError("the form expired or did not come from this site; reload and retry")
        return form

    def render(
        self,
        template: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        """Render a template with the common context (user, CSRF token, current path)."""
        web = web_service(self.request)
        base = {
            "user": self.session.principal if self.session else None,
            "csrf_token": self.session.csrf_token if self.session else "",
            "path": self.request.url.path,
            "htmx_available": web.htmx_available,
        }
        html = web.templates.get_template(template).render(base | (context or {}))
        return HTMLResponse(html, status_code=status_code, headers=headers)

    def render_form(
        self, folder: str, context: dict[str, Any], status_code: int = 200
    ) -> HTMLResponse:
        """A form page: only the form (`_form.html`) for htmx, else the page (`index.html`)."""
        template = "_form.html" if self.is_htmx else "index.html"
        return self.render(f"{folder}/{template}", context, status_code)


def artifact_form(
    current: Page,
    folder: str,
    values: dict[str, str],
    error: dict[str, Any] | None = None,
    error_field: str = "",
    status: int = 200,
    **extra: Any,
) -> Response:
    """Render a form that creates an artifact (register, upload), with the error on its field."""
    context = {
        "values": values,
        "types": [t.value for t in ArtifactType],
        "error": error,
        "error_field": error_field,
        **extra,
    }
    return current.render_form(folder, context, status)


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    # A NUL or lone surrogate can be neither stored nor logged: 400, before any lookup.
    return check_plain_text(value, name) if isinstance(value, str) else None


def field(form: FormData, name: str, default: str = "") -> str:
    """A text field of a form ('' when missing or a file)."""
    value = _field(form, name)
    return default if value is None else value


def check_origin(request: Request) -> None:
    """Refuse a state-changing request whose Origin is another site (defence in depth)."""
    origin = request.headers.get("origin")
    if origin is None:  # old clients and same-origin GET-to-POST flows send none
        return
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin != own:
        raise CsrfError("cross-site form submissions are refused")


def login_csrf(request: Request) -> tuple[str, bool]:
    """The sign-in form's double-submit token, and whether a new cookie must be set."""
    existing = request.cookies.get(LOGIN_CSRF_COOKIE)
    if existing and 20 <= len(existing) <= 128:
        return existing, False
    return secrets.token_urlsafe(32), True


def login_csrf_ok(request: Request, submitted: str | None) -> bool:
    """Tell whether the sign-in form echoed its cookie's token."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    return bool(cookie and submitted) and hmac.compare_digest(
        str(cookie).encode(), str(submitted).encode()
    )


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    """Set an HttpOnly, SameSite=Strict cookie for the pages, Secure over HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


async def load_session(request: Request) -> WebSession | None:
    """The signed-in session behind the request's cookie, if any."""
    svc = services(request)
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    async with svc.db.unit_of_work() as uow:
        return await web_service(request).resolve(uow, secret)


def redirect(page: Page, url: str) -> Response:
    """Go to another page: HX-Redirect for htmx, 303 See Other otherwise."""
    if page.is_htmx:
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


PageHandler = Callable[[Page], Awaitable[Response]]


def page(handler: PageHandler) -> Callable[[Request], Awaitable[Response]]:
    """Turn a page handler into a Starlette endpoint that renders failures as HTML."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        current = Page(request, services(request), await load_session(request))
        try:
            return await handler(current)
        except SignInRequiredError:
            target = "/ui/login?next=" + quote(request.url.path, safe="/")
            return redirect(current, target)
        except RegistryError as exc:
            if exc.status_code >= 500:
                log.warning("page %s failed: %s", request.url.path, exc.message)
            template = "error_fragment.html" if current.is_htmx else "error.html"
            return current.render(
                template, {"error": exc.to_dict(), "status": exc.status_code}, exc.status_code
            )

    return endpoint
