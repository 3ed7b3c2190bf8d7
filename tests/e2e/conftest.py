"""Real server processes (`registry serve`) on PostgreSQL and the S3 protocol server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.fixtures.registry_processes import ServerProcess, registry_env, s3_protocol_server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server over real HTTP on loopback."""
    with s3_protocol_server() as url:
        yield url


@pytest.fixture(scope="session")
def server_env(
    postgres_database: str, s3_server: str, fake_hub: Any, fake_github: Any
) -> dict[str, str]:
    """Environment for servers on PostgreSQL + S3 + the fake sources."""
    return registry_env(postgres_database, s3_server, "e2e-registry", fake_hub.url, fake_github.url)


@pytest.fixture(scope="session")
def start_server(
    server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], ServerProcess]]:
    """Factory starting server processes; all are stopped at the end of the session."""
    started: list[ServerProcess] = []
    logs = tmp_path_factory.mktemp("server-logs")

    def start() -> ServerProcess:
        server = ServerProcess(server_env, logs / f"server-{len(started)}.log")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
