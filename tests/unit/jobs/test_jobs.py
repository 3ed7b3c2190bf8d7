"""The background job service on SQLite and PostgreSQL: run, retry, fail, lease expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from registry.db.engine import Database
from registry.db.repositories.jobs import JobRepository
from registry.ids import utcnow
from registry.jobs.service import JobContext, JobService, job_view


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[Database]:
    url = (
        f"sqlite+aiosqlite:///{tmp_path / 'jobs.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_database")
    )
    db = Database(url)
    await db.migrate()
    async with db.unit_of_work(write=True) as uow:
        await JobRepository(uow.session).delete_all()
    yield db
    await db.dispose()


async def _enqueue(service: JobService, kind: str, **payload: Any) -> str:
    async with service.db.unit_of_work(write=True) as uow:
        job = await service.enqueue(uow, kind, artifact_id="42", payload=payload)
    return job.id


async def test_a_job_runs_and_records_its_result(database: Database) -> None:
    service = JobService(database)
    seen: list[JobContext] = []

    async def handler(ctx: JobContext) -> dict[str, Any]:
        seen.append(ctx)
        return {"doubled": ctx.payload["n"] * 2}

    service.register("double", handler)
    job_id = await _enqueue(service, "double", n=21)
    assert await service.run_once() is True
    assert await service.run_once() is False
    async with database.unit_of_work() as uow:
        job = await service.get(uow, job_id)
    assert job.status == "succeeded"
    assert job.result == {"doubled": 42}
    assert seen[0].attempt == 1 and seen[0].artifact_id == "42"
    assert job_view(job)["status"] == "succeeded"


async def test_failures_are_retried_then_reported(database: Database) -> None:
    service = JobService(database)
    attempts = 0

    async def flaky(ctx: JobContext) -> None:
        nonlocal attempts
        attempts += 1
        raise RuntimeError(f"upstream broke on attempt {ctx.attempt}")

    service.register("flaky", flaky, max_attempts=2, backoff_seconds=0)
    job_id = await _enqueue(service, "flaky")
    assert await service.run_once()
    async with database.unit_of_work() as uow:
        job = await service.get(uow, job_id)
    assert job.status == "queued" and "attempt 1" in (job.error or "")
    assert await service.run_once()
    async with database.unit_of_work() as uow:
        job = await service.get(uow, job_id)
    assert job.status == "failed"
    assert job.error == "RuntimeError: upstream broke on attempt 2"
    assert attempts == 2
    assert await service.counts() == {"failed": 1}


async def test_an_expired_lease_is_claimed_again(database: Database) -> None:
    service = JobService(database, lease_seconds=60)

    async def handler(ctx: JobContext) -> dict[str, Any]:
        return {"attempt": ctx.attempt}

    service.register("work", handler)
    job_id = await _enqueue(service, "work")
    # A process claims the job and dies: the row stays "running" with a lease.
    async with database.unit_of_work(write=True) as uow:
        now = utcnow()
        claimed = await JobRepository(uow.session).claim(["work"], now, now + timedelta(seconds=60))
        assert claimed is not None
    assert await service.run_once() is False  # the lease still holds
    async with database.unit_of_work(write=True) as uow:
        job = await service.get(uow, job_id)
        job.lease_until = utcnow() - timedelta(seconds=1)
        await JobRepository(uow.session).save(job)
    assert await service.run_once() is True
    async with database.unit_of_work() as uow:
        job = await service.get(uow, job_id)
    assert job.status == "succeeded" and job.result == {"attempt": 2}


async def test_workers_run_jobs_in_the_background_and_wait_returns(database: Database) -> None:
    service = JobService(database, poll_seconds=0.05)
    done = asyncio.Event()

    async def handler(ctx: JobContext) -> dict[str, Any]:
        done.set()
        return {}

    service.register("bg", handler)
    service.start()
    try:
        job_id = await _enqueue(service, "bg")
        service.wake()
        job = await service.wait(job_id, 10)
        assert job.status == "succeeded"
        assert done.is_set()
    finally:
        await service.stop()


async def test_unknown_kind_and_unknown_job(database: Database) -> None:
    service = JobService(database)
    with pytest.raises(ValueError, match="unknown job kind"):
        async with database.unit_of_work(write=True) as uow:
            await service.enqueue(uow, "nope")
    from registry.errors import NotFoundError

    with pytest.raises(NotFoundError):
        async with database.unit_of_work() as uow:
            await service.get(uow, "missing")


async def test_cancelled_jobs_are_not_run(database: Database) -> None:
    service = JobService(database)
    ran = False

    async def handler(ctx: JobContext) -> None:
        nonlocal ran
        ran = True

    service.register("work", handler)
    job_id = await _enqueue(service, "work")
    async with database.unit_of_work(write=True) as uow:
        await JobRepository(uow.session).cancel_for_artifact("42")
    assert await service.run_once() is False
    assert not ran
    async with database.unit_of_work() as uow:
        assert (await service.get(uow, job_id)).status == "cancelled"
