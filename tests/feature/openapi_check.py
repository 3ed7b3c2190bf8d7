"""Check real responses against openapi.yaml: the status is documented and the body fits."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"

# Our route is /artifact/byName/{name:path}: a name may contain "/", which an OpenAPI path
# parameter cannot span, so the adapter folds the rest of such a path into one segment.
_BY_NAME_PREFIX = "/artifact/byName/"


@functools.lru_cache(maxsize=1)
def openapi() -> OpenAPI:
    """The parsed and validated openapi.yaml, built once per test session."""
    document = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    # The app is mounted at the root and tests reach it at any host (http://registry.test,
    # an e2e port), so match on the path only: a relative root server does exactly that.
    document["servers"] = [{"url": "/"}]
    return OpenAPI.from_dict(document)


def _template_path(url: httpx.URL) -> str:
    """The request path, still percent-encoded so an encoded "/" stays inside its segment."""
    path = url.raw_path.split(b"?", 1)[0].decode("ascii")
    if path.startswith(_BY_NAME_PREFIX):
        rest = path[len(_BY_NAME_PREFIX) :]
        path = _BY_NAME_PREFIX + rest.replace("/", "%2F")
    return path


class OpenAPIRequest:
    """An httpx.Request seen through openapi-core's Request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        url = request.url
        self.host_url = f"{url.scheme}://{url.netloc.decode('ascii')}"
        self.path = _template_path(url)
        self.method = request.method.lower()
        self.content_type = request.headers.get("content-type", "").lower()
        try:
            self.body: bytes | None = request.content or None
        except httpx.RequestNotRead:
            self.body = None
        cookie_header = request.headers.get("cookie", "")
        cookies = [
            tuple(part.strip().split("=", 1)) for part in cookie_header.split(";") if "=" in part
        ]
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(url.params.multi_items()),
            header=Headers(request.headers.multi_items()),
            cookie=ImmutableMultiDict(cookies),
        )


class OpenAPIResponse:
    """An httpx.Response seen through openapi-core's Response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = Headers(response.headers.multi_items())
        self.content_type = response.headers.get("content-type", "").lower()
        self.data: bytes | None = response.content


def _explain(exc: BaseException) -> str:
    """Flatten openapi-core's wrapped errors (cause chain, schema errors) into lines."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        lines.append(f"{type(current).__name__}: {current}")
        schema_errors: Any = getattr(current, "schema_errors", None)
        for error in schema_errors or ():
            where = "/".join(str(p) for p in getattr(error, "absolute_path", ()))
            lines.append(f"  at /{where}: {getattr(error, 'message', error)}")
        # Follow explicit causes; an implicit context only when it is openapi-core's own.
        context = current.__context__
        current = current.__cause__ or (context if isinstance(context, OpenAPIError) else None)
    return "\n".join(lines)


def assert_conforms(response: httpx.Response) -> None:
    """Fail unless openapi.yaml documents this status for the request's path and method,
    and the body and documented headers match the schema declared for it."""
    try:
        request = response.request
    except RuntimeError:
        raise AssertionError("the response has no request bound to it") from None
    try:
        response.content  # noqa: B018 - a streamed body must be read before it can be checked
    except httpx.ResponseNotRead:
        raise AssertionError("read the streamed response before checking it") from None
    try:
        openapi().validate_response(OpenAPIRequest(request), OpenAPIResponse(response))
    except OpenAPIError as exc:
        raise AssertionError(
            f"{request.method} {request.url.path} -> {response.status_code} "
            f"does not conform to openapi.yaml:\n{_explain(exc)}\n"
            f"body: {response.text[:500]!r}"
        ) from None


def check_documented(response: httpx.Response) -> None:
    """assert_conforms for every documented path and method; undocumented ones are skipped
    (tests of unknown routes and wrong methods check those answers themselves)."""
    from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound

    try:
        openapi().validate_response(OpenAPIRequest(response.request), OpenAPIResponse(response))
    except (PathNotFound, OperationNotFound):
        return
    except OpenAPIError:
        assert_conforms(response)  # re-run to raise with the full explanation
