"""Register an artifact by URL: the same service calls as POST /artifact/{type}."""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import Response

from registry.artifacts.schemas import ArtifactCreateRequest, ArtifactType
from registry.artifacts.service import parse_type
from registry.errors import RegistryError
from registry.transport.requests import parse_model
from registry.web.context import Page, artifact_form, field, page, redirect

log = logging.getLogger("registry.web")
FIELDS = ("url", "name", "type")


def _error_field(exc: RegistryError) -> str:
    """Which form field an error belongs to (source problems belong to the URL)."""
    for problem in exc.details.get("problems", []):
        name = str(problem.get("field", "")).split(".")[0]
        if name in FIELDS:
            return name
    return "url"


def _form(
    current: Page,
    values: dict[str, str],
    error: dict[str, Any] | None = None,
    error_field: str = "url",
    status: int = 200,
) -> Response:
    return artifact_form(current, "register", values, error, error_field, status)


@page
async def register_page(current: Page) -> Response:
    """GET /ui/register: the form."""
    current.require("upload")
    wanted = current.request.query_params.get("type", "model")
    kind = wanted if wanted in ArtifactType.__members__ else "model"
    return _form(current, {"url": "", "name": "", "type": kind})


@page
async def register_submit(current: Page) -> Response:
    """POST /ui/register: fetch the source, store it, go to its page; else show why not."""
    principal = current.require("upload")
    form = await current.form()
    values = {name: field(form, name).strip() for name in FIELDS}
    svc = current.svc
    try:
        artifact_type = parse_type(values["type"] or "model")
        body = parse_model(
            ArtifactCreateRequest, {"url": values["url"], "name": values["name"] or None}
        )
        row = await svc.artifacts.create(principal, artifact_type, body)
    except RegistryError as exc:
        # The same JSON error body the REST route returns, shown next to the field it concerns.
        field_name = "type" if exc.message.startswith("unknown artifact type") else None
        return _form(
            current,
            values,
            exc.to_dict(),
            field_name or _error_field(exc),
            exc.status_code,
        )
    log.info("web registration: %s %s by %s", row.type, row.id, principal.name)
    return redirect(current, f"/ui/artifacts/{row.type}/{row.id}")
