"""Server errors name no internal address: an S3 store that cannot be reached answers 500
without its endpoint, and /health/components shows no URL to anyone but admins."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from starlette.applications import Starlette

from registry.app import create_app
from registry.config import Settings
from tests.fixtures import zips
from tests.fixtures.registry_client import login
from tests.fixtures.servers import closed_port_url

ADDRESS = re.compile(r"://|127\.0\.0\.1|localhost:\d+")


@pytest_asyncio.fixture
async def broken_s3_app(settings: Settings) -> AsyncIterator[Starlette]:
    """The registry on the test database, its blob store an S3 endpoint where nothing listens."""
    app = create_app(
        settings.model_copy(
            update={
                "blob_backend": "s3",
                "s3_endpoint_url": closed_port_url(),
                "s3_create_bucket": False,  # the first call finds the endpoint down, not start-up
                "s3_access_key_id": "testing",
                "s3_secret_access_key": "testing",
            }
        )
    )
    async with app.router.lifespan_context(app):
        yield app


async def test_an_unreachable_s3_store_answers_503_without_its_url(
    broken_s3_app: Starlette, fresh: str
) -> None:
    transport = httpx.ASGITransport(app=broken_s3_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
        client.headers["X-Authorization"] = await login(client)
        response = await client.post(
            "/artifact/model/upload",
            params={"name": "unreachable-store", "version": "1.0.0"},
            content=zips.tiny_zip(),
            headers={"content-type": "application/zip"},
        )
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["error"] == "blob_store_unavailable"
    assert "could not be reached" in body["message"]
    assert not ADDRESS.search(response.text), response.text
    assert "127.0.0.1" not in response.text and "http://" not in response.text


async def test_health_names_no_address_to_anonymous_callers(
    broken_s3_app: Starlette, fresh: str
) -> None:
    transport = httpx.ASGITransport(app=broken_s3_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as anon:
        response = await anon.get("/health/components")
    assert response.status_code == 200
    by_id = {c["id"]: c for c in response.json()["components"]}
    assert by_id["blob-store"]["status"] == "critical"
    assert set(by_id["blob-store"]) == {"id", "status", "observed_at"}
    assert not ADDRESS.search(response.text), response.text
