"""Adapters wired to the fake hub / fake GitHub, and small misbehaving servers for error paths."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from registry.sources.github import GitHubSource
from registry.sources.huggingface import HuggingFaceSource
from tests.fixtures.http_doubles import Recorder, answering
from tests.fixtures.servers import ThreadedServer

TIMEOUT = 5.0


@pytest.fixture(scope="session")
def failing_server() -> Iterator[ThreadedServer]:
    """Answers 503 to everything."""
    with ThreadedServer(answering(503)) as server:
        yield server


@pytest.fixture(scope="session")
def rate_limited_server() -> Iterator[ThreadedServer]:
    """Answers like GitHub once the rate limit is spent."""
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1900000000"}
    with ThreadedServer(answering(403, headers)) as server:
        yield server


@pytest.fixture(scope="session")
def unauthorized_server() -> Iterator[ThreadedServer]:
    """Answers 401 Bad credentials."""
    with ThreadedServer(answering(401)) as server:
        yield server


@pytest.fixture(scope="session")
def impostor_server() -> Iterator[ThreadedServer]:
    """Answers 200 with JSON that is neither the hub's nor GitHub's (a captive portal, say)."""
    with ThreadedServer(answering(200)) as server:
        yield server


@pytest.fixture(scope="session")
def slow_server() -> Iterator[ThreadedServer]:
    """Answers only after a minute: a client that waits for it has not applied its timeout.

    Far longer than the bounds the tests assert, so a loaded machine cannot blur the two."""
    with ThreadedServer(answering(200, delay=60.0)) as server:
        yield server


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, ThreadedServer]]:
    """A header-recording server and its recorder."""
    rec = Recorder()
    with ThreadedServer(rec.app()) as server:
        yield rec, server


@pytest.fixture
async def hf(fake_hub: ThreadedServer) -> AsyncIterator[HuggingFaceSource]:
    """The Hugging Face adapter pointed at the fake hub."""
    source = HuggingFaceSource(fake_hub.url, None, TIMEOUT)
    yield source
    await source.close()


@pytest.fixture
async def github(fake_github: ThreadedServer) -> AsyncIterator[GitHubSource]:
    """The GitHub adapter pointed at the fake GitHub API."""
    source = GitHubSource(fake_github.url, None, TIMEOUT)
    yield source
    await source.close()
