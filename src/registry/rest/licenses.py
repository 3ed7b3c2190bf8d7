"""REST: the license check (bare boolean) and its explanation (extension)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from registry.artifacts.schemas import ArtifactType
from registry.licenses.rules import Verdict
from registry.licenses.service import SimpleLicenseCheckRequest
from registry.transport.artifacts import resolve
from registry.transport.requests import parse_model, read_json
from registry.transport.responses import json_response


def render_verdict(verdict: Verdict, repo_id: str) -> dict[str, Any]:
    """The LicenseCheckExplanation body."""
    return {
        "compatible": verdict.compatible,
        "rule": verdict.rule,
        "reason": verdict.reason,
        "policy": verdict.policy.value,
        "model_license": verdict.model_license,
        "code_license": verdict.code_license,
        "github_repo": repo_id,
        "obligations": verdict.obligations,
    }


async def _verdict(request: Request) -> tuple[Verdict, str]:
    target = await resolve(request, "search", artifact_type=ArtifactType.model)
    body = parse_model(SimpleLicenseCheckRequest, await read_json(request))
    licenses = target.svc.lineage.licenses
    licenses.github_repo(body.github_url)  # 400 for a non-GitHub URL before any lookup
    row = await target.read()
    # GitHub is asked after the read transaction ends: a slow API holds no connection.
    return await licenses.explain(row.license, body.github_url, body.policy)


async def license_check(request: Request) -> Response:
    """POST /artifact/model/{id}/license-check: may the code and model be used together?"""
    verdict, _repo = await _verdict(request)
    return json_response(verdict.compatible)


async def license_explain(request: Request) -> Response:
    """POST /artifact/model/{id}/license-check/explain: verdict, deciding rule, obligations."""
    verdict, repo = await _verdict(request)
    return json_response(render_verdict(verdict, repo))


ROUTES = [
    Route("/artifact/model/{id}/license-check", license_check, methods=["POST"]),
    Route("/artifact/model/{id}/license-check/explain", license_explain, methods=["POST"]),
]
