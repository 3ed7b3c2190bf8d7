"""Job workers while the database goes away: a job running at that moment cannot record its
end, keeps its lease until the lease runs out, and is claimed and run again once the database
is back; the workers themselves survive the outage and need no restart."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from sqlalchemy import text
from starlette.applications import Starlette

from registry.errors import DatabaseUnavailableError
from registry.ids import utcnow
from registry.jobs.service import JobContext, JobService
from tests.fixtures.disaster import DEADLINE, LEASE, Faults
from tests.fixtures.registry_probe import sql_rows

KIND = "disaster_probe"


async def test_a_job_cut_off_by_a_database_outage_is_retried_after_it_returns(
    admin: httpx.AsyncClient, disaster_app: Starlette, faults: Faults
) -> None:
    jobs: JobService = disaster_app.state.services.jobs
    db = disaster_app.state.services.db
    running = asyncio.Event()
    failed = asyncio.Event()
    outage = asyncio.Event()
    attempts: list[int] = []

    async def probe(context: JobContext) -> dict[str, Any]:
        attempts.append(context.attempt)
        if context.attempt == 1:
            running.set()
            await outage.wait()  # the database is gone now: this attempt cannot finish
        try:
            async with db.unit_of_work() as uow:
                await uow.session.execute(text("SELECT 1"))
        except DatabaseUnavailableError:
            failed.set()
            raise
        return {"attempt": context.attempt}

    jobs.register(KIND, probe, max_attempts=3, backoff_seconds=0.1)
    async with db.unit_of_work(write=True) as uow:
        job = await jobs.enqueue(uow, KIND)
    jobs.wake()
    await asyncio.wait_for(running.wait(), DEADLINE)

    faults.database.set_mode("stop")
    outage.set()
    await asyncio.wait_for(failed.wait(), DEADLINE)
    # Recording the failure failed too: the row still says running. Hold the outage until its
    # lease has run out (read directly, not through the proxy), so the retry is the lease's.
    deadline = time.monotonic() + DEADLINE
    while True:
        (row,) = sql_rows(faults.database_url, "SELECT * FROM jobs WHERE id = $1", job.id)
        assert row["status"] == "running" and row["attempts"] == 1, row
        if row["lease_until"] < utcnow():
            break
        assert time.monotonic() < deadline, "the lease never ran out"
        await asyncio.sleep(0.1)
    faults.database.set_mode("pass")

    started = time.monotonic()
    finished = await jobs.wait(job.id, DEADLINE + LEASE)
    assert finished.status == "succeeded", (finished.status, finished.error)
    assert finished.result == {"attempt": 2}
    assert attempts == [1, 2]
    assert time.monotonic() - started < DEADLINE + LEASE
    await jobs.wait_idle(DEADLINE)  # nothing left queued or running


async def test_a_job_whose_every_attempt_died_is_reported_failed(
    admin: httpx.AsyncClient, disaster_app: Starlette
) -> None:
    """A claim that finds the attempts used up by dead processes reports the job failed
    instead of running it again (a job that kills its process must not loop)."""
    jobs: JobService = disaster_app.state.services.jobs
    db = disaster_app.state.services.db
    ran: list[int] = []

    async def never(context: JobContext) -> None:
        ran.append(context.attempt)

    jobs.register("disaster_dead", never, max_attempts=1)
    async with db.unit_of_work(write=True) as uow:
        job = await jobs.enqueue(uow, "disaster_dead")
        # As a process killed during its one attempt leaves it: running, lease expired.
        job.status, job.attempts, job.lease_until = "running", 1, job.created_at
        uow.session.add(job)
    jobs.wake()
    finished = await jobs.wait(job.id, DEADLINE)
    assert finished.status == "failed"
    assert "lease expired" in (finished.error or "")
    assert ran == []
