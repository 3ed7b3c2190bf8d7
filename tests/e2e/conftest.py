"""Real server processes (`registry serve`) on PostgreSQL and the S3 protocol server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server over real HTTP on loopback."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


class ServerProcess:
    """One `python -m registry serve` child process."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "registry",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 180  # bounds a hang; start-up migrates PostgreSQL
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited early; see {log_path}:\n{log_path.read_text()[-3000:]}"
                )
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not become healthy; see {log_path}")

    def stop(self) -> None:
        """Terminate the process and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture(scope="session")
def server_env(
    postgres_database: str, s3_server: str, fake_hub: Any, fake_github: Any
) -> dict[str, str]:
    """Environment for servers on PostgreSQL + S3 + the fake sources."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(
        {
            "REGISTRY_DATABASE_URL": postgres_database,
            "REGISTRY_BLOB_BACKEND": "s3",
            "REGISTRY_S3_ENDPOINT_URL": s3_server,
            "REGISTRY_S3_BUCKET": "e2e-registry",
            "REGISTRY_S3_ACCESS_KEY_ID": "testing",
            "REGISTRY_S3_SECRET_ACCESS_KEY": "testing",
            "HF_ENDPOINT": fake_hub.url,
            "GITHUB_API_URL": fake_github.url,
            "REGISTRY_LOG_LEVEL": "warning",
        }
    )
    return env


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
