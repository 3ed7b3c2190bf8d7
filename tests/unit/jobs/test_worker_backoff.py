"""Job workers during a database outage: they slow their polling and log a handful of records."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from registry.db.engine import Database
from registry.jobs.service import JobService, poll_backoff
from registry.logdedup import RepeatedErrorLog
from tests.fixtures.servers import closed_port_url


class RecordingWorkers(JobService):
    """Waits no real time: records each wait, moves a fake clock, stops after `limit` waits."""

    def __init__(self, db: Database, limit: int) -> None:
        super().__init__(db, concurrency=1, poll_seconds=0.5, max_backoff_seconds=30.0)
        self.now = 0.0
        self.waits: list[float] = []
        self.limit = limit
        self.done = asyncio.Event()
        self._claim_errors = RepeatedErrorLog(
            logging.getLogger("registry.jobs"),
            "job worker failed to claim a job",
            clock=lambda: self.now,
        )

    async def _idle(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        if len(self.waits) >= self.limit:
            self.done.set()
            await asyncio.Event().wait()  # parked until stop() cancels the worker
        await asyncio.sleep(0)


class FlakyWorkers(RecordingWorkers):
    """Claims fail, then succeed once (nothing to run), then fail again."""

    def __init__(self, db: Database, outcomes: list[bool | None]) -> None:
        super().__init__(db, limit=len(outcomes))
        self.outcomes = outcomes

    async def run_once(self) -> bool:
        outcome = self.outcomes.pop(0)
        if outcome is None:
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
        return outcome


@pytest_asyncio.fixture
async def unreachable_database() -> AsyncIterator[Database]:
    port = closed_port_url().rsplit(":", 1)[1]
    db = Database(f"postgresql://postgres@127.0.0.1:{port}/registry")
    yield db
    await db.dispose()


async def _run_until_done(workers: RecordingWorkers) -> None:
    workers.start()
    try:
        await asyncio.wait_for(workers.done.wait(), 60)
    finally:
        await workers.stop()


async def test_an_outage_logs_a_handful_of_records_not_one_per_claim(
    unreachable_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="registry.jobs")
    workers = RecordingWorkers(unreachable_database, limit=100)
    await _run_until_done(workers)
    records = [r for r in caplog.records if r.name == "registry.jobs"]
    # 100 real failed claims (connection refused) over ~48 simulated minutes of back-off.
    assert len(workers.waits) == 100
    assert 2 <= len(records) <= 12, [r.getMessage() for r in records]
    assert records[0].exc_info is not None
    assert sum(r.exc_info is not None for r in records) == 1
    assert "repeated" in records[1].getMessage()


async def test_polling_backs_off_while_claims_fail_and_resets_on_success(
    unreachable_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="registry.jobs")
    outcomes: list[bool | None] = [None] * 9 + [False] + [None] * 2
    workers = FlakyWorkers(unreachable_database, outcomes)
    await _run_until_done(workers)
    assert workers.waits == [0.5, 1, 2, 4, 8, 16, 30, 30, 30, 0.5, 0.5, 1]
    messages = [r.getMessage() for r in caplog.records if r.name == "registry.jobs"]
    assert "job worker failed to claim a job: recovered after 9 failure(s) over 122 s" in messages


def test_poll_backoff_doubles_up_to_the_cap() -> None:
    assert [poll_backoff(n, 1.0, 10.0) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
    assert poll_backoff(10_000, 1.0, 10.0) == 10  # no overflow after a very long outage
