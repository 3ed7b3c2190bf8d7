"""The metadata database (PostgreSQL) stops, resets connections, goes silent or slows down:
requests answer 503 database_unavailable within DEADLINE, a failed create leaves no row, and
the same app answers 200 again once the database is back (no restart)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable

import httpx
import pytest

from registry.db.engine import Database
from registry.errors import DatabaseUnavailableError
from tests.fixtures.disaster import DEADLINE, Faults
from tests.fixtures.fault_proxy import Mode
from tests.fixtures.registry_client import HF
from tests.fixtures.registry_probe import sql_rows

BERT = f"{HF}/google-bert/bert-base-uncased"
MINI = f"{HF}/sentence-transformers/all-MiniLM-L6-v2"


async def timed(call: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    """The response of a request and how long it took (a hang fails after 2 x DEADLINE)."""
    started = time.monotonic()
    response = await asyncio.wait_for(call, DEADLINE * 2)
    return response, time.monotonic() - started


def assert_database_unavailable(response: httpx.Response, took: float) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["error"] == "database_unavailable"
    assert "database" in body["message"]
    assert took < DEADLINE, f"answered after {took:.1f} s"


@pytest.mark.parametrize("mode", ["stop", "reset", "blackhole"])
async def test_a_lost_database_answers_503_then_recovers_without_a_restart(
    admin: httpx.AsyncClient, faults: Faults, mode: Mode
) -> None:
    created = await admin.post("/artifact/model", json={"url": BERT})
    assert created.status_code == 201, created.text
    artifact_id = created.json()["metadata"]["id"]

    faults.database.set_mode(mode)
    read, took = await timed(admin.get(f"/artifacts/model/{artifact_id}"))
    assert_database_unavailable(read, took)
    write, took = await timed(admin.post("/artifact/model", json={"url": MINI}))
    assert_database_unavailable(write, took)
    login, took = await timed(
        admin.put("/authenticate", json={"user": {"name": "x"}, "secret": {"password": "y"}})
    )
    assert_database_unavailable(login, took)
    assert (await admin.get("/health")).status_code == 200  # liveness touches no backend

    faults.database.set_mode("pass")
    again = await admin.get(f"/artifacts/model/{artifact_id}")
    assert again.status_code == 200, again.text
    # The refused create left nothing behind: one artifact, the one created before the fault.
    rows = sql_rows(faults.database_url, "SELECT name FROM artifacts")
    assert [r["name"] for r in rows] == ["bert-base-uncased"]
    retried = await admin.post("/artifact/model", json={"url": MINI})
    assert retried.status_code == 201, retried.text


async def test_a_slow_database_still_answers(admin: httpx.AsyncClient, faults: Faults) -> None:
    faults.database.set_mode("slow", delay=0.05)
    created, took = await timed(admin.post("/artifact/model", json={"url": BERT}))
    assert created.status_code == 201, created.text
    assert took < DEADLINE
    read = await admin.get(f"/artifacts/model/{created.json()['metadata']['id']}")
    assert read.status_code == 200, read.text


@pytest.mark.parametrize("mode", ["reset", "stop", "blackhole"])
async def test_a_connection_lost_mid_transaction_is_database_unavailable(
    faults: Faults, mode: Mode
) -> None:
    """The unit of work turns a loss after BEGIN (asyncpg or socket errors, a statement
    timeout) into DatabaseUnavailableError and drops the connection; the pool then recovers."""
    from sqlalchemy import text

    db = Database(
        faults.database.rewrite(faults.database_url), connect_timeout=3, command_timeout=3
    )
    try:
        with pytest.raises(DatabaseUnavailableError, match="database unavailable"):
            async with db.unit_of_work(write=True) as uow:
                await uow.session.execute(text("SELECT 1"))
                faults.database.set_mode(mode)
                await uow.session.execute(text("SELECT 2"))
        faults.database.set_mode("pass")
        async with db.unit_of_work() as uow:
            assert (await uow.session.execute(text("SELECT 3"))).scalar_one() == 3
    finally:
        faults.database.set_mode("pass")
        await db.dispose()
