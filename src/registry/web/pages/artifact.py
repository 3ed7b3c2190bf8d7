"""One artifact's page: metadata, files, license, card, contributed sections, audit trail."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from registry.artifacts.schemas import artifact_of
from registry.artifacts.service import parse_id, parse_type
from registry.ids import isoformat_z
from registry.rest.support import base_url
from registry.web.context import Page, page

FILES_SHOWN = 500  # a dataset with 100k files still renders a page quickly


@page
async def artifact_page(current: Page) -> Response:
    """GET /ui/artifacts/{artifact_type}/{id}."""
    principal = current.require("search")
    params = current.request.path_params
    artifact_type = parse_type(params["artifact_type"])
    artifact_id = parse_id(params["id"])
    svc = current.svc
    trail: list[dict[str, Any]] | None = None
    # Admins see the audit trail, and reading it is audited, as on the REST route.
    async with svc.db.unit_of_work(write=principal.is_admin) as uow:
        row = await svc.artifacts.get(uow, artifact_type, artifact_id)
        sections = await svc.web.section_blocks(uow, row, principal)
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
