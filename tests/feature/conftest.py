"""The real app in process (httpx.ASGITransport), on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from registry.app import create_app
from registry.config import Settings
from tests.fixtures.registry_client import (
    ADMIN,
    ADMIN_PASSWORD,
    WebClient,
    api_client,
    browser_like,
    drain_jobs,
    login,
    token_of,
)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Every feature test runs once per metadata backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'registry.db'}"
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture(scope="session")
def settings(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, fake_hub: Any, fake_github: Any
) -> Settings:
    """Settings pointing at the fakes and a temporary blob directory."""
    return Settings(
        database_url=database_url,
        blob_backend="local",
        blob_local_path=Path(tmp_path_factory.mktemp("blobs")),
        hf_endpoint=fake_hub.url,
        github_api_url=fake_github.url,
        source_timeout_seconds=5,
        # At most 10 connections: server processes of other suites share one PostgreSQL
        # (100 connections by default) with this app; concurrency tests queue on the pool.
        database_pool_size=5,
    )


@pytest_asyncio.fixture(scope="session")
async def registry_app(settings: Settings) -> AsyncIterator[Starlette]:
    """One app per backend for the session, with its lifespan running."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest_asyncio.fixture
async def fresh(registry_app: Starlette) -> str:
    """Drain the previous test's background jobs, reset the registry; return an admin token."""
    await drain_jobs(registry_app)
    async with api_client(registry_app) as setup:
        token = await login(setup)
        reset = await setup.delete("/reset", headers={"X-Authorization": token})
        assert reset.status_code == 200, reset.text
    return token


@pytest_asyncio.fixture
async def anon(registry_app: Starlette, fresh: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client without a token, on a freshly reset registry."""
    async with api_client(registry_app) as client:
        yield client


@pytest_asyncio.fixture
async def client(registry_app: Starlette, fresh: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding a default-admin token, on a freshly reset registry."""
    async with api_client(registry_app) as client:
        client.headers["X-Authorization"] = fresh
        yield client


@pytest_asyncio.fixture
async def make_user(client: httpx.AsyncClient, registry_app: Starlette) -> Any:
    """Factory: register a user with permissions and return a client logged in as them."""
    opened: list[httpx.AsyncClient] = []

    async def factory(
        name: str,
        *,
        upload: bool = False,
        search: bool = True,
        download: bool = True,
        is_admin: bool = False,
        password: str = "s3cret-passw0rd",
    ) -> httpx.AsyncClient:
        response = await client.post(
            "/users",
            json={
                "user": {"name": name, "is_admin": is_admin},
                "secret": {"password": password},
                "permissions": {"upload": upload, "search": search, "download": download},
            },
        )
        assert response.status_code == 201, response.text
        user_client = api_client(registry_app)
        opened.append(user_client)
        user_client.headers["X-Authorization"] = await login(user_client, name, password)
        return user_client

    yield factory
    for user_client in opened:
        await user_client.aclose()


@pytest_asyncio.fixture
async def web(registry_app: Starlette, fresh: str) -> AsyncIterator[WebClient]:
    """Factory: a browser-like client signed in through the form (admin by default)."""
    opened: list[httpx.AsyncClient] = []

    async def factory(name: str = ADMIN, password: str = ADMIN_PASSWORD) -> httpx.AsyncClient:
        client = browser_like(registry_app)
        opened.append(client)
        form = await client.get("/ui/login")
        signed = await client.post(
            "/ui/login",
            data={"csrf_token": token_of(form.text), "name": name, "password": password},
        )
        assert signed.status_code == 303, signed.text
        return client

    yield factory
    for client in opened:
        await client.aclose()
