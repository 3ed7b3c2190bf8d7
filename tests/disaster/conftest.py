"""The disaster scenarios' world: the real app in process, on PostgreSQL and moto's S3 server,
with the fake hub and fake GitHub, every one of them reached through a FaultProxy.

Short timeouts (connect, statement, S3, sources) and a short job lease keep each fault's
answer within seconds; the tests still bound their waits generously (DEADLINE), as the point
is that nothing hangs. Every test starts and ends with every proxy in pass mode.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from registry.app import create_app
from registry.config import Settings
from tests.fixtures.disaster import BUCKET, LEASE, Faults
from tests.fixtures.fault_proxy import FaultProxy
from tests.fixtures.postgres import throwaway_postgres_database
from tests.fixtures.registry_client import drain_jobs, login
from tests.fixtures.registry_probe import S3Bucket
from tests.fixtures.registry_processes import s3_protocol_server


@pytest.fixture(scope="session")
def disaster_database() -> Iterator[str]:
    """A PostgreSQL database of the suite's own."""
    with throwaway_postgres_database("registry_disaster") as url:
        yield url


@pytest.fixture(scope="session")
def faults(disaster_database: str, fake_hub: Any, fake_github: Any) -> Iterator[Faults]:
    """Start moto's S3 server and a proxy in front of each component."""
    with s3_protocol_server() as s3_url:
        proxies = [
            FaultProxy.to_url(url).start()
            for url in (disaster_database, s3_url, fake_hub.url, fake_github.url)
        ]
        try:
            yield Faults(*proxies, disaster_database, S3Bucket(s3_url, BUCKET))
        finally:
            for proxy in proxies:
                proxy.close()


@pytest.fixture(scope="session")
def disaster_settings(faults: Faults, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The app's settings: every component through its proxy, short bounds everywhere."""
    return Settings(
        database_url=faults.database.rewrite(faults.database_url),
        database_connect_timeout_seconds=3,
        database_command_timeout_seconds=5,
        blob_backend="s3",
        s3_endpoint_url=f"http://{faults.blobs.address}",
        s3_bucket=BUCKET,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
        s3_connect_timeout_seconds=2,
        s3_read_timeout_seconds=3,
        s3_max_attempts=2,
        hf_endpoint=f"http://{faults.hub.address}",
        github_api_url=f"http://{faults.github.address}",
        source_timeout_seconds=3,
        mirror_read_timeout_seconds=3,
        mirror_backoff_seconds=0.2,
        job_lease_seconds=LEASE,
        rating_reproducibility=False,  # no sandbox runs: they are not what these tests study
        blob_gc_interval_seconds=0,  # the tests run the collector themselves
        health_probe_interval_seconds=3600,
        package_tmp_dir=Path(tmp_path_factory.mktemp("spool")),
    )


@pytest_asyncio.fixture(scope="session")
async def disaster_app(disaster_settings: Settings) -> AsyncIterator[Starlette]:
    """One app for the suite, its lifespan running; it is never restarted by a scenario."""
    app = create_app(disaster_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest_asyncio.fixture
async def admin(disaster_app: Starlette, faults: Faults) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client on a reset registry, every proxy passing (also after the test)."""
    for proxy in faults.all():
        proxy.set_mode("pass")
    await drain_jobs(disaster_app)
    # Not api_client: openapi.yaml documents 503 on few paths, and 503 is what faults answer.
    transport = httpx.ASGITransport(app=disaster_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
        client.headers["X-Authorization"] = await login(client)
        reset = await client.delete("/reset")
        assert reset.status_code == 200, reset.text
        yield client
    for proxy in faults.all():
        proxy.set_mode("pass")
