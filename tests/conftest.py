"""Session-wide test resources: the fake hub and GitHub, and a throwaway PostgreSQL database."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.fixtures.pytest_plugin"]
# Fixture repositories hold code files (some named test_*.py) that are data, not our tests.
collect_ignore_glob = ["fixtures/data/*"]

ADMIN = "ece30861defaultadminuser"
ADMIN_PASSWORD = "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE artifacts;"


def postgres_admin_url() -> str:
    """Where the test PostgreSQL server is (REGISTRY_TEST_POSTGRES_URL)."""
    return os.environ.get(
        "REGISTRY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )


async def _admin_execute(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(postgres_admin_url(), timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _run(statement: str) -> None:
    # A thread of its own, so this works even when an event loop is already running here.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _admin_execute(statement)).result()


def _postgres_reachable() -> bool:
    try:
        _run("SELECT 1")
    except (TimeoutError, OSError, Exception):
        return False
    return True


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session; dropped afterwards.

    Skipped only on a developer machine without PostgreSQL; when CI is set it is required.
    """
    if not _postgres_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {postgres_admin_url()} is required in CI but not reachable")
        pytest.skip("PostgreSQL not reachable (set REGISTRY_TEST_POSTGRES_URL)")
    name = f"registry_test_{os.getpid()}_{secrets.token_hex(4)}"
    _run(f'CREATE DATABASE "{name}"')
    base = postgres_admin_url().rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        _run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
