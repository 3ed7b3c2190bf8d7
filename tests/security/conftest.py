"""The hostile-input suite's world: two `registry serve` processes on one PostgreSQL database
with S3 on moto's server, started once per session, and clients that fail a test on any 5xx.

The servers run with a token budget of TOKEN_CALLS (not 1000) so the budget attack stays
fast; every test therefore signs in for fresh tokens instead of sharing one.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.deployment import TOKEN_CALLS, Account, Deployment
from tests.fixtures.postgres import throwaway_postgres_database
from tests.fixtures.registry_probe import S3Bucket, ServerErrorLog, login
from tests.fixtures.registry_processes import (
    KEEPALIVE_SECONDS,
    ServerProcess,
    registry_env,
    s3_protocol_server,
)

BUCKET = "security-registry"
TIMEOUT = 120.0  # bounds a hang only; every wait in the suite is on a condition


def pytest_configure(config: pytest.Config) -> None:
    """Register the suite's marker (the project runs pytest with --strict-markers)."""
    config.addinivalue_line(
        "markers", "security: replays an attack against real server processes (tests/security)"
    )


@pytest.fixture(scope="session")
def security_database() -> Iterator[str]:
    """A PostgreSQL database of the suite's own (the e2e suite resets its own at will)."""
    with throwaway_postgres_database("registry_security") as url:
        yield url


@pytest.fixture(scope="session")
def security_s3() -> Iterator[str]:
    """moto's S3 server for the suite."""
    with s3_protocol_server() as url:
        yield url


def _process_env(base: dict[str, str], spool: Path) -> dict[str, str]:
    spool.mkdir(parents=True, exist_ok=True)
    return base | {"REGISTRY_PACKAGE_TMP_DIR": str(spool)}


@pytest.fixture(scope="session")
def deployment(
    security_database: str,
    security_s3: str,
    fake_hub: Any,
    fake_github: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    """Two server processes on one database and one bucket, for the whole session."""
    logs = tmp_path_factory.mktemp("security-servers")
    env = registry_env(security_database, security_s3, BUCKET, fake_hub.url, fake_github.url)
    env |= {
        "REGISTRY_TOKEN_MAX_CALLS": str(TOKEN_CALLS),
        "REGISTRY_RATING_REPRODUCIBILITY": "false",  # no sandbox runs: they are not under test
    }
    first = ServerProcess(_process_env(env, logs / "spool-1"), logs / "server-1.log")
    try:
        second = ServerProcess(_process_env(env, logs / "spool-2"), logs / "server-2.log")
    except BaseException:
        first.stop()
        raise
    try:
        yield Deployment(first, second, security_database, S3Bucket(security_s3, BUCKET), env, logs)
    finally:
        first.stop()
        second.stop()


@pytest.fixture
def start_extra_server(
    deployment: Deployment, tmp_path: Path
) -> Iterator[Callable[..., ServerProcess]]:
    """Factory for a third process on the same database and bucket, for attacks that would
    disturb the shared two (kill -9, a login flood); stopped when the test ends."""
    started: list[ServerProcess] = []

    def start(**overrides: str) -> ServerProcess:
        """Start one; keyword arguments override environment variables (REGISTRY_LOG_LEVEL=)."""
        index = len(started)
        env = _process_env(deployment.env | overrides, tmp_path / f"spool-extra-{index}")
        server = ServerProcess(env, tmp_path / f"server-extra-{index}.log")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(autouse=True)
def server_errors() -> Iterator[ServerErrorLog]:
    """Fails the test when any of its clients received a 5xx."""
    errors = ServerErrorLog()
    yield errors
    assert not errors.seen, f"the server answered 5xx to: {errors.seen[:10]}"


@pytest.fixture
def client(server_errors: ServerErrorLog) -> Iterator[Callable[..., httpx.Client]]:
    """Factory: an httpx client on a server (with a token when given), watched for 5xx."""
    opened: list[httpx.Client] = []

    def make(server: ServerProcess, token: str | None = None) -> httpx.Client:
        headers = {"X-Authorization": token} if token else {}
        made = httpx.Client(
            base_url=server.url,
            headers=headers,
            timeout=TIMEOUT,
            event_hooks={"response": [server_errors.sync_hook]},
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS),
        )
        opened.append(made)
        return made

    yield make
    for made in opened:
        made.close()


@pytest.fixture
def async_client(
    server_errors: ServerErrorLog,
) -> Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]:
    """Factory: `async with async_client(server, token) as c:` inside the test's own loop."""

    @asynccontextmanager
    async def make(
        server: ServerProcess, token: str | None = None, **kwargs: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        headers = {"X-Authorization": token} if token else {}
        kwargs.setdefault("limits", httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS))
        async with httpx.AsyncClient(
            base_url=server.url,
            headers=headers,
            timeout=TIMEOUT,
            event_hooks={"response": [server_errors.async_hook]},
            **kwargs,
        ) as made:
            yield made

    return make


@pytest.fixture
def admin(deployment: Deployment, client: Callable[..., httpx.Client]) -> httpx.Client:
    """The default admin on the first process, with a fresh token."""
    anonymous = client(deployment.first)
    return client(deployment.first, login(anonymous))


@pytest.fixture
def make_user(
    deployment: Deployment, admin: httpx.Client, client: Callable[..., httpx.Client]
) -> Callable[..., Account]:
    """Factory: a new user (unique name) with these permissions, signed in."""

    def make(*, upload: bool = False, is_admin: bool = False) -> Account:
        name = f"sec-{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(16)
        body = {
            "user": {"name": name, "is_admin": is_admin},
            "secret": {"password": password},
            "permissions": {"upload": upload, "search": True, "download": True},
        }
        created = admin.post("/users", json=body)
        assert created.status_code == 201, created.text
        return Account(name, password, login(client(deployment.first), name, password))

    return make
