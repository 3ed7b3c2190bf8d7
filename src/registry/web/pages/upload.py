"""Upload a zip package and ingest a vetted hub model: the same service calls as the REST routes.

The upload form posts multipart/form-data. With htmx the browser sends it by XHR and upload.js
shows the progress; without script it is a plain form post. Either way the multipart parser
spools the file to disk and the package service streams it from there to the blob store.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.datastructures import UploadFile
from starlette.responses import Response

from registry.artifacts.schemas import ArtifactCreateRequest
from registry.artifacts.service import parse_type
from registry.errors import RatingDisqualifiedError, RegistryError, ValidationError
from registry.packages.upload import check_declared_size, check_upload_name, check_version
from registry.rating.ingest import ingest_model
from registry.storage.base import CHUNK_SIZE
from registry.transport.requests import parse_model
from registry.web.context import Page, artifact_form, field, page, redirect

log = logging.getLogger("registry.web")
UPLOAD_FIELDS = ("type", "name", "version")


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK_SIZE):
        yield chunk


def _upload_error_field(exc: RegistryError) -> str:
    """Which field an upload error belongs to (zip problems belong to the file)."""
    message = exc.message.lower()
    if "artifact type" in message:
        return "type"
    if "version" in message:
        return "version"
    if "name" in message and "zip" not in message:
        return "name"
    return "file"


def _upload_form(
    current: Page,
    values: dict[str, str],
    error: dict[str, Any] | None = None,
    error_field: str = "file",
    status: int = 200,
) -> Response:
    limit = current.svc.settings.package_max_upload_bytes
    return artifact_form(current, "upload", values, error, error_field, status, limit=limit)


@page
async def upload_page(current: Page) -> Response:
    """GET /ui/upload: the form."""
    current.require("upload")
    return _upload_form(current, {"type": "model", "name": "", "version": "1.0.0"})


@page
async def upload_submit(current: Page) -> Response:
    """POST /ui/upload: store the zip as a new artifact and open its page; else say why not."""
    principal = current.require("upload")
    svc = current.svc
    values = {"type": "model", "name": "", "version": ""}
    try:
        declared = current.request.headers.get("content-length")
        if not declared:
            # The multipart parser spools files without a cap of its own: the declared length
            # (which the server holds the body to) is what bounds the spool.
            raise ValidationError("the upload needs a Content-Length header")
        check_declared_size(declared, svc.settings.package_max_upload_bytes)
        form = await current.form(max_files=1)
        try:
            values = {name: field(form, name).strip() for name in UPLOAD_FIELDS}
            artifact_type = parse_type(values["type"] or "model")
            name = check_upload_name(values["name"])
            version = check_version(values["version"])
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise ValidationError("choose a .zip file to upload")
            row = await svc.packages.upload(
                principal, artifact_type, name, version, _chunks(upload)
            )
        finally:
            await form.close()  # the spooled file goes at once, whatever the outcome
    except RegistryError as exc:
        if exc.code == "csrf_failed":
            raise
        return _upload_form(
            current, values, exc.to_dict(), _upload_error_field(exc), exc.status_code
        )
    log.info("web upload: %s %s %s by %s", row.type, row.id, version, principal.name)
    return redirect(current, f"/ui/artifacts/{row.type}/{row.id}")


def _ingest_form(
    current: Page, url: str, error: dict[str, Any] | None = None, status: int = 200
) -> Response:
    return current.render_form("ingest", {"url": url, "error": error}, status)


@page
async def ingest_page(current: Page) -> Response:
    """GET /ui/ingest: the form."""
    current.require("upload")
    return _ingest_form(current, "")


@page
async def ingest_submit(current: Page) -> Response:
    """POST /ui/ingest: rate a hub model; register it only when vetted, else show why not."""
    principal = current.require("upload")
    form = await current.form()
    url = field(form, "url").strip()
    svc = current.svc
    try:
        body = parse_model(ArtifactCreateRequest, {"url": url})
        row = await ingest_model(svc.artifacts, svc.rating, principal, body)
    except RegistryError as exc:
        error = exc.to_dict()
        if isinstance(exc, RatingDisqualifiedError):
            error["refused"] = True
        return _ingest_form(current, url, error, exc.status_code)
    log.info("web ingest: %s by %s", row.id, principal.name)
    return redirect(current, f"/ui/artifacts/model/{row.id}")
