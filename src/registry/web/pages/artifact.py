"""One artifact's page (metadata, files, card, contributed sections, audit trail) and its
actions: download a part, rate, check a license."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from registry.artifacts.schemas import ArtifactType, artifact_of
from registry.errors import RegistryError
from registry.ids import isoformat_z
from registry.licenses.service import SimpleLicenseCheckRequest
from registry.packages.parts import parse_part
from registry.transport.downloads import serve_content
from registry.transport.requests import base_url, parse_model
from registry.web.context import Page, field, page, redirect
from registry.web.service import web_service

FILES_SHOWN = 500  # a dataset with 100k files still renders a page quickly


@page
async def artifact_page(current: Page) -> Response:
    """GET /ui/artifacts/{artifact_type}/{id}."""
    principal = current.require("search")
    target = current.target(principal)
    svc = current.svc
    trail: list[dict[str, Any]] | None = None
    # Admins see the audit trail, and reading it is audited, as on the REST route.
    async with svc.db.unit_of_work(write=principal.is_admin) as uow:
        row = await target.get(uow)
        sections = await web_service(current.request).section_blocks(uow, row, principal)
        if principal.is_admin:
            trail = await svc.audit.trail(uow, row)
            await svc.audit.record(uow, principal, row, "AUDIT")
    files = sorted(row.files, key=lambda f: str(f.get("path", "")))
    return current.render(
        "artifact/page.html",
        {
            "row": row,
            "envelope": artifact_of(row, base_url(current.request)),
            "created_at": isoformat_z(row.created_at),
            "updated_at": isoformat_z(row.updated_at),
            "files": files[:FILES_SHOWN],
            "files_total": len(files),
            "sections": sections,
            "trail": trail,
        },
    )


@page
async def download(current: Page) -> Response:
    """GET /ui/artifacts/{artifact_type}/{id}/download[?part=]: as the REST download, audited."""
    target = current.target(current.require("download"))
    part = parse_part(current.request.query_params.get("part"))
    svc = current.svc
    content = await svc.packages.download(target.principal, target.type, target.id, part)
    return await serve_content(current.request, svc, content)


@page
async def rate(current: Page) -> Response:
    """POST /ui/artifacts/model/{id}/rate: rate a model now, or recompute its rating."""
    principal = current.require("search")
    form = await current.form()
    target = current.target(principal, ArtifactType.model)
    if field(form, "refresh"):
        current.require("upload")
        await current.svc.rating.refresh(target.id)
    else:
        await current.svc.rating.rate(principal, target.id)
    return redirect(current, f"/ui/artifacts/model/{target.id}#section-trust")


@page
async def license_check(current: Page) -> Response:
    """POST /ui/artifacts/model/{id}/license-check: the explained verdict, as a fragment."""
    principal = current.require("search")
    form = await current.form()
    target = current.target(principal, ArtifactType.model)
    licenses = current.svc.lineage.licenses
    context: dict[str, Any]
    try:
        body = parse_model(
            SimpleLicenseCheckRequest,
            {"github_url": field(form, "github_url").strip(), "policy": field(form, "policy")},
        )
        licenses.github_repo(body.github_url)  # 400 for a non-GitHub URL before any lookup
        row = await target.read()
        verdict, repo = await licenses.explain(row.license, body.github_url, body.policy)
        context, status = {"verdict": verdict, "repo": repo}, 200
    except RegistryError as exc:
        context, status = {"error": exc.to_dict()}, exc.status_code
    if current.is_htmx:
        return current.render("sections/license_result.html", context, status)
    return current.render("license_result_page.html", context | {"artifact_id": target.id}, status)


@page
async def mirror(current: Page) -> Response:
    """POST /ui/artifacts/{artifact_type}/{id}/mirror (admins): queue a mirror, e.g. a dataset."""
    principal = current.require("admin")
    await current.form()
    target = current.target(principal)
    svc = current.svc
    async with svc.db.unit_of_work(write=True) as uow:
        row = await target.get(uow)
        await svc.packages.request_mirror(uow, row)
    svc.jobs.wake()
    return redirect(current, f"/ui/artifacts/{row.type}/{row.id}#section-downloads")
