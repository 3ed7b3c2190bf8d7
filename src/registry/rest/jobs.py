"""REST: the status of background jobs (mirrors, rating runs)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from registry.artifacts.service import parse_id, parse_type
from registry.jobs.service import job_view
from registry.rest.support import authenticate, json_response, services


async def get_job(request: Request) -> Response:
    """GET /jobs/{job_id}: one job's status, attempts, last error and result."""
    await authenticate(request, "search")
    svc = services(request)
    job_id = parse_id(request.path_params["job_id"])
    async with svc.db.unit_of_work() as uow:
        job = await svc.jobs.get(uow, job_id)
    return json_response(job_view(job))


async def artifact_jobs(request: Request) -> Response:
    """GET /artifacts/{artifact_type}/{id}/jobs: the artifact's jobs, newest first."""
    await authenticate(request, "search")
    artifact_type = parse_type(request.path_params["artifact_type"])
    artifact_id = parse_id(request.path_params["id"])
    svc = services(request)
    async with svc.db.unit_of_work() as uow:
        row = await svc.artifacts.get(uow, artifact_type, artifact_id)
        jobs = await svc.jobs.for_artifact(uow, row.id)
    return json_response([job_view(job) for job in jobs])


ROUTES = [
    Route("/jobs/{job_id}", get_job, methods=["GET"]),
    Route("/artifacts/{artifact_type}/{id}/jobs", artifact_jobs, methods=["GET"]),
]
