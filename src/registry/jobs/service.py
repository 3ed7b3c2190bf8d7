"""Tracked background jobs: enqueue in the request's transaction, run in worker tasks.

Work that can run long (mirroring a model, running a model card's demo) must never hold a
request open. A job row makes it durable and visible (queued, running, succeeded, failed, with
attempts and the last error); worker tasks claim jobs with a lease, so a job whose process died
is picked up again once its lease runs out, and a failing job is retried with backoff, then
reported as failed — never dropped silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from registry.db.engine import Database
from registry.db.models.jobs import JobRow
from registry.db.repositories import UnitOfWork
from registry.db.repositories.jobs import JobRepository
from registry.errors import NotFoundError
from registry.ids import utcnow
from registry.logdedup import RepeatedErrorLog

log = logging.getLogger("registry.jobs")


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a handler is told about the job it runs."""

    id: str
    kind: str
    artifact_id: str | None
    payload: dict[str, Any]
    attempt: int


Handler = Callable[[JobContext], Awaitable[dict[str, Any] | None]]


@dataclass(slots=True)
class _Kind:
    handler: Handler
    max_attempts: int
    backoff_seconds: float
    timeout_seconds: float


@dataclass(slots=True)
class JobService:
    """Registers job kinds, enqueues jobs, and runs them in background worker tasks."""

    db: Database
    concurrency: int = 2
    lease_seconds: float = 120.0
    poll_seconds: float = 1.0
    max_backoff_seconds: float = 30.0  # polling slows down to this while claims keep failing
    _claim_errors: RepeatedErrorLog = field(
        default_factory=lambda: RepeatedErrorLog(log, "job worker failed to claim a job")
    )
    _kinds: dict[str, _Kind] = field(default_factory=dict)
    _workers: list[asyncio.Task[None]] = field(default_factory=list)
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    _finished: dict[str, asyncio.Event] = field(default_factory=dict)

    def register(
        self,
        kind: str,
        handler: Handler,
        *,
        max_attempts: int = 3,
        backoff_seconds: float = 2.0,
        timeout_seconds: float = 3600.0,
    ) -> None:
        """Declare a job kind and the coroutine that runs it."""
        self._kinds[kind] = _Kind(handler, max_attempts, backoff_seconds, timeout_seconds)

    async def enqueue(
        self,
        uow: UnitOfWork,
        kind: str,
        *,
        artifact_id: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> JobRow:
        """Add a job inside the caller's transaction; call wake() after the commit."""
        if kind not in self._kinds:
            raise ValueError(f"unknown job kind {kind!r}")
        now = utcnow()
        job = JobRow(
            id=secrets.token_hex(8),
            kind=kind,
            artifact_id=artifact_id,
            payload=payload or {},
            status="queued",
            max_attempts=self._kinds[kind].max_attempts,
            run_after=now,
            created_at=now,
            updated_at=now,
        )
        return await JobRepository(uow.session).add(job)

    def wake(self) -> None:
        """Nudge idle workers (jobs from other processes are found by polling)."""
        self._wakeup.set()

    async def get(self, uow: UnitOfWork, job_id: str) -> JobRow:
        """One job, or 404."""
        job = await JobRepository(uow.session).get(job_id)
        if job is None:
            raise NotFoundError(f"job '{job_id}' does not exist")
        return job

    async def for_artifact(self, uow: UnitOfWork, artifact_id: str) -> list[JobRow]:
        """The artifact's jobs, newest first."""
        return list(await JobRepository(uow.session).for_artifact(artifact_id))

    async def counts(self) -> dict[str, int]:
        """Jobs per status (health)."""
        async with self.db.unit_of_work() as uow:
            return await JobRepository(uow.session).counts()

    async def wait(self, job_id: str, seconds: float) -> JobRow:
        """Wait until a job has finished (succeeded or failed) or the timeout passes."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            async with self.db.unit_of_work() as uow:
                job = await self.get(uow, job_id)
            if job.status in ("succeeded", "failed", "cancelled"):
                return job
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return job
            event = self._finished.setdefault(job_id, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, self.poll_seconds))

    async def wait_idle(self, seconds: float) -> None:
        """Wait until no job is queued or running (queued retries included); TimeoutError after
        `seconds`. Tests and shutdown use it to drain background work they do not study."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            counts = await self.counts()
            if not counts.get("queued") and not counts.get("running"):
                return
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"background jobs still busy after {seconds:g} s: {counts}")
            self.wake()  # a queued job waiting on its backoff is only found by a worker's poll
            await asyncio.sleep(min(remaining, 0.05))

    def start(self) -> None:
        """Start the worker tasks."""
        for index in range(self.concurrency):
            self._workers.append(asyncio.create_task(self._work(), name=f"job-worker-{index}"))

    async def stop(self) -> None:
        """Cancel the workers; running jobs are retried by whoever claims them after the lease."""
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers.clear()

    async def run_once(self) -> bool:
        """Claim and run one runnable job; tell whether there was one."""
        now = utcnow()
        async with self.db.unit_of_work(write=True) as uow:
            job = await JobRepository(uow.session).claim(
                list(self._kinds), now, now + timedelta(seconds=self.lease_seconds)
            )
        if job is None:
            return False
        if job.attempts > job.max_attempts:
            # Its last attempt died with its process (the lease ran out): report, never loop.
            error = "interrupted: the process running its last attempt stopped (lease expired)"
            await self._finish(job.id, None, error, self._kinds[job.kind])
            return True
        await self._run(job)
        return True

    async def _work(self) -> None:
        failures = 0
        while True:
            try:
                ran = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep the worker alive whatever the database did
                # One traceback per kind of failure, then counts: an outage must not flood logs.
                self._claim_errors.failure(exc)
                failures += 1
                delay = poll_backoff(failures, self.poll_seconds, self.max_backoff_seconds)
                await self._idle(delay)
                continue
            if failures:
                failures = 0
                self._claim_errors.success()
            if not ran:
                await self._idle(self.poll_seconds)

    async def _idle(self, seconds: float) -> None:
        """Wait `seconds`, or less when wake() is called (a job was committed)."""
        self._wakeup.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)

    async def _run(self, job: JobRow) -> None:
        kind = self._kinds[job.kind]
        context = JobContext(job.id, job.kind, job.artifact_id, dict(job.payload), job.attempts)
        heartbeat = asyncio.create_task(self._renew_lease(job.id))
        error: str | None = None
        result: dict[str, Any] | None = None
        try:
            result = await asyncio.wait_for(kind.handler(context), kind.timeout_seconds)
        except asyncio.CancelledError:
            heartbeat.cancel()
            raise
        except Exception as exc:  # the failure is recorded on the job, never lost
            error = f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"[:2000]
            log.warning("job %s (%s) attempt %d failed: %s", job.id, job.kind, job.attempts, error)
        finally:
            heartbeat.cancel()
        await self._finish(job.id, result, error, kind)

    async def _finish(
        self, job_id: str, result: dict[str, Any] | None, error: str | None, kind: _Kind
    ) -> None:
        now = utcnow()
        async with self.db.unit_of_work(write=True) as uow:
            repo = JobRepository(uow.session)
            job = await repo.get(job_id)
            if job is None or job.status == "cancelled":
                return
            job.updated_at = now
            job.lease_until = None
            if error is None:
                job.status, job.result, job.error = "succeeded", result or {}, None
            elif job.attempts < job.max_attempts:
                job.status, job.error = "queued", error
                job.run_after = now + timedelta(
                    seconds=kind.backoff_seconds * 2 ** (job.attempts - 1)
                )
            else:
                job.status, job.error = "failed", error
            await repo.save(job)
            final = job.status in ("succeeded", "failed")
        if final:
            self._finished.pop(job_id, asyncio.Event()).set()

    async def _renew_lease(self, job_id: str) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                async with self.db.unit_of_work(write=True) as uow:
                    repo = JobRepository(uow.session)
                    job = await repo.get(job_id)
                    if job is None or job.status != "running":
                        return
                    job.lease_until = utcnow() + timedelta(seconds=self.lease_seconds)
                    await repo.save(job)
            except Exception as exc:
                # The database is away: keep trying. Should the lease run out meanwhile,
                # another worker may claim the job again (it is retried, never lost).
                log.warning("job %s: lease renewal failed: %s", job_id, exc)


def poll_backoff(failures: int, base: float, cap: float) -> float:
    """The wait after the n-th failure in a row: base doubled per failure, at most cap."""
    return min(cap, base * 2.0 ** min(failures - 1, 32))


def job_view(job: JobRow) -> dict[str, Any]:
    """Render a job for the REST API."""
    from registry.ids import isoformat_z

    return {
        "id": job.id,
        "kind": job.kind,
        "artifact_id": job.artifact_id,
        "status": job.status,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "error": job.error,
        "result": job.result,
        "created_at": isoformat_z(job.created_at),
        "updated_at": isoformat_z(job.updated_at),
    }
