"""REST: the status of background jobs (mirrors, rating runs)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from registry.artifacts.service import parse_id
from registry.jobs.service import job_view
from registry.transport.artifacts import resolve
from registry.transport.requests import authenticate, services
from registry.transport.responses import json_response


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
    target = await resolve(request, "search")
    svc = target.svc
    async with svc.db.unit_of_work() as uow:
        row = await target.get(uow)
        jobs = await svc.jobs.for_artifact(uow, row.id)
    return json_response([job_view(job) for job in jobs])


ROUTES = [
    Route("/jobs/{job_id}", get_job, methods=["GET"]),
    Route("/artifacts/{artifact_type}/{id}/jobs", artifact_jobs, methods=["GET"]),
]
